"""The HTTP API (aiohttp): what a hook posts to and what scripts read from.

Every request passes three guards before a handler sees it: the bearer token (when one is set),
the Host header (a web page cannot reach us through DNS rebinding), and, for writes, a JSON
content type (a cross-site form or simple fetch cannot send one without a CORS preflight, which
we never grant). Errors are always `{"error": "..."}` with a 4xx/5xx status.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from claude_watch import __version__
from claude_watch.event import BadEvent
from claude_watch.ingest import NDJSON_TYPES, Ingestor
from claude_watch.store import Cursor, EventFilter, Store, StoreUnavailable
from claude_watch.timeparse import BadTime, parse_time

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_PAGE = 1000
JSON_TYPES = ("application/json", *NDJSON_TYPES)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

INGESTOR = web.AppKey("ingestor", Ingestor)
STORE = web.AppKey("store", Store)
STATUS = web.AppKey("status", Callable[[], Awaitable[dict[str, Any]]])


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _guards(token: str | None, allowed_hosts: set[str] | None) -> Callable:
    expected = f"Bearer {token}".encode() if token else None

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if allowed_hosts is not None and request.host.lower() not in allowed_hosts:
            return error_response(421, f"Host {request.host!r} is not this collector's address")
        if expected is not None:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return error_response(401, "missing or wrong bearer token")
        if request.method == "POST" and request.content_type not in JSON_TYPES:
            return error_response(415, "Content-Type must be application/json (or application/x-ndjson)")
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, f"body larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
        except web.HTTPException as http_error:
            if http_error.status < 400:
                raise
            response = error_response(http_error.status, http_error.reason)
            if "Allow" in http_error.headers:
                response.headers["Allow"] = http_error.headers["Allow"]
            return response
        except Exception:  # a bug of ours: answer in JSON, keep serving, say it once in the log
            log.exception("internal error on %s %s", request.method, request.path)
            return error_response(500, "internal error (see the collector's log)")

    return guard


async def _read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=request.content_length)
    return await request.read()


async def post_event(request: web.Request) -> web.Response:
    body = await _read_body(request)
    try:
        event = await request.app[INGESTOR].accept_one(body, request.headers)
    except BadEvent as error:
        return error_response(400, error.reason)
    except StoreUnavailable as error:
        return error_response(503, f"cannot store the event: {error}")
    return web.json_response({}, headers={"X-Event-Id": event.event_id})


async def post_events(request: web.Request) -> web.Response:
    body = await _read_body(request)
    try:
        result = await request.app[INGESTOR].accept_many(body, request.content_type, request.headers)
    except BadEvent as error:
        return error_response(400, error.reason)
    except StoreUnavailable as error:
        return error_response(503, f"cannot store the events: {error}")
    return web.json_response(result.to_json())


def filter_from_query(query: Any, now: int) -> EventFilter:
    """Query-string parameters (shared with `claude-watch export`) -> an EventFilter."""

    def values(name: str) -> tuple[str, ...]:
        return tuple(v for raw in query.getall(name, []) for v in raw.split(",") if v)

    since = query.get("since")
    until = query.get("until")
    return EventFilter(
        project=query.get("project") or None,
        session_id=query.get("session") or None,
        event_types=values("event_type"),
        tools=values("tool"),
        since=parse_time(since, now) if since else None,
        until=parse_time(until, now) if until else None,
        text=query.get("q") or None,
    )


async def get_events(request: web.Request) -> web.Response:
    store = request.app[STORE]
    query = request.rel_url.query
    try:
        flt = filter_from_query(query, store.clock())
        limit = int(query.get("limit", "100"))
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
        before = Cursor.parse(query["before"]) if query.get("before") else None
    except (BadTime, ValueError) as error:
        return error_response(400, str(error))
    rows = await store.list_event_json(flt, limit, before)
    next_cursor = str(Cursor(rows[-1][0], rows[-1][1])) if len(rows) == limit else None
    body = '{"events": [' + ", ".join(row[2] for row in rows) + f'], "next_cursor": {json.dumps(next_cursor)}}}'
    return web.Response(text=body, content_type="application/json")


async def get_projects(request: web.Request) -> web.Response:
    projects = await request.app[STORE].list_projects()
    return web.json_response({"projects": [_as_dict(p) for p in projects]})


async def get_sessions(request: web.Request) -> web.Response:
    store = request.app[STORE]
    sessions = await store.list_sessions(project=request.rel_url.query.get("project") or None)
    now = store.clock()
    return web.json_response(
        {"sessions": [{**_as_dict(s, exclude=("stored_state",)), "state": s.state_at(now)} for s in sessions]}
    )


def _as_dict(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__ if name not in exclude}


async def get_health(request: web.Request) -> web.Response:
    return web.json_response(await request.app[STATUS]())


def make_app(
    ingestor: Ingestor,
    status: Callable[[], Awaitable[dict[str, Any]]],
    token: str | None = None,
    allowed_hosts: set[str] | None = None,
) -> web.Application:
    """`allowed_hosts`: the Host headers to answer (None: any); the caller may fill it in later."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_guards(token, allowed_hosts)])
    app[INGESTOR] = ingestor
    app[STORE] = ingestor.store
    app[STATUS] = status
    app.router.add_post("/event", post_event)
    app.router.add_post("/events", post_events)
    app.router.add_get("/events", get_events)
    app.router.add_get("/projects", get_projects)
    app.router.add_get("/sessions", get_sessions)
    app.router.add_get("/health", get_health)
    return app


def health_report(ingestor: Ingestor, total_events: int | None, spool_backlog: int) -> dict[str, Any]:
    latest = ingestor.rejections.latest
    store = ingestor.store
    return {
        "status": "degraded" if store.write_error else "ok",
        "version": __version__,
        "events": total_events,
        "database": str(store.path),
        "write_error": store.write_error,
        "rejected": ingestor.rejections.count,
        "last_rejection": None if latest is None else {"at": latest.at, "reason": latest.reason, "sample": latest.sample},
        "spool_backlog": spool_backlog,
    }

"""SQL for reading events: filters become WHERE clauses with parameters, never formatted text."""

from __future__ import annotations

import re
from typing import Any

from claude_watch.event import Event
from claude_watch.store.models import Cursor, EventFilter

EVENT_COLUMNS = (
    "id, event_id, ts, received_at, session_id, event_type, tool_name, tool_use_id, "
    "agent_id, cwd, project, summary, payload"
)
# Lists show the summary, never the payload: a page of multi-MiB reads would cost seconds.
EVENT_LIST_COLUMNS = EVENT_COLUMNS.replace("payload", "'' AS payload")


def event_from_row(row: Any) -> Event:
    return Event(
        id=row[0],
        event_id=row[1],
        ts=row[2],
        received_at=row[3],
        session_id=row[4],
        event_type=row[5],
        tool_name=row[6],
        tool_use_id=row[7],
        agent_id=row[8],
        cwd=row[9],
        project=row[10],
        summary=row[11],
        payload=row[12],
    )


_WORD = re.compile(r"\S+")


def search_expression(text: str) -> str | None:
    """A user's words -> an FTS5 query: every word must appear, each as a phrase prefix.

    Each word is quoted, so FTS5 syntax in it (AND, NEAR, *, :) is just text, and the
    tokenizer splits `src/checkout.ts` into the phrase `src checkout ts`.
    """
    words = [w.replace('"', '""') for w in _WORD.findall(text)]
    words = [w for w in words if any(ch.isalnum() for ch in w)]
    if not words:
        return None
    return " AND ".join(f'"{word}"*' for word in words)


def where_clause(flt: EventFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if flt.project is not None:
        clauses.append("project = ?")
        params.append(flt.project)
    if flt.session_id is not None:
        clauses.append("session_id = ?")
        params.append(flt.session_id)
    for column, values in (("event_type", flt.event_types), ("tool_name", flt.tools)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if flt.since is not None:
        clauses.append("ts >= ?")
        params.append(flt.since)
    if flt.until is not None:
        clauses.append("ts < ?")
        params.append(flt.until)
    if flt.text:
        expression = search_expression(flt.text)
        if expression is not None:
            clauses.append("id IN (SELECT rowid FROM events_search WHERE events_search MATCH ?)")
            params.append(expression)
    return (" AND ".join(clauses) if clauses else "1"), params


def page_query(
    flt: EventFilter, limit: int, before: Cursor | None, with_payload: bool = False
) -> tuple[str, list[Any]]:
    where, params = where_clause(flt)
    if before is not None:
        where += " AND (ts < ? OR (ts = ? AND id < ?))"
        params += [before.ts, before.ts, before.id]
    columns = EVENT_COLUMNS if with_payload else EVENT_LIST_COLUMNS
    sql = f"SELECT {columns} FROM events WHERE {where} ORDER BY ts DESC, id DESC LIMIT ?"
    return sql, [*params, limit]


def newer_query(flt: EventFilter, after: Cursor, limit: int) -> tuple[str, list[Any]]:
    """Events newer than `after`, newest first: what arrived since a view last looked."""
    where, params = where_clause(flt)
    where += " AND (ts > ? OR (ts = ? AND id > ?))"
    params += [after.ts, after.ts, after.id]
    sql = f"SELECT {EVENT_LIST_COLUMNS} FROM events WHERE {where} ORDER BY ts DESC, id DESC LIMIT ?"
    return sql, [*params, limit]


def _iso(column: str) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%fZ', {column} / 1000.0, 'unixepoch')"


# The exported form of an event, built by SQLite itself: the derived fields, then the payload
# as stored (json() only drops insignificant whitespace). Export, `GET /events` and the TUI's
# export all use this one expression, so they cannot drift apart.
EXPORT_OBJECT = (
    "json_object("
    "'event_id', event_id, "
    f"'ts', {_iso('ts')}, "
    f"'received_at', {_iso('received_at')}, "
    "'project', project, 'session_id', session_id, 'event_type', event_type, "
    "'tool_name', tool_name, 'tool_use_id', tool_use_id, 'agent_id', agent_id, 'cwd', cwd, "
    "'summary', summary, 'payload', json(payload))"
)


def export_page_query(flt: EventFilter, limit: int, before: Cursor | None) -> tuple[str, list[Any]]:
    """Newest first, as (ts, id, exported JSON) rows, for `GET /events`."""
    sql, params = page_query(flt, limit, before)
    return sql.replace(f"SELECT {EVENT_LIST_COLUMNS}", f"SELECT ts, id, {EXPORT_OBJECT}", 1), params


def export_query(flt: EventFilter) -> tuple[str, list[Any]]:
    """Oldest first, one exported JSON text per row, for `claude-watch export`."""
    where, params = where_clause(flt)
    return f"SELECT {EXPORT_OBJECT} FROM events WHERE {where} ORDER BY ts, id", params

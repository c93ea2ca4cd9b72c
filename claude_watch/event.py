"""The event model: a hook's JSON kept exactly, plus the fields derived from it.

`normalise` is the single place where outside input becomes an `Event`. It accepts any
`hook_event_name`, known or not, and rejects only what cannot be an event at all.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from claude_watch.clock import iso_from_ms
from claude_watch.summary import summarize
from claude_watch.textsafe import one_line
from claude_watch.timeparse import parse_header_time

HEADER_TIME = "X-Claude-Watch-Time"
HEADER_EVENT_ID = "X-Claude-Watch-Event-Id"
HEADER_PROJECT = "X-Claude-Watch-Project"
HEADER_PROJECT_DIR = "X-Claude-Project-Dir"

_EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Server-made ids start with the time, so the unique index grows at its end (random ids would
# touch a random page per insert), and carry a per-process nonce and counter, so two
# collectors on one database never make the same id.
_ID_NONCE = os.urandom(4).hex()
_ID_COUNTER = itertools.count()


def make_event_id(received_at: int) -> str:
    return f"{received_at}-{_ID_NONCE}-{next(_ID_COUNTER)}"

_FIELD_LIMIT = 512
# A capture time more than a day ahead of receipt is a broken clock, not the future.
_MAX_CLOCK_SKEW_MS = 24 * 3600 * 1000


class BadEvent(ValueError):
    """Input that cannot be stored as an event; `reason` is a sentence for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Event:
    event_id: str
    ts: int
    received_at: int
    session_id: str
    event_type: str
    tool_name: str | None
    tool_use_id: str | None
    agent_id: str | None
    cwd: str | None
    project: str | None
    summary: str
    payload: str
    id: int | None = None

    def with_id(self, row_id: int, project: str | None) -> Event:
        # Spelled out: dataclasses.replace costs ~5x as much, and the writer calls this per event.
        return Event(
            self.event_id, self.ts, self.received_at, self.session_id, self.event_type, self.tool_name,
            self.tool_use_id, self.agent_id, self.cwd, project, self.summary, self.payload, row_id,
        )

    def payload_object(self) -> Any:
        return json.loads(self.payload)

    def derived_fields(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "ts": iso_from_ms(self.ts),
            "received_at": iso_from_ms(self.received_at),
            "project": self.project,
            "session_id": self.session_id,
            "event_type": self.event_type,
            "tool_name": self.tool_name,
            "tool_use_id": self.tool_use_id,
            "agent_id": self.agent_id,
            "cwd": self.cwd,
            "summary": self.summary,
        }


def _reject_constant(name: str) -> Any:
    raise BadEvent(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_json(text: str) -> Any:
    """Strict JSON: no NaN or Infinity, no unbounded nesting taking the server down."""
    try:
        return _DECODER.decode(text)
    except BadEvent:
        raise
    except RecursionError:
        raise BadEvent("JSON is nested too deeply") from None
    except json.JSONDecodeError as error:
        raise BadEvent(f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except ValueError as error:  # e.g. an integer beyond Python's digit limit
        raise BadEvent(f"malformed JSON: {error}") from None


def decode_body(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadEvent(f"body is not valid UTF-8 (byte {error.start})") from None


def _scrub_surrogates(text: str) -> str:
    """Lone surrogates ("\\ud800" in JSON) cannot be stored as UTF-8; show them as U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _field(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if isinstance(value, str) and value:
        return _scrub_surrogates(one_line(value, _FIELD_LIMIT))
    return None


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    return value.strip() if isinstance(value, str) else ""


def project_from_headers(headers: Mapping[str, str]) -> str | None:
    explicit = one_line(_header(headers, HEADER_PROJECT), 100)
    if explicit:
        return _scrub_surrogates(explicit)
    return project_from_path(_header(headers, HEADER_PROJECT_DIR))


def project_from_path(path: str | None) -> str | None:
    if not path:
        return None
    name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return _scrub_surrogates(one_line(name, 100)) or None


def event_from_object(
    payload: Any, payload_text: str, headers: Mapping[str, str], received_at: int
) -> Event:
    """Build an Event from a parsed hook object and the exact text it came from."""
    if not isinstance(payload, dict):
        raise BadEvent(f"an event must be a JSON object, not {type(payload).__name__}")
    for required in ("session_id", "hook_event_name"):
        value = payload.get(required)
        if not isinstance(value, str) or not value.strip():
            got = "missing" if required not in payload else f"a {type(value).__name__}" if not isinstance(value, str) else "empty"
            raise BadEvent(f"'{required}' must be a non-empty string ({got})")
    event_id = _header(headers, HEADER_EVENT_ID)
    if event_id and not _EVENT_ID.fullmatch(event_id):
        raise BadEvent(f"{HEADER_EVENT_ID} must be 1-128 characters of A-Z a-z 0-9 . _ : -")
    ts = parse_header_time(_header(headers, HEADER_TIME))
    if ts is None or ts < 0 or ts > received_at + _MAX_CLOCK_SKEW_MS:
        ts = received_at
    return Event(
        event_id=event_id or make_event_id(received_at),
        ts=ts,
        received_at=received_at,
        session_id=_field(payload, "session_id") or "",
        event_type=_field(payload, "hook_event_name") or "",
        tool_name=_field(payload, "tool_name"),
        tool_use_id=_field(payload, "tool_use_id"),
        agent_id=_field(payload, "agent_id"),
        cwd=_field(payload, "cwd"),
        project=project_from_headers(headers),
        summary=_scrub_surrogates(summarize(payload)),
        payload=payload_text,
    )


def normalise(body: bytes, headers: Mapping[str, str], received_at: int) -> Event:
    """One request body (a hook's JSON object) -> an Event, or BadEvent saying why not."""
    text = one_line_json(decode_body(body))
    return event_from_object(parse_json(text), text, headers, received_at)


def one_line_json(text: str) -> str:
    """The JSON text on one line. A raw line break can only be whitespace between tokens (inside
    strings it must be escaped), so a space in its place is the same JSON, byte for byte the
    same length: every stored payload is then one NDJSON line as it is."""
    text = text.strip()
    if "\n" in text or "\r" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    return text

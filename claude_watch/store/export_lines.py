"""The exported form of an event: one line of JSON, built in Python from the stored columns.

`claude-watch export`, `GET /events` and the monitor's export all build it with `export_lines`,
so it has one definition. It is the derived fields, then the payload exactly as stored (validated
as JSON and kept on one line at ingest):

    {"event_id":"..","ts":"2026-11-27T10:00:00.123Z","received_at":"..","project":"..",
     "session_id":"..","event_type":"..","tool_name":..,"tool_use_id":..,"agent_id":..,"cwd":..,
     "summary":"..","payload":{..}}

These are byte for byte the lines SQLite used to build (`json_quote` of each field,
`strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch')` for the times; tests/test_export.py
holds that expression and compares): json.encoder's C string encoder escapes exactly the
characters json_quote does, and a value the fast paths do not cover (a time before 1970 or after
9999, a time that is not an integer) is formatted by SQLite itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date
from json.encoder import encode_basestring as _quote  # the C encoder, ensure_ascii=False
from typing import Any

# What `export_lines` reads, in this order (queries select it). The payload is cast as `||`
# did when SQLite built the line: always text.
EXPORT_COLUMNS = (
    "event_id, ts, received_at, project, session_id, event_type, tool_name, tool_use_id, "
    "agent_id, cwd, summary, CAST(payload AS TEXT)"
)

_UNIX_DAY0 = date(1970, 1, 1).toordinal()
_LAST_MINUTE = (date(9999, 12, 31).toordinal() + 1 - _UNIX_DAY0) * 1440 - 1  # later: SQLite's
_SECONDS = [f"{second:02d}." for second in range(60)]
_MILLIS = [f'{milli:03d}Z"' for milli in range(1000)]
_MINUTES_KEPT = 4096


def _sqlite_time(value: Any) -> str:
    """What SQLite makes of any stored time (rare: outside 1970-9999, or not an integer)."""
    db = sqlite3.connect(":memory:")
    try:
        (token,) = db.execute(
            "SELECT json_quote(strftime('%Y-%m-%dT%H:%M:%fZ', ? / 1000.0, 'unixepoch'))", (value,)
        ).fetchone()
    finally:
        db.close()
    return token


class _Minutes(dict):
    """Minute since 1970 -> '"YYYY-MM-DDTHH:MM:' (the last few thousand: memory stays flat)."""

    def __missing__(self, minute: int) -> str:
        if type(minute) is not int or not 0 <= minute <= _LAST_MINUTE:
            raise OverflowError(minute)
        if len(self) >= _MINUTES_KEPT:
            self.clear()
        day, in_day = divmod(minute, 1440)
        token = self[minute] = f'"{date.fromordinal(_UNIX_DAY0 + day).isoformat()}T{in_day // 60:02d}:{in_day % 60:02d}:'
        return token


_MINUTE_TOKENS = _Minutes()


def time_token(ms: Any) -> str:
    """Epoch ms -> the JSON string `"2026-11-27T10:00:00.123Z"` (or whatever SQLite made of it)."""
    if type(ms) is int:
        try:
            return _MINUTE_TOKENS[ms // 60_000] + _SECONDS[ms % 60_000 // 1000] + _MILLIS[ms % 1000]
        except OverflowError:
            pass
    return _sqlite_time(ms)


def time_tokens(values: list[Any]) -> list[str]:
    """`time_token` of each value: a whole column at a time, without a call per value."""
    minutes, seconds, millis = _MINUTE_TOKENS, _SECONDS, _MILLIS
    try:
        # A value that is not an int fails here (TypeError: a float or a text cannot index a list)
        return [minutes[ms // 60_000] + seconds[ms % 60_000 // 1000] + millis[ms % 1000] for ms in values]
    except (TypeError, OverflowError):
        return [time_token(ms) for ms in values]


def export_lines(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Rows of EXPORT_COLUMNS -> their exported JSON lines, in order.

    A text field that is not text (a BLOB in a TEXT column) raises TypeError, as json_quote
    did; the payload is text (EXPORT_COLUMNS casts it) and goes in as it is."""
    q = _quote
    return [
        f'{{"event_id":{"null" if event_id is None else q(event_id)},"ts":{ts},"received_at":{received_at},'
        f'"project":{"null" if project is None else q(project)},'
        f'"session_id":{"null" if session_id is None else q(session_id)},'
        f'"event_type":{"null" if event_type is None else q(event_type)},'
        f'"tool_name":{"null" if tool_name is None else q(tool_name)},'
        f'"tool_use_id":{"null" if tool_use_id is None else q(tool_use_id)},'
        f'"agent_id":{"null" if agent_id is None else q(agent_id)},'
        f'"cwd":{"null" if cwd is None else q(cwd)},'
        f'"summary":{"null" if summary is None else q(summary)},"payload":{payload}}}'
        for (
            event_id, _, _, project, session_id, event_type, tool_name, tool_use_id,
            agent_id, cwd, summary, payload,
        ), ts, received_at in zip(rows, time_tokens([row[1] for row in rows]), time_tokens([row[2] for row in rows]))
    ]

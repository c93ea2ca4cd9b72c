"""The one writer: a batch of events becomes one transaction, summaries included.

A batch is one trip to the connection's thread (`run_sync`): the checks, inserts, summaries
and commit run there back to back, instead of a dozen awaits that each wait for a busy event
loop to pick up their result (that wait, not SQLite, capped single-event ingest at ~1,400/s).

Everything here runs inside `BEGIN IMMEDIATE`, so the write lock is held from the duplicate
check to the commit: ids are assigned without gaps or races, even when a second claude-watch
process writes to the same database.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

import aiosqlite

from claude_watch.event import Event, project_from_path
from claude_watch.store.sync_call import run_sync

UNKNOWN_PROJECT = "unknown"
_WAITING_NOTIFICATIONS = frozenset({"permission_prompt", "idle_prompt", "agent_needs_input", "elicitation_dialog"})
_FAILURE_TYPES = frozenset({"PostToolUseFailure", "StopFailure"})
def _state_after(event: Event, previous: str) -> str:
    """A session's state once `event` is its latest: waiting until activity follows a prompt."""
    kind = event.event_type
    if kind == "SessionEnd":
        return "ended"
    if kind == "SessionStart":
        return "active"
    if previous == "ended":
        return "ended"  # stragglers after SessionEnd (a late Stop) do not reopen it
    if kind == "Notification":
        return "waiting" if _notification_type(event) in _WAITING_NOTIFICATIONS else previous
    return "active"


def _notification_type(event: Event) -> str:
    # Cheap look without parsing the payload: the field name and value are plain ASCII.
    for kind in _WAITING_NOTIFICATIONS:
        if f'"{kind}"' in event.payload:
            return kind
    return ""


def _model_of(event: Event) -> str | None:
    if event.event_type != "SessionStart" or '"model"' not in event.payload:
        return None
    try:
        model = event.payload_object().get("model")
    except (ValueError, AttributeError):
        return None
    return model if isinstance(model, str) and model else None


@dataclass
class _SessionChange:
    """What one batch does to one session row."""

    project: str
    cwd: str | None
    first_ts: int
    last_ts: int
    state: str
    is_new: bool
    model: str | None = None
    events: int = 0
    tool_calls: int = 0
    failures: int = 0
    last_event_type: str | None = None
    last_tool: str | None = None
    last_summary: str | None = None
    newest_tool_ts: int = -1

    def add(self, event: Event) -> None:
        self.events += 1
        if event.event_type == "PreToolUse":
            self.tool_calls += 1
            if event.ts >= self.newest_tool_ts:
                self.newest_tool_ts = event.ts
                self.last_tool = event.tool_name
        if event.event_type in _FAILURE_TYPES:
            self.failures += 1
        self.model = _model_of(event) or self.model
        self.first_ts = min(self.first_ts, event.ts)
        if event.ts >= self.last_ts:
            self.last_ts = event.ts
            self.last_event_type = event.event_type
            self.last_summary = event.summary
            self.state = _state_after(event, self.state)


@dataclass
class _ProjectChange:
    first_ts: int
    last_ts: int
    sessions: int = 0
    events: int = 0
    tool_calls: int = 0
    failures: int = 0


@dataclass
class WriteResult:
    stored: list[Event] = field(default_factory=list)
    duplicates: list[Event] = field(default_factory=list)
    _sources: list[Event] = field(default_factory=list)
    _by_source: dict[int, Event] | None = None

    def stored_for(self, submitted: list[Event]) -> list[Event]:
        """The stored copies of `submitted` (matched by identity: two requests may share an id)."""
        if self._by_source is None:  # built once per batch, not once per request in it
            self._by_source = {id(source): stored for source, stored in zip(self._sources, self.stored)}
        by_source = self._by_source
        return [by_source[id(e)] for e in submitted if id(e) in by_source]


def _existing_event_ids(db: sqlite3.Connection, event_ids: list[str]) -> set[str]:
    # One statement text whatever the count (json_each), so SQLite's statement cache does not
    # fill with a prepared statement per batch size: a long-running collector stays flat.
    rows = db.execute(
        "SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))", (json.dumps(event_ids),)
    )
    return {row[0] for row in rows}


def _known_sessions(db: sqlite3.Connection, session_ids: list[str]) -> dict[str, tuple[str, int, str]]:
    rows = db.execute(
        "SELECT session_id, project, last_ts, state FROM sessions WHERE session_id IN (SELECT value FROM json_each(?))",
        (json.dumps(session_ids),),
    )
    return {session_id: (project, last_ts, state) for session_id, project, last_ts, state in rows}


INDEX_CHUNK = 1000


async def index_chunk(db: aiosqlite.Connection, limit: int = INDEX_CHUNK) -> int:
    """Add the next committed events to the search index; returns how many (0: all indexed)."""
    return await run_sync(db, _index_chunk_now, limit)


def _index_chunk_now(db: sqlite3.Connection, limit: int) -> int:
    db.execute("BEGIN IMMEDIATE")
    try:
        (upto,) = db.execute("SELECT indexed_upto FROM search_progress").fetchone()
        last, count = db.execute(
            "SELECT max(id), count(*) FROM (SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?)", (upto, limit)
        ).fetchone()
        if count:
            db.execute(
                "INSERT INTO events_search (rowid, summary, body)"
                " SELECT id, summary, substr(payload, 1, 65536) FROM events WHERE id > ? AND id <= ?",
                (upto, last),
            )
            db.execute("UPDATE search_progress SET indexed_upto = ?", (last,))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return count


async def write_batch(db: aiosqlite.Connection, events: list[Event]) -> WriteResult:
    """Store `events` (already normalised) in one transaction, committed before this returns."""
    return await run_sync(db, _write_batch_now, events)


def _write_batch_now(db: sqlite3.Connection, events: list[Event]) -> WriteResult:
    result = WriteResult()
    db.execute("BEGIN IMMEDIATE")
    try:
        existing = _existing_event_ids(db, list({e.event_id for e in events}))
        fresh: list[Event] = []
        seen: set[str] = set(existing)
        for event in events:
            if event.event_id in seen:
                result.duplicates.append(event)
            else:
                seen.add(event.event_id)
                fresh.append(event)
        if fresh:
            result.stored = _insert(db, fresh)
            result._sources = fresh
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return result


def _insert(db: sqlite3.Connection, events: list[Event]) -> list[Event]:
    known = _known_sessions(db, list({e.session_id for e in events}))
    sessions: dict[str, _SessionChange] = {}
    stored: list[Event] = []
    (last_id,) = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
    for offset, event in enumerate(events, start=1):
        change = sessions.get(event.session_id)
        if change is None:
            if event.session_id in known:
                project, last_ts, state = known[event.session_id]
                change = _SessionChange(project, event.cwd, event.ts, last_ts, state, is_new=False)
            else:
                project = event.project or project_from_path(event.cwd) or UNKNOWN_PROJECT
                change = _SessionChange(project, event.cwd, event.ts, event.ts, "active", is_new=True)
            sessions[event.session_id] = change
        # An explicit project on the request wins for this event; otherwise the session's.
        stored_event = event.with_id(last_id + offset, event.project or change.project)
        change.add(stored_event)
        stored.append(stored_event)

    db.executemany(
        "INSERT INTO events (id, event_id, ts, received_at, session_id, event_type, tool_name,"
        " tool_use_id, agent_id, cwd, project, summary, payload)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (e.id, e.event_id, e.ts, e.received_at, e.session_id, e.event_type, e.tool_name,
             e.tool_use_id, e.agent_id, e.cwd, e.project, e.summary, e.payload)
            for e in stored
        ],
    )
    _update_sessions(db, sessions)
    _update_projects(db, stored, sessions)
    return stored


def _update_sessions(db: sqlite3.Connection, sessions: dict[str, _SessionChange]) -> None:
    db.executemany(
        """
        INSERT INTO sessions (session_id, project, cwd, model, first_ts, last_ts, events,
            tool_calls, failures, last_event_type, last_tool, last_summary, state)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (session_id) DO UPDATE SET
            model = coalesce(excluded.model, model),
            first_ts = min(first_ts, excluded.first_ts),
            events = events + excluded.events,
            tool_calls = tool_calls + excluded.tool_calls,
            failures = failures + excluded.failures,
            last_tool = coalesce(excluded.last_tool, last_tool),
            last_event_type = coalesce(excluded.last_event_type, last_event_type),
            last_summary = coalesce(excluded.last_summary, last_summary),
            last_ts = max(last_ts, excluded.last_ts),
            state = excluded.state
        """,
        [
            (session_id, c.project, c.cwd, c.model, c.first_ts, c.last_ts, c.events, c.tool_calls,
             c.failures, c.last_event_type, c.last_tool, c.last_summary, c.state)
            for session_id, c in sessions.items()
        ],
    )


def _update_projects(db: sqlite3.Connection, stored: list[Event], sessions: dict[str, _SessionChange]) -> None:
    projects: dict[str, _ProjectChange] = {}
    for event in stored:
        change = projects.setdefault(event.project, _ProjectChange(event.ts, event.ts))
        change.events += 1
        change.tool_calls += event.event_type == "PreToolUse"
        change.failures += event.event_type in _FAILURE_TYPES
        change.first_ts = min(change.first_ts, event.ts)
        change.last_ts = max(change.last_ts, event.ts)
    for session in sessions.values():
        if session.is_new:
            projects.setdefault(session.project, _ProjectChange(session.first_ts, session.last_ts)).sessions += 1
    db.executemany(
        """
        INSERT INTO projects (name, sessions, events, tool_calls, failures, first_ts, last_ts)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET
            sessions = sessions + excluded.sessions,
            events = events + excluded.events,
            tool_calls = tool_calls + excluded.tool_calls,
            failures = failures + excluded.failures,
            first_ts = min(first_ts, excluded.first_ts),
            last_ts = max(last_ts, excluded.last_ts)
        """,
        [(name, c.sessions, c.events, c.tool_calls, c.failures, c.first_ts, c.last_ts) for name, c in projects.items()],
    )

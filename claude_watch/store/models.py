"""What the store answers with, and how a caller asks for events."""

from __future__ import annotations

from dataclasses import dataclass, field

from claude_watch.event import Event

# No event for this long and an active session is shown as idle.
IDLE_AFTER_MS = 5 * 60 * 1000


class StoreUnavailable(RuntimeError):
    """The database cannot take a write right now (disk full, read-only, locked, corrupt)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """A keyset position in newest-first order: the last (ts, id) a page showed."""

    ts: int
    id: int

    def __str__(self) -> str:
        return f"{self.ts}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        ts, sep, row_id = text.partition(":")
        if not sep or not ts.isdigit() or not row_id.isdigit() or len(ts) > 18 or len(row_id) > 18:
            raise ValueError(f"not a cursor: {text!r} (expected TS:ID from next_cursor)")
        return cls(int(ts), int(row_id))

    @classmethod
    def of(cls, event: Event) -> Cursor:
        assert event.id is not None
        return cls(event.ts, event.id)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events: every field narrows; empty tuples and None mean 'any'."""

    project: str | None = None
    session_id: str | None = None
    event_types: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    since: int | None = None
    until: int | None = None
    text: str | None = None

    def is_empty(self) -> bool:
        return self == EventFilter()


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[Event]
    next_cursor: Cursor | None


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    name: str
    sessions: int
    active_sessions: int
    events: int
    tool_calls: int
    failures: int
    first_ts: int
    last_ts: int


@dataclass(frozen=True, slots=True)
class SessionSummary:
    session_id: str
    project: str
    cwd: str | None
    model: str | None
    first_ts: int
    last_ts: int
    events: int
    tool_calls: int
    failures: int
    last_event_type: str | None
    last_tool: str | None
    last_summary: str | None
    stored_state: str = field(default="active")

    def state_at(self, now: int, idle_after_ms: int = IDLE_AFTER_MS) -> str:
        """active | waiting | ended | idle: idle when an active session has gone quiet."""
        if self.stored_state == "active" and now - self.last_ts > idle_after_ms:
            return "idle"
        return self.stored_state

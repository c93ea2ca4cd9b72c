"""SQLite event store: the source of truth every view reads from."""

from claude_watch.store.models import (
    IDLE_AFTER_MS,
    Cursor,
    EventFilter,
    EventPage,
    ProjectSummary,
    SessionSummary,
    StoreUnavailable,
)
from claude_watch.store.store import Store, StoreError

__all__ = [
    "IDLE_AFTER_MS",
    "Cursor",
    "EventFilter",
    "EventPage",
    "ProjectSummary",
    "SessionSummary",
    "Store",
    "StoreError",
    "StoreUnavailable",
]

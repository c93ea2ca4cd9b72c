"""A bounded, movable window onto the event history, newest first.

The UI never holds the whole history: it holds at most `max_rows` events and pages through
SQLite with the keyset cursor, older as the user scrolls down, newer (one page at a time) as
they come back up, and whatever arrived while following. All methods await the store
(aiosqlite); none blocks the loop. Every change keeps `rows` a contiguous run of the matching
events, so the table can splice rows in and out instead of rebuilding itself.
"""

from __future__ import annotations

from typing import Any

from claude_watch.tui.query import Cursor, EventFilter, cursor_of


def _key(event: Any) -> tuple[int, int]:
    return (event.ts, event.id)


class EventWindow:
    def __init__(self, store: Any, page: int = 100, max_rows: int = 1000) -> None:
        self.store = store
        self.page = page
        self.max_rows = max_rows
        self.filter: EventFilter = EventFilter()
        self.rows: list[Any] = []
        self.at_head = True  # rows[0] is the newest matching event we know of
        self.older: Cursor | None = None  # where the next older page starts (None: no more)

    async def load_head(self, event_filter: EventFilter, limit: int | None = None) -> None:
        """Start again from the newest events matching `event_filter`."""
        page = await self.store.list_events(event_filter, limit=limit or self.page, before=None)
        self.filter = event_filter
        self.rows = list(page.events)
        self.older = page.next_cursor
        self.at_head = True

    def seed(self, event_filter: EventFilter, page: Any) -> None:
        """Start from a first page read elsewhere (an `EventPage`, newest first)."""
        self.filter = event_filter
        self.rows = list(page.events)
        self.older = page.next_cursor
        self.at_head = True

    async def load_older(self) -> int:
        """Append the next older page; drop the newest rows past `max_rows`. Returns rows added."""
        if self.older is None:
            return 0
        page = await self.store.list_events(self.filter, limit=self.page, before=self.older)
        known = {e.id for e in self.rows[-self.page :]}
        added = [e for e in page.events if e.id not in known]
        self.rows.extend(added)
        self.older = page.next_cursor
        if len(self.rows) > self.max_rows:
            del self.rows[: len(self.rows) - self.max_rows]
            self.at_head = False
        return len(added)

    async def load_newer(self, limit: int | None = None) -> int:
        """What arrived since (live): prepend what is newer than the top row, newest first.

        Returns rows added. More than `limit` newer means a gap: start again from the head.
        """
        if not self.rows:
            await self.load_head(self.filter)
            return len(self.rows)
        limit = limit or self.page
        top = _key(self.rows[0])
        newer = await self.store.list_events_newer(self.filter, after=cursor_of(self.rows[0]), limit=limit)
        if len(newer) >= limit:
            await self.load_head(self.filter, limit=limit)
            return len(self.rows)
        self.at_head = True
        newer = sorted((e for e in newer if _key(e) > top), key=_key, reverse=True)
        self.rows[:0] = newer
        self.trim_bottom(self.max_rows)
        return len(newer)

    async def load_newer_page(self) -> int:
        """Reading history: prepend the page just above the top row (oldest first from the
        store, so no gap), drop the oldest rows past `max_rows`. Returns rows added; fewer than
        a page means the top is the newest event again."""
        if not self.rows:
            await self.load_head(self.filter)
            return len(self.rows)
        top = _key(self.rows[0])
        newer = await self.store.list_events_newer(self.filter, after=cursor_of(self.rows[0]), limit=self.page,
                                                   oldest_first=True)
        self.at_head = len(newer) < self.page
        newer = [e for e in reversed(newer) if _key(e) > top]
        self.rows[:0] = newer
        self.trim_bottom(self.max_rows)
        return len(newer)

    def trim_bottom(self, keep: int) -> None:
        if len(self.rows) > keep:
            del self.rows[keep:]
            self.older = cursor_of(self.rows[-1])

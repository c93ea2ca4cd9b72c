"""Keyset paging both ways: older pages (`list_events` with `before`), the page just above a
row (`list_events_newer(..., oldest_first=True)`), and the early read of the newest events
(`read_newest`). Every answer is compared with the same question asked of a plain list."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest

from claude_watch.event import Event, normalise
from claude_watch.store import Cursor, EventFilter, Store
from claude_watch.store import store as store_module
from claude_watch.store.store import read_newest

T0 = 1_795_000_000_000


def event(i: int, ts: int, session: str = "s1", kind: str = "PreToolUse", word: str = "plain") -> Event:
    payload = {"session_id": session, "hook_event_name": kind, "cwd": f"/home/u/{'alpha' if i % 3 else 'beta'}",
               "tool_name": "Bash" if i % 2 else "Read", "tool_input": {"command": f"{word} step{i}"}}
    headers = {"X-Claude-Watch-Time": str(ts), "X-Claude-Watch-Event-Id": f"e{i}"}
    return normalise(json.dumps(payload).encode(), headers, T0)


async def fill(store: Store) -> list[Event]:
    """600 events over ~3 weeks, with runs of equal times, then 20 stored late (spooled):
    higher ids than events that are newer than them."""
    events = []
    for i in range(600):
        ts = T0 - (600 - i) * 3_000_000 + (0 if i % 7 else -(i % 5))  # some times repeat
        ts = ts if i % 11 else T0 - (600 - i + 1) * 3_000_000  # equal to a neighbour's
        events.append(event(i, ts, session=f"s{i % 4}", word="common" if i % 4 else "rare"))
    stored = await store.submit(events)
    late = [event(1000 + i, T0 - (590 - 29 * i) * 3_000_000 + 1, word="common") for i in range(20)]
    stored += await store.submit(late)
    await store.wait_indexed()
    return stored


def matching(stored: list[Event], flt: EventFilter) -> list[Event]:
    def keep(e: Event) -> bool:
        return ((flt.project is None or e.project == flt.project)
                and (flt.session_id is None or e.session_id == flt.session_id)
                and (not flt.tools or e.tool_name in flt.tools)
                and (not flt.text or all(w in e.payload for w in flt.text.split())))
    return [e for e in stored if keep(e)]


def newest_first(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.ts, e.id), reverse=True)


FILTERS = [
    EventFilter(),
    EventFilter(project="alpha"),
    EventFilter(session_id="s2"),
    EventFilter(tools=("Bash",)),
    EventFilter(text="common"),
    EventFilter(text="rare"),
    EventFilter(project="beta", text="common"),
]


@pytest.fixture(params=[5, 2000], ids=["windows", "ids"])
def search_path(request, monkeypatch: pytest.MonkeyPatch) -> int:
    """Free text takes the by-ids path for few matches, time windows for many: test both."""
    monkeypatch.setattr(store_module, "_FEW_MATCHES", request.param)
    return request.param


def name(flt: EventFilter) -> str:
    return ",".join(f"{f.name}={getattr(flt, f.name)}" for f in fields(flt) if getattr(flt, f.name)) or "all"


@pytest.mark.parametrize("flt", FILTERS, ids=name)
async def test_older_pages_from_any_depth_equal_the_list(store: Store, flt: EventFilter, search_path: int) -> None:
    stored = await fill(store)
    expected = newest_first(matching(stored, flt))
    got, cursor = [], None
    while True:
        page = await store.list_events(flt, limit=37, before=cursor)
        got += page.events
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [e.id for e in got] == [e.id for e in expected]


@pytest.mark.parametrize("flt", FILTERS, ids=name)
async def test_newer_pages_oldest_first_walk_up_to_the_newest(store: Store, flt: EventFilter, search_path: int) -> None:
    stored = await fill(store)
    expected = newest_first(matching(stored, flt))
    start = expected[len(expected) * 3 // 4]  # a row deep in the history
    want = list(reversed(expected[: len(expected) * 3 // 4]))  # everything above it, oldest first
    got, after = [], Cursor(start.ts, start.id)
    while True:
        page = await store.list_events_newer(flt, after=after, limit=23, oldest_first=True)
        got += page
        if len(page) < 23:
            break
        after = Cursor(page[-1].ts, page[-1].id)
    assert [e.id for e in got] == [e.id for e in want]
    assert await store.list_events_newer(flt, after=Cursor(expected[0].ts, expected[0].id), limit=5, oldest_first=True) == []


async def test_newer_newest_first_is_unchanged(store: Store) -> None:
    stored = await fill(store)
    ordered = newest_first(stored)
    after = Cursor(ordered[10].ts, ordered[10].id)
    assert [e.id for e in await store.list_events_newer(EventFilter(), after=after, limit=50)] == [e.id for e in ordered[:10]]
    assert [e.id for e in await store.list_events_newer(EventFilter(), after=after, limit=4)] == [e.id for e in ordered[:4]]


async def test_read_newest_matches_the_store(store: Store) -> None:
    await fill(store)
    page, total = read_newest(store.path, 30)
    expected = await store.list_events(EventFilter(), limit=30)
    assert page == expected
    assert total == await store.total_events() == 620
    small, _ = read_newest(store.path, 1000)
    assert len(small.events) == 620 and small.next_cursor is None


async def test_read_newest_takes_any_file_name(tmp_path: Path) -> None:
    path = tmp_path / "a dir?#%20" / "events #1.db"
    store = await Store.open(path)
    try:
        await store.submit([event(1, T0)])
    finally:
        await store.close()
    page, total = read_newest(path, 5)
    assert [e.event_id for e in page.events] == ["e1"] and total == 1


def test_read_newest_refuses_what_the_store_must_open_first(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.Error):
        read_newest(tmp_path / "missing.db", 10)
    assert not (tmp_path / "missing.db").exists()  # read-only: nothing created
    sqlite3.connect(tmp_path / "empty.db").close()
    with pytest.raises(sqlite3.Error):
        read_newest(tmp_path / "empty.db", 10)  # schema version 0: not migrated yet

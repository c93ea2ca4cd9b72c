"""The store: group commit, dedupe, filters, keyset cursors, summaries, subscribers, failures."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from claude_watch.event import Event, normalise
from claude_watch.store import Cursor, EventFilter, Store, StoreError, StoreUnavailable
from claude_watch.store import store as store_module
from tests.conftest import FakeClock, sample_lines

T0 = 1_795_000_000_000


def event(
    session: str = "s1", kind: str = "PreToolUse", ts: int = T0, event_id: str | None = None,
    cwd: str = "/home/u/webshop", project: str | None = None, **fields,
) -> Event:
    headers = {"X-Claude-Watch-Time": str(ts)}
    if event_id:
        headers["X-Claude-Watch-Event-Id"] = event_id
    if project:
        headers["X-Claude-Watch-Project"] = project
    payload = {"session_id": session, "hook_event_name": kind, "cwd": cwd, **fields}
    return normalise(json.dumps(payload).encode(), headers, T0 + 10**9)


async def test_submit_returns_events_with_ids_and_reads_them_back(store: Store) -> None:
    stored = await store.submit([event(tool_name="Bash", tool_input={"command": "ls"})])
    assert stored[0].id == 1
    fetched = await store.get_event(1)
    assert fetched == stored[0]
    assert fetched.project == "webshop"


async def test_concurrent_submits_share_transactions(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    batch_sizes: list[int] = []
    original = store_module.write_batch

    async def counting(db, events):
        batch_sizes.append(len(events))
        return await original(db, events)

    monkeypatch.setattr(store_module, "write_batch", counting)
    results = await asyncio.gather(*(store.submit([event(ts=T0 + i)]) for i in range(200)))
    assert sorted(r[0].id for r in results) == list(range(1, 201))
    assert sum(batch_sizes) == 200
    assert len(batch_sizes) < 20, f"no group commit: {len(batch_sizes)} transactions for 200 events"


async def test_same_event_id_is_stored_once(store: Store) -> None:
    first = await store.submit([event(event_id="dup-1")])
    again = await store.submit([event(event_id="dup-1"), event(event_id="dup-1")])
    both = await asyncio.gather(store.submit([event(event_id="dup-2")]), store.submit([event(event_id="dup-2")]))
    assert len(first) == 1 and again == []
    assert sorted(len(r) for r in both) == [0, 1]
    assert await store.total_events() == 2
    assert (await store.list_sessions())[0].events == 2


async def test_samples_make_the_right_summaries(store: Store, clock: FakeClock) -> None:
    events = [normalise(line.encode(), {"X-Claude-Watch-Time": str(T0 + i)}, T0 + i) for i, line in enumerate(sample_lines())]
    for chunk in (events[:7], events[7:8], events[8:]):
        await store.submit(chunk)
    clock.now = T0 + 1000
    projects = {p.name: p for p in await store.list_projects()}
    assert set(projects) == {"webshop", "infra-tools"}
    webshop = projects["webshop"]
    assert (webshop.sessions, webshop.events, webshop.tool_calls, webshop.failures) == (1, 17, 6, 1)
    sessions = {s.project: s for s in await store.list_sessions()}
    infra = sessions["infra-tools"]
    assert (infra.model, infra.events, infra.tool_calls, infra.failures) == ("claude-opus-4-1", 13, 3, 0)
    assert infra.last_event_type == "SessionEnd" and infra.state_at(clock()) == "ended"
    assert sessions["webshop"].last_tool == "Bash"
    assert await store.total_events() == len(events)


async def test_summaries_match_a_full_recount(store: Store) -> None:
    """Random-ish interleaving of sessions and out-of-order times: counters equal GROUP BY."""
    kinds = ["PreToolUse", "PostToolUse", "PostToolUseFailure", "Notification", "Stop", "UserPromptSubmit"]
    batch = []
    for i in range(600):
        session = f"s{i % 7}"
        cwd = f"/code/p{i % 3}" if i % 7 else "/code/p9"
        batch.append(event(session=session, kind=kinds[i * 7 % len(kinds)], ts=T0 + (i * 37) % 500, cwd=cwd, tool_name="Bash"))
        if len(batch) == 45:
            await store.submit(batch)
            batch = []
    await store.submit(batch)
    db = sqlite3.connect(store.path)
    expected_projects = db.execute(
        "SELECT project, count(*), sum(event_type='PreToolUse'), sum(event_type='PostToolUseFailure'),"
        " min(ts), max(ts), count(DISTINCT session_id) FROM events GROUP BY project ORDER BY project"
    ).fetchall()
    got_projects = sorted((p.name, p.events, p.tool_calls, p.failures, p.first_ts, p.last_ts, p.sessions) for p in await store.list_projects())
    assert got_projects == expected_projects
    expected_sessions = db.execute(
        "SELECT session_id, count(*), sum(event_type='PreToolUse'), sum(event_type='PostToolUseFailure'), min(ts), max(ts)"
        " FROM events GROUP BY session_id ORDER BY session_id"
    ).fetchall()
    got_sessions = sorted((s.session_id, s.events, s.tool_calls, s.failures, s.first_ts, s.last_ts) for s in await store.list_sessions())
    assert got_sessions == expected_sessions
    db.close()


async def test_project_rules(store: Store) -> None:
    await store.submit([event(session="a", cwd="/home/u/first")])
    await store.submit([event(session="a", cwd="/home/u/first/sub/moved")])  # cwd moves: same project
    await store.submit([event(session="b", cwd="/x/y", project="explicit")])
    await store.submit([event(session="b", cwd="/x/y")])  # later events follow the session's project
    await store.submit([normalise(b'{"session_id": "c", "hook_event_name": "Stop"}', {}, T0)])
    header_dir = normalise(b'{"session_id": "d", "hook_event_name": "Stop", "cwd": "/a/b"}', {"X-Claude-Project-Dir": "/repo/root"}, T0)
    await store.submit([header_dir])
    page = await store.list_events(limit=10)
    by_session = {}
    for e in page.events:
        by_session.setdefault(e.session_id, set()).add(e.project)
    assert by_session == {"a": {"first"}, "b": {"explicit"}, "c": {"unknown"}, "d": {"root"}}


async def test_session_states(store: Store, clock: FakeClock) -> None:
    clock.now = T0
    await store.submit([event(kind="SessionStart", ts=T0 - 10, source="startup", model="m")])
    assert (await store.list_sessions())[0].state_at(clock()) == "active"
    await store.submit([event(kind="Notification", ts=T0 - 5, notification_type="permission_prompt", message="?")])
    assert (await store.list_sessions())[0].state_at(clock()) == "waiting"
    await store.submit([event(kind="PreToolUse", ts=T0 - 4, tool_name="Bash")])
    session = (await store.list_sessions())[0]
    assert session.state_at(clock()) == "active"
    assert session.state_at(clock() + 10 * 60_000) == "idle"
    await store.submit([event(kind="Notification", ts=T0 - 3, notification_type="auth_success", message="ok")])
    assert (await store.list_sessions())[0].state_at(clock()) == "active"
    await store.submit([event(kind="SessionEnd", ts=T0 - 2, reason="logout")])
    await store.submit([event(kind="Stop", ts=T0 - 1)])  # a straggler does not reopen it
    assert (await store.list_sessions())[0].state_at(clock()) == "ended"
    await store.submit([event(kind="PreToolUse", ts=T0 - 100, tool_name="Read")])  # older than the last: ignored for state
    assert (await store.list_sessions())[0].last_event_type == "Stop"


async def _fill(store: Store) -> list[Event]:
    events = []
    for i in range(50):
        kind = ["PreToolUse", "PostToolUse", "UserPromptSubmit", "PostToolUseFailure"][i % 4]
        tool = {"tool_name": ["Bash", "Read"][i % 2], "tool_input": {"command": f"make target{i}", "file_path": f"/src/f{i}.py"}}
        extra = tool if kind != "UserPromptSubmit" else {"prompt": f"please refactor module{i} carefully"}
        events.append(event(session=f"s{i % 3}", kind=kind, ts=T0 + i // 2, cwd=f"/code/p{i % 2}", **extra))
    return await store.submit(events)


@pytest.mark.parametrize(
    ("flt", "predicate"),
    [
        (EventFilter(), lambda e: True),
        (EventFilter(project="p1"), lambda e: e.project == "p1"),
        (EventFilter(session_id="s2"), lambda e: e.session_id == "s2"),
        (EventFilter(event_types=("PreToolUse", "PostToolUseFailure")), lambda e: e.event_type in ("PreToolUse", "PostToolUseFailure")),
        (EventFilter(tools=("Read",)), lambda e: e.tool_name == "Read"),
        (EventFilter(since=T0 + 5, until=T0 + 10), lambda e: T0 + 5 <= e.ts < T0 + 10),
        (EventFilter(text="module6"), lambda e: "module6" in e.payload),
        (EventFilter(text="refactor"), lambda e: "refactor" in e.payload),
        (EventFilter(text="/src/f1"), lambda e: '"/src/f1' in e.payload),
        (EventFilter(project="p0", text="make", tools=("Read",)), lambda e: e.project == "p0" and e.tool_name == "Read"),
    ],
)
async def test_filters_and_keyset_paging(store: Store, flt: EventFilter, predicate) -> None:
    stored = await _fill(store)
    expected = [e.id for e in sorted(stored, key=lambda e: (e.ts, e.id), reverse=True) if predicate(e)]
    assert expected, "the filter should match something"
    got, cursor = [], None
    while True:
        page = await store.list_events(flt, limit=7, before=cursor)
        got.extend(e.id for e in page.events)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert got == expected


async def test_free_text_is_data_not_fts_syntax(store: Store) -> None:
    await _fill(store)
    for hostile in ['"', "AND OR NOT", "NEAR(", "*", "col:x", "'; DROP TABLE events; --", "())"]:
        await store.list_events(EventFilter(text=hostile))
    assert await store.total_events() == 50


async def test_newer_than_cursor(store: Store) -> None:
    stored = await _fill(store)
    middle = sorted(stored, key=lambda e: (e.ts, e.id))[30]
    newer = await store.list_events_newer(EventFilter(), Cursor.of(middle))
    assert [e.id for e in newer] == [e.id for e in sorted(stored, key=lambda e: (e.ts, e.id), reverse=True)][:19]


async def test_paired_event(store: Store) -> None:
    pre, post, other = await store.submit(
        [event(kind="PreToolUse", tool_use_id="t1", tool_name="Bash"),
         event(kind="PostToolUse", ts=T0 + 150, tool_use_id="t1", tool_name="Bash"),
         event(kind="Stop")]
    )
    assert (await store.paired_event(pre)).id == post.id
    assert (await store.paired_event(post)).id == pre.id
    assert await store.paired_event(other) is None


async def test_subscribers_get_each_committed_batch(store: Store) -> None:
    seen: list[list[int]] = []
    unsubscribe = store.subscribe(lambda events: seen.append([e.id for e in events]))
    store.subscribe(lambda events: 1 / 0)  # a broken subscriber harms nobody
    await store.submit([event(), event()])
    await store.submit([event(event_id="x"), event(event_id="x")])
    unsubscribe()
    await store.submit([event()])
    assert seen == [[1, 2], [3]]


def test_cursor_text_round_trip() -> None:
    assert Cursor.parse(str(Cursor(T0, 42))) == Cursor(T0, 42)
    for bad in ["", "12", "a:b", "1:-2"]:
        with pytest.raises(ValueError):
            Cursor.parse(bad)


async def test_files_are_private(store: Store, tmp_path: Path) -> None:
    await store.submit([event()])
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    wal = Path(f"{store.path}-wal")
    if wal.exists():
        assert stat.S_IMODE(os.stat(wal).st_mode) == 0o600


async def test_reopen_keeps_everything_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    first = await Store.open(path)
    await first.submit([event()])
    await first.close()
    second = await Store.open(path)
    assert await second.total_events() == 1
    await second.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] >= 1


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 999").connection.close()
    with pytest.raises(StoreError, match="newer claude-watch"):
        await Store.open(path)


async def test_write_failure_raises_store_unavailable_and_recovers(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    async def failing(db, events):
        raise sqlite3.OperationalError("database or disk is full")

    original = store_module.write_batch
    monkeypatch.setattr(store_module, "write_batch", failing)
    with pytest.raises(StoreUnavailable, match="disk is full"):
        await store.submit([event()])
    assert store.write_error == "the disk is full"
    monkeypatch.setattr(store_module, "write_batch", original)
    assert len(await store.submit([event()])) == 1
    assert store.write_error is None


async def test_close_commits_what_is_queued(tmp_path: Path) -> None:
    opened = await Store.open(tmp_path / "q.db")
    pending = [asyncio.ensure_future(opened.submit([event()])) for _ in range(20)]
    await asyncio.sleep(0)
    await opened.close()
    assert all(len(p.result()) == 1 for p in pending)
    reopened = await Store.open(tmp_path / "q.db")
    assert await reopened.total_events() == 20
    await reopened.close()


async def test_free_text_finds_events_before_and_after_they_are_indexed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from claude_watch.store import writer

    async def not_yet(db, limit=0):
        return 0

    monkeypatch.setattr(store_module, "index_chunk", not_yet)
    stored = await _fill(store)
    flt = EventFilter(text="refactor module6")
    before = [e.id for e in (await store.list_events(flt)).events]
    assert before == [e.id for e in stored if "module6 carefully" in e.payload]
    monkeypatch.setattr(store_module, "index_chunk", writer.index_chunk)
    await store.wait_indexed()
    assert [e.id for e in (await store.list_events(flt)).events] == before
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT indexed_upto FROM search_progress").fetchone()[0] == 50
    db.close()


async def test_search_windows_start_at_the_selected_projects_newest_event(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project quiet for weeks has nothing in the newest hours: its first window is the one
    below its own newest event, not a string of empty ones down to an unbounded query."""
    monkeypatch.setattr(store_module, "_FEW_MATCHES", 5)  # a common word: the windows path
    day = 86_400_000
    busy = [event(session="b", kind="UserPromptSubmit", ts=T0 - i * 60_000, cwd="/w/busy", prompt=f"deploy now {i}")
            for i in range(60)]
    quiet = [event(session="q", kind="UserPromptSubmit", ts=T0 - 20 * day - i * 60_000, cwd="/w/quiet", prompt=f"deploy later {i}")
             for i in range(30)]
    stored = await store.submit(busy + quiet)
    await store.wait_indexed()
    trips = 0
    fetchall = store._fetchall

    async def counted(sql: str, params: list | tuple = ()) -> list:
        nonlocal trips
        trips += 1
        return await fetchall(sql, params)

    monkeypatch.setattr(store, "_fetchall", counted)
    page = await store.list_events(EventFilter(project="quiet", text="deploy"), limit=10)
    assert [e.id for e in page.events] == [e.id for e in stored[60:70]]
    assert trips == 2  # the word count with the project's newest time, then the first window


@pytest.mark.parametrize("few_matches", [5, 2000])
async def test_windowed_search_pages_equal_one_unbounded_query(store: Store, monkeypatch: pytest.MonkeyPatch, few_matches: int) -> None:
    """Events spread over weeks: both search paths (by ids, by windows) give the unbounded answer."""
    monkeypatch.setattr(store_module, "_FEW_MATCHES", few_matches)
    batch = [event(session=f"s{i % 4}", kind="UserPromptSubmit", ts=T0 - i * 3_100_000, prompt=f"deploy {'common' if i % 3 else 'rare'} step{i}")
             for i in range(400)]
    stored = await store.submit(batch)
    await store.wait_indexed()
    for words, predicate in (("common", lambda e: "common" in e.payload), ("rare step1", lambda e: "rare step1" in e.payload)):
        expected = [e.id for e in sorted(stored, key=lambda e: (e.ts, e.id), reverse=True) if predicate(e)]
        got, cursor = [], None
        while True:
            page = await store.list_events(EventFilter(text=words), limit=25, before=cursor)
            got += [e.id for e in page.events]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert got == expected


async def test_search_indexing_waits_while_events_pour_in_until_a_backlog_builds(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claude_watch.store.sync_call import run_sync

    monkeypatch.setattr(store_module, "INDEX_LULL_S", 3600.0)  # no lull during this test
    monkeypatch.setattr(store_module, "INDEX_BACKLOG_MAX", 30)

    def indexed_upto() -> int:
        with sqlite3.connect(store.path) as db:
            return db.execute("SELECT indexed_upto FROM search_progress").fetchone()[0]

    await store.submit([event(ts=T0 + i, prompt=f"burst word{i}") for i in range(20)])
    for _ in range(5):
        await asyncio.sleep(0)  # the write loop's turn to decide
    await run_sync(store._writer, lambda db: None)  # any index chunk it queued has run by now
    assert indexed_upto() == 0
    # Unindexed events are still found: the search scans the tail the index has not reached.
    assert len((await store.list_events(EventFilter(text="word7"))).events) == 1

    await store.submit([event(ts=T0 + 100 + i) for i in range(20)])  # backlog 40 >= 30
    for _ in range(500):
        if indexed_upto() == 40:
            break
        await asyncio.sleep(0.01)
    assert indexed_upto() == 40

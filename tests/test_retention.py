"""Retention only when asked: prune deletes old events and leaves summaries exactly right."""

from __future__ import annotations

import sqlite3

from claude_watch.collector import Collector, CollectorConfig
from claude_watch.store import EventFilter, Store
from tests.conftest import FakeClock
from tests.test_store import T0, event
from tests.test_cli import run


async def test_prune_deletes_only_older_events_and_recounts(store: Store) -> None:
    old = [event(session="old", ts=T0 + i, tool_name="Bash", kind="PreToolUse") for i in range(30)]
    mixed = [event(session="mixed", ts=T0 + i * 100, kind=k, cwd="/code/other") for i, k in enumerate(["PreToolUse", "PostToolUseFailure"] * 10)]
    await store.submit(old + mixed)
    cutoff = T0 + 1000
    deleted = await store.prune(cutoff)
    assert deleted == 30 + 10
    remaining = (await store.list_events(EventFilter(), limit=100)).events
    assert all(e.ts >= cutoff for e in remaining) and len(remaining) == 10
    sessions = {s.session_id: s for s in await store.list_sessions()}
    assert set(sessions) == {"mixed"}
    assert (sessions["mixed"].events, sessions["mixed"].tool_calls, sessions["mixed"].failures) == (10, 5, 5)
    assert sessions["mixed"].first_ts == T0 + 1000
    projects = {p.name: p for p in await store.list_projects()}
    assert set(projects) == {"other"} and projects["other"].events == 10 and projects["other"].sessions == 1
    assert await store.list_events(EventFilter(text="Bash"), limit=5)  # the search index follows
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT count(*) FROM events_search WHERE events_search MATCH 'old'").fetchone()[0] == 0
    db.close()


async def test_prune_with_vacuum_and_nothing_to_do(store: Store) -> None:
    await store.submit([event(ts=T0 + 5)])
    assert await store.prune(T0, vacuum=True) == 0
    assert await store.total_events() == 1


async def test_collector_keeps_everything_unless_told(tmp_path, clock: FakeClock) -> None:
    path = tmp_path / "r.db"
    seed = await Store.open(path)
    await seed.submit([event(ts=clock() - 40 * 86_400_000), event(ts=clock() - 86_400_000)])
    await seed.close()
    keep = Collector(CollectorConfig(port=0, db_path=path, spool_dir=tmp_path / "s"), clock=clock)
    await keep.start()
    assert await keep.store.total_events() == 2
    await keep.stop()
    retain = Collector(CollectorConfig(port=0, db_path=path, spool_dir=tmp_path / "s", retain_ms=30 * 86_400_000), clock=clock)
    await retain.start()
    try:
        assert await retain.store.total_events() == 1  # the first prune runs before start returns
    finally:
        await retain.stop()


def test_prune_command(tmp_path) -> None:
    from tests.test_cli import serve_and_post
    from tests.conftest import sample_lines

    db = tmp_path / "p.db"
    serve_and_post(db, sample_lines()[:4])
    result = run("prune", "--db", str(db), "--older-than", "30d")
    assert result.returncode == 0 and "deleted 0 events" in result.stderr
    bad = run("prune", "--db", str(db), "--older-than", "soon")
    assert bad.returncode == 2 and "not an age" in bad.stderr

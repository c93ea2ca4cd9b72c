"""SpoolDrainer: spooled events reach the store through the ingest path, in capture order."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from claude_watch.ingest import Ingestor
from claude_watch.spool import SpoolDrainer, SpoolFormatError, parse_spool_file
from claude_watch.store import EventFilter, Store, StoreUnavailable

T0 = 1764241200000  # 2025-11-27T11:00:00Z


def payload(i: int, event: str = "PreToolUse") -> bytes:
    return json.dumps(
        {
            "session_id": "8f2c1e34-5b6d-4a7e-9c0f-1a2b3c4d5e6f",
            "transcript_path": "/home/dev/.claude/projects/-home-dev-code-webshop/x.jsonl",
            "cwd": "/home/dev/code/webshop",
            "hook_event_name": event,
            "tool_name": "Bash",
            "tool_input": {"command": f"echo {i}"},
            "tool_use_id": f"toolu_{i:04d}",
        }
    ).encode()


def spool_event(
    spool: Path, ts: int, body: bytes, pid: int = 4242, rnd: str = "8e1f", project_dir: str | None = "/home/dev/code/webshop"
) -> Path:
    name = f"{ts}-{pid}-{rnd}"
    head = f"X-Claude-Watch-Time: {ts}\nX-Claude-Watch-Event-Id: {name}\n"
    if project_dir:
        head += f"X-Claude-Project-Dir: {project_dir}\n"
    path = spool / f"{name}.event"
    path.write_bytes(head.encode() + b"\n" + body)
    return path


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "db" / "events.db")
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    d = tmp_path / "spool"
    d.mkdir(mode=0o700)
    return d


async def all_events(store: Store) -> list:
    page = await store.list_events(EventFilter(), limit=1000, with_payload=True)
    return sorted(page.events, key=lambda e: e.id)


def test_parse_spool_file() -> None:
    body = b'{"session_id": "s", "hook_event_name": "Stop"}\n'
    headers, got = parse_spool_file(
        b"X-Claude-Watch-Time: 1764241200123\nx-claude-project-dir: /a/b c\n\n" + body
    )
    assert got == body
    assert headers["X-Claude-Project-Dir"] == "/a/b c"  # case-insensitive, like HTTP
    assert headers["x-claude-watch-time"] == "1764241200123"
    # no time header: the file name still carries it
    headers, _ = parse_spool_file(b"A: b\n\n{}", "1764241200999-1-2.event")
    assert headers["X-Claude-Watch-Time"] == "1764241200999"
    # no header lines at all (a hook without a clock or project)
    headers, got = parse_spool_file(b"\n" + body, "0000000000000-77-0.event")
    assert got == body and "X-Claude-Watch-Time" not in headers
    with pytest.raises(SpoolFormatError):
        parse_spool_file(b'{"no": "headers"}')
    with pytest.raises(SpoolFormatError):
        parse_spool_file(b"not a header line\n\n{}")


async def test_drain_in_capture_order_keeps_time_and_project(store: Store, spool: Path) -> None:
    ingestor = Ingestor(store)
    # written out of order; names sort by capture time
    for i in (3, 0, 2, 1):
        spool_event(spool, T0 + i * 10, payload(i), rnd=f"r{i}")
    drainer = SpoolDrainer(spool, ingestor, interval_s=60)
    assert drainer.backlog() == 4
    result = await drainer.drain_once()
    assert (result.committed, result.rejected, result.left, result.error) == (4, 0, 0, None)
    assert drainer.backlog() == 0
    assert sorted(p.name for p in spool.iterdir() if not p.name.startswith(".")) == []
    events = await all_events(store)
    assert [e.ts for e in events] == [T0, T0 + 10, T0 + 20, T0 + 30]  # capture order, times kept
    assert [e.tool_use_id for e in events] == ["toolu_0000", "toolu_0001", "toolu_0002", "toolu_0003"]
    assert {e.project for e in events} == {"webshop"}
    assert events[0].event_id == f"{T0}-4242-r0"
    assert json.loads(events[0].payload) == json.loads(payload(0))


async def test_already_stored_event_is_not_duplicated(store: Store, spool: Path) -> None:
    """The POST committed but its reply timed out, so the hook spooled it too."""
    ingestor = Ingestor(store)
    await ingestor.accept_one(
        payload(7), {"X-Claude-Watch-Time": str(T0), "X-Claude-Watch-Event-Id": f"{T0}-4242-8e1f"}
    )
    spool_event(spool, T0, payload(7))
    result = await SpoolDrainer(spool, ingestor).drain_once()
    assert result.error is None and result.left == 0
    assert await store.total_events() == 1


async def test_invalid_files_moved_aside_and_counted(store: Store, spool: Path) -> None:
    ingestor = Ingestor(store)
    spool_event(spool, T0 + 1, b'{"truncated": ', rnd="bad1")
    (spool / f"{T0 + 2}-1-bad2.event").write_bytes(b"no header block at all")
    spool_event(spool, T0 + 3, payload(3), rnd="good")
    drainer = SpoolDrainer(spool, ingestor)
    result = await drainer.drain_once()
    assert (result.committed, result.rejected, result.left) == (1, 2, 0)
    assert sorted(p.name for p in (spool / "rejected").iterdir()) == [
        f"{T0 + 1}-4242-bad1.event",
        f"{T0 + 2}-1-bad2.event",
    ]
    assert ingestor.rejections.count == 2
    assert await store.total_events() == 1
    # not retried: a second pass has nothing to do
    again = await drainer.drain_once()
    assert (again.committed, again.rejected) == (0, 0)
    assert ingestor.rejections.count == 2


class FlakyIngestor:
    """Commits `ok` events, then the store goes away."""

    def __init__(self, inner: Ingestor, ok: int) -> None:
        self.inner = inner
        self.ok = ok
        self.seen: list[str] = []

    async def accept_one(self, body: bytes, headers) -> object:
        if self.ok <= 0:
            raise StoreUnavailable("disk full")
        self.ok -= 1
        self.seen.append(headers["X-Claude-Watch-Event-Id"])
        return await self.inner.accept_one(body, headers)

    def record_rejection(self, reason: str, sample: bytes) -> None:
        self.inner.record_rejection(reason, sample)


async def test_store_unavailable_keeps_files_and_stops_the_pass(store: Store, spool: Path) -> None:
    paths = [spool_event(spool, T0 + i, payload(i), rnd=f"r{i}") for i in range(5)]
    flaky = FlakyIngestor(Ingestor(store), ok=2)
    drainer = SpoolDrainer(spool, flaky)
    result = await drainer.drain_once()
    assert result.committed == 2 and result.left == 3
    assert result.error and "disk full" in result.error
    assert [p.exists() for p in paths] == [False, False, True, True, True]
    flaky.ok = 100
    result = await drainer.drain_once()
    assert result.committed == 3 and result.left == 0 and result.error is None
    assert [e.ts for e in await all_events(store)] == [T0 + i for i in range(5)]


async def test_lock_held_elsewhere_skips_the_pass(store: Store, spool: Path) -> None:
    spool_event(spool, T0, payload(0))
    fd = os.open(spool / ".drain.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = await SpoolDrainer(spool, Ingestor(store)).drain_once()
        assert result.skipped and result.left == 1 and result.committed == 0
    finally:
        os.close(fd)
    result = await SpoolDrainer(spool, Ingestor(store)).drain_once()
    assert result.committed == 1


async def test_two_drainers_at_once_store_each_event_once(store: Store, spool: Path) -> None:
    for i in range(40):
        spool_event(spool, T0 + i, payload(i), rnd=f"r{i}")
    a = SpoolDrainer(spool, Ingestor(store))
    b = SpoolDrainer(spool, Ingestor(store))
    await asyncio.gather(a.drain_once(), b.drain_once(), a.drain_once())
    await b.drain_once()
    assert await store.total_events() == 40
    assert a.backlog() == 0


async def test_stale_tmp_file_recovered_fresh_one_left(store: Store, spool: Path) -> None:
    complete = spool / f".tmp-{T0}-1-old.event"
    complete.write_bytes(f"X-Claude-Watch-Time: {T0}\n\n".encode() + payload(1))
    old = time.time() - 3600
    os.utime(complete, (old, old))
    fresh = spool / f".tmp-{T0 + 5}-2-new.event"
    fresh.write_bytes(b"X-Claude-Watch-Time: 1")  # a hook still writing
    drainer = SpoolDrainer(spool, Ingestor(store))
    assert drainer.backlog() == 0
    result = await drainer.drain_once()
    assert result.committed == 1
    assert fresh.exists() and not complete.exists()


async def test_missing_spool_dir_is_fine(store: Store, tmp_path: Path) -> None:
    drainer = SpoolDrainer(tmp_path / "nope", Ingestor(store))
    assert drainer.backlog() == 0
    result = await drainer.drain_once()
    assert result.committed == 0 and result.error is None


async def test_background_task_drains_new_files(store: Store, spool: Path) -> None:
    drainer = SpoolDrainer(spool, Ingestor(store), interval_s=0.05)
    drainer.start()
    try:
        spool_event(spool, T0, payload(0))
        async with asyncio.timeout(10):
            while await store.total_events() < 1:
                await asyncio.sleep(0.02)
        spool_event(spool, T0 + 1, payload(1), rnd="x")
        drainer.wake()
        async with asyncio.timeout(10):
            while await store.total_events() < 2:
                await asyncio.sleep(0.02)
    finally:
        await drainer.stop()
    assert drainer.committed_total == 2
    await drainer.stop()  # idempotent


async def test_big_backlog_keeps_the_loop_responsive(store: Store, spool: Path) -> None:
    """1000 files: the loop never stalls long while they drain."""
    for i in range(1000):
        spool_event(spool, T0 + i, payload(i), rnd=f"r{i}")
    drainer = SpoolDrainer(spool, Ingestor(store))
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            t = loop.time()
            await asyncio.sleep(0.005)
            worst = max(worst, loop.time() - t - 0.005)

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    result = await drainer.drain_once()
    elapsed = time.perf_counter() - started
    stop.set()
    await tick
    assert result.committed == 1000 and result.left == 0
    assert await store.total_events() == 1000
    assert worst < 0.2, f"event loop blocked for {worst * 1000:.0f} ms"
    assert elapsed < 30


async def test_unusable_spool_reports_error_without_raising(store: Store, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    drainer = SpoolDrainer(not_a_dir, Ingestor(store))
    result = await drainer.drain_once()
    assert result.committed == 0  # a file is not a spool: nothing to do, no exception
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        spool_event(ro, T0, payload(0))
        ro.chmod(0o500)
        try:
            result = await SpoolDrainer(ro, Ingestor(store)).drain_once()
            assert result.error and result.left == 1
        finally:
            ro.chmod(0o700)

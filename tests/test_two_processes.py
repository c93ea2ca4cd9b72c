"""Two claude-watch processes on one database: side by side, one spool drainer at a time, no
event stored twice. A second `serve`, the monitor in tmux on another port, and `export` while
ingesting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.test_durability import CLI, JSON, free_port, start_serve, wait_healthy


def spool_file(spool: Path, n: int, with_id: bool) -> None:
    body = json.dumps({"session_id": f"spooled-{n % 7}", "hook_event_name": "Notification", "message": f"spooled {n}"})
    headers = f"X-Claude-Watch-Time: {1764241200000 + n}\nX-Claude-Project-Dir: /code/spooled\n"
    if with_id:
        headers += f"X-Claude-Watch-Event-Id: sp-{n}\n"
    (spool / f"{1764241200000 + n}-{4000 + n}-{n:04x}.event").write_text(headers + "\n" + body)


def rows(db: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


async def post_many(url: str, ids: list[str], acked: list[str], status_seen: set[int]) -> None:
    async with aiohttp.ClientSession(base_url=url, timeout=aiohttp.ClientTimeout(total=30)) as http:
        for event_id in ids:
            body = json.dumps({"session_id": f"s-{event_id[-1]}", "hook_event_name": "Stop"})
            async with http.post("/event", data=body, headers={**JSON, "X-Claude-Watch-Event-Id": event_id}) as response:
                status_seen.add(response.status)
                if response.status == 200:
                    acked.append(event_id)


async def stop(process) -> None:
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0


async def until(predicate, deadline_s: float = 30) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not predicate():
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.05)  # external processes: poll with a bounded deadline


async def test_two_serves_share_a_database_and_a_spool(tmp_path: Path) -> None:
    db, spool = tmp_path / "events.db", tmp_path / "spool"
    spool.mkdir(mode=0o700)
    # files without an id: if both processes drained the same file, it would be stored twice
    for n in range(400):
        spool_file(spool, n, with_id=n % 2 == 0)
    started = await asyncio.gather(start_serve(db, spool), start_serve(db, spool), return_exceptions=True)
    failed = [s for s in started if isinstance(s, BaseException)]
    if failed:
        await asyncio.gather(*(stop(s[0]) for s in started if not isinstance(s, BaseException)))
        raise failed[0]
    (a, url_a), (b, url_b) = started
    try:
        # the same ids posted to both, concurrently, by 8 clients each
        ids = [f"both-{i}-{k}" for i in range(8) for k in range(60)]
        acked: list[str] = []
        statuses: set[int] = set()
        await asyncio.gather(*(post_many(url, ids[i::8], acked, statuses) for url in (url_a, url_b) for i in range(8)))
        assert statuses == {200}, statuses
        # more spool files while both run: the periodic passes (every 2 s) race for them
        for n in range(400, 600):
            spool_file(spool, n, with_id=False)
        await until(lambda: not any(spool.glob("*.event")))
        for url in (url_a, url_b):
            async with aiohttp.ClientSession(base_url=url) as http:
                async with http.get("/health") as response:
                    report = await response.json()
                    assert report["status"] == "ok" and report["spool_backlog"] == 0, report
    finally:
        await asyncio.gather(stop(a), stop(b))
    assert rows(db, "SELECT count(*), count(DISTINCT event_id) FROM events WHERE event_id LIKE 'both-%'") == [(len(ids), len(ids))]
    messages = [m for (m,) in rows(db, "SELECT json_extract(payload, '$.message') FROM events WHERE project = 'spooled'")]
    assert sorted(messages) == sorted(f"spooled {n}" for n in range(600)), "a spooled event was lost or stored twice"
    assert not (spool / "rejected").exists()
    assert rows(db, "SELECT coalesce(sum(events), 0) FROM projects") == rows(db, "SELECT count(*) FROM events")
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


async def test_export_while_ingesting(tmp_path: Path) -> None:
    db, spool = tmp_path / "events.db", tmp_path / "spool"
    serve, url = await start_serve(db, spool)
    acked: list[str] = []
    statuses: set[int] = set()
    try:
        ingest = asyncio.gather(*(post_many(url, [f"x-{c}-{k}" for k in range(250)], acked, statuses) for c in range(8)))
        counts = []
        for n in range(6):
            target = tmp_path / f"export-{n}.json"
            process = await asyncio.create_subprocess_exec(*CLI, "export", "--db", str(db), "-o", str(target),
                                                           stderr=asyncio.subprocess.PIPE)
            _, err = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode == 0, err
            exported = json.loads(target.read_text())
            assert len({e["event_id"] for e in exported}) == len(exported)
            counts.append(len(exported))
        await ingest
        assert statuses == {200}, statuses  # the exports never made a writer give up
        assert counts == sorted(counts)
    finally:
        await stop(serve)
    assert rows(db, "SELECT count(*) FROM events") == [(len(acked),)] == [(2000,)]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is needed to run the monitor in a terminal")
async def test_serve_and_monitor_side_by_side(tmp_path: Path) -> None:
    db, spool = tmp_path / "events.db", tmp_path / "spool"
    spool.mkdir(mode=0o700)
    for n in range(300):
        spool_file(spool, n, with_id=False)
    tmux = ["tmux", "-L", f"cw-two-{os.getpid()}"]
    port = free_port()
    command = " ".join([*CLI, "--port", str(port), "--db", str(db)])
    subprocess.run([*tmux, "new-session", "-d", "-x", "160", "-y", "48", "-s", "tui",
                    f"CLAUDE_WATCH_SPOOL={spool} exec {command}"], check=True, timeout=10)
    serve = None
    try:
        serve, url_a = await start_serve(db, spool)
        url_b = f"http://127.0.0.1:{port}"
        assert await wait_healthy(url_b, 30), "the monitor did not start in tmux"
        ids = [f"tv-{i}-{k}" for i in range(6) for k in range(50)]
        acked: list[str] = []
        statuses: set[int] = set()
        await asyncio.gather(*(post_many(url, ids[i::6], acked, statuses) for url in (url_a, url_b) for i in range(6)))
        assert statuses == {200}
        await until(lambda: not any(spool.glob("*.event")))
    finally:
        if serve is not None:
            await stop(serve)
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    assert rows(db, "SELECT count(*), count(DISTINCT event_id) FROM events WHERE event_id LIKE 'tv-%'") == [(300, 300)]
    assert rows(db, "SELECT count(*) FROM events WHERE project = 'spooled'") == [(300,)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


DAY_MS = 86_400_000


async def post_aged(url: str, prefix: str, count: int, age_days: float) -> list[str]:
    """Events captured `age_days` ago (the hook's capture-time header)."""
    import time as _time

    ids = []
    async with aiohttp.ClientSession(base_url=url) as http:
        for n in range(count):
            event_id = f"{prefix}-{n}"
            headers = {**JSON, "X-Claude-Watch-Event-Id": event_id,
                       "X-Claude-Watch-Time": str(int(_time.time() * 1000 - age_days * DAY_MS) + n)}
            body = json.dumps({"session_id": f"{prefix}-s{n % 3}", "hook_event_name": "PreToolUse", "tool_name": "Bash",
                               "cwd": f"/code/{prefix}"})
            async with http.post("/event", data=body, headers=headers) as response:
                assert response.status == 200
            ids.append(event_id)
    return ids


def assert_summaries_match_a_recount(db: Path) -> None:
    assert rows(db, "SELECT session_id, events FROM sessions ORDER BY 1") == rows(
        db, "SELECT session_id, count(*) FROM events GROUP BY session_id ORDER BY 1")
    assert rows(db, "SELECT name, events, sessions FROM projects ORDER BY 1") == rows(
        db, "SELECT project, count(*), count(DISTINCT session_id) FROM events GROUP BY project ORDER BY 1")


@pytest.mark.parametrize("vacuum", [False, True], ids=["prune", "prune-vacuum"])
async def test_prune_while_serve_ingests(tmp_path: Path, vacuum: bool) -> None:
    """`claude-watch prune --older-than 30d [--vacuum]` from a second process while `serve` takes
    events: only the old ones go, no acknowledged new event is lost, the summaries stay right."""
    db, spool = tmp_path / "events.db", tmp_path / "spool"
    serve, url = await start_serve(db, spool)
    try:
        old = await post_aged(url, "old", 300, 45)
        recent = await post_aged(url, "recent", 100, 10)
        acked: list[str] = []
        statuses: set[int] = set()
        ingest = asyncio.gather(*(post_many(url, [f"live-{c}-{k}" for k in range(150)], acked, statuses) for c in range(6)))
        prune = await asyncio.create_subprocess_exec(*CLI, "prune", "--db", str(db), "--older-than", "30d",
                                                     *(["--vacuum"] if vacuum else []), stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(prune.communicate(), 60)
        await ingest
        assert prune.returncode == 0, err
        assert "Traceback" not in err.decode()
        # a write that met the vacuum's lock may be refused (503: the hook spools it), never lost
        assert statuses <= {200, 503}, statuses
        if not vacuum:
            assert statuses == {200}
    finally:
        await stop(serve)
    stored = {event_id for (event_id,) in rows(db, "SELECT event_id FROM events")}
    assert not stored & set(old)
    assert set(recent) <= stored and set(acked) <= stored
    assert_summaries_match_a_recount(db)
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


async def test_nothing_is_deleted_unless_asked(tmp_path: Path) -> None:
    """Very old events survive restarts of serve without --retain; --retain 30d removes only them."""
    db, spool = tmp_path / "events.db", tmp_path / "spool"
    serve, url = await start_serve(db, spool)
    try:
        ancient = await post_aged(url, "ancient", 50, 400)
        recent = await post_aged(url, "recent", 50, 1)
    finally:
        await stop(serve)
    serve, url = await start_serve(db, spool)
    await stop(serve)
    assert len(rows(db, "SELECT 1 FROM events")) == 100
    process = await asyncio.create_subprocess_exec(
        *CLI, "serve", "--port", "0", "--db", str(db), "--retain", "30d", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env={**os.environ, "CLAUDE_WATCH_SPOOL": str(spool)})
    assert (await asyncio.wait_for(process.stdout.readline(), 30)).startswith(b"http://")
    await until(lambda: len(rows(db, "SELECT 1 FROM events")) == 50)
    await stop(process)
    assert {i for (i,) in rows(db, "SELECT event_id FROM events")} == set(recent)
    assert not set(ancient) & {i for (i,) in rows(db, "SELECT event_id FROM events")}
    assert_summaries_match_a_recount(db)

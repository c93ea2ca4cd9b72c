"""kill -9 during sustained ingest: every event that got a 2xx is in the database, exactly once.

Real processes: `claude-watch serve` (and the monitor in tmux) on one database, many concurrent
clients posting with their own `X-Claude-Watch-Event-Id`, SIGKILL at a seeded random moment,
restart, repeat. Afterwards the database must hold every acknowledged id once, pass an
integrity check, and keep its per-session and per-project counts equal to a recount.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

CLI = [sys.executable, "-m", "claude_watch"]
JSON = {"Content-Type": "application/json"}
CLIENTS = 16
ROUNDS = 4


async def start_serve(db: Path, spool: Path) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        *CLI, "serve", "--port", "0", "--db", str(db), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "CLAUDE_WATCH_SPOOL": str(spool)},
    )
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
    except BaseException:
        process.kill()
        await process.wait()
        raise
    url = line.decode().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()  # never leave a collector running behind a failed test
        await process.wait()
    assert url.startswith("http://127.0.0.1:"), url
    return process, url


async def post_until_stopped(url: str, client: int, prefix: str, acked: list[str], stop: asyncio.Event) -> None:
    """One client: post events one after another; remember each id that got a 2xx."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(base_url=url, timeout=timeout) as http:
        n = 0
        while not stop.is_set():
            event_id = f"{prefix}-c{client}-{n}"
            n += 1
            body = json.dumps({"session_id": f"{prefix}-s{client % 5}", "hook_event_name": "PreToolUse" if n % 2 else "PostToolUse",
                               "tool_name": "Bash", "tool_use_id": f"{prefix}-t{client}-{n // 2}",
                               "tool_input": {"command": "x" * (n % 7 * 300)}, "cwd": f"/code/p{client % 3}"})
            try:
                async with http.post("/event", data=body, headers={**JSON, "X-Claude-Watch-Event-Id": event_id}) as response:
                    if 200 <= response.status < 300:
                        acked.append(event_id)
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                return  # the collector is gone


async def ingest_and_kill(url: str, process, prefix: str, kill_after: float, acked: list[str]) -> None:
    stop = asyncio.Event()
    clients = [asyncio.create_task(post_until_stopped(url, c, prefix, acked, stop)) for c in range(CLIENTS)]
    await asyncio.sleep(kill_after)  # the random moment is the point of the test
    process.send_signal(signal.SIGKILL)
    await process.wait()
    stop.set()
    await asyncio.gather(*clients)


def check_database(db: Path, acked: list[str]) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = [row[0] for row in conn.execute("SELECT event_id FROM events")]
        counts: dict[str, int] = {}
        for event_id in stored:
            counts[event_id] = counts.get(event_id, 0) + 1
        missing = [i for i in acked if i not in counts]
        twice = [i for i, c in counts.items() if c > 1]
        assert not missing, f"{len(missing)} acknowledged events lost, e.g. {missing[:5]}"
        assert not twice, f"stored more than once: {twice[:5]}"
        # the summaries the writer keeps agree with a recount (no half-applied batch)
        assert conn.execute("SELECT coalesce(sum(events), 0) FROM projects").fetchone()[0] == len(stored)
        recount = dict(conn.execute("SELECT session_id, count(*) FROM events GROUP BY session_id").fetchall())
        assert dict(conn.execute("SELECT session_id, events FROM sessions").fetchall()) == recount
        return len(stored)


async def test_kill_9_serve_during_ingest_loses_no_acknowledged_event(tmp_path: Path) -> None:
    db, spool = tmp_path / "events.db", tmp_path / "spool"
    rng = random.Random(20261127)
    acked: list[str] = []
    for round_no in range(ROUNDS):
        process, url = await start_serve(db, spool)
        before = len(acked)
        await ingest_and_kill(url, process, f"r{round_no}", rng.uniform(0.3, 1.5), acked)
        assert len(acked) > before + 20, f"round {round_no}: too little traffic to prove anything ({len(acked) - before})"
        check_database(db, acked)
    # restart once more: the acknowledged events are there, and a client retrying them (the
    # hook's spool does) stores nothing twice
    process, url = await start_serve(db, spool)
    try:
        async with aiohttp.ClientSession(base_url=url) as http:
            for event_id in acked[:: max(1, len(acked) // 50)]:
                body = json.dumps({"session_id": "retry", "hook_event_name": "Stop"})
                async with http.post("/event", data=body, headers={**JSON, "X-Claude-Watch-Event-Id": event_id}) as response:
                    assert response.status == 200
            async with http.get("/health") as response:
                assert (await response.json())["status"] == "ok"
            # free-text search still finds every event (each one names the Bash tool) after the crashes
            found, before = 0, None
            while True:
                params = {"q": "Bash", "limit": "1000", **({"before": before} if before else {})}
                async with http.get("/events", params=params) as response:
                    page = await response.json()
                found += len(page["events"])
                if not (before := page["next_cursor"]):
                    break
            assert found == check_database(db, acked)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert check_database(db, acked) >= len(acked)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_healthy(url: str, deadline_s: float) -> bool:
    deadline = time.monotonic() + deadline_s
    async with aiohttp.ClientSession(base_url=url, timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                async with http.get("/health") as response:
                    if response.status == 200:
                        return True
            await asyncio.sleep(0.1)  # an external process: poll with a bounded deadline
    return False


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is needed to run the monitor in a terminal")
async def test_kill_9_monitor_in_tmux_during_ingest_loses_no_acknowledged_event(tmp_path: Path) -> None:
    db, spool = tmp_path / "events.db", tmp_path / "spool"
    socket_name = f"cw-durability-{os.getpid()}"
    rng = random.Random(7)
    acked: list[str] = []
    tmux = ["tmux", "-L", socket_name]
    try:
        for round_no in range(2):
            port = free_port()
            command = " ".join([*CLI, "--port", str(port), "--db", str(db)])
            subprocess.run([*tmux, "new-session", "-d", "-x", "160", "-y", "48", "-s", f"r{round_no}",
                            f"CLAUDE_WATCH_SPOOL={spool} exec {command}"], check=True, timeout=10)
            url = f"http://127.0.0.1:{port}"
            if not await wait_healthy(url, 30):
                screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", f"r{round_no}"], capture_output=True, text=True)
                pytest.fail(f"the monitor did not start in tmux within 30 s:\n{screen.stdout}")
            pid = int(subprocess.run([*tmux, "display-message", "-p", "-t", f"r{round_no}", "#{pane_pid}"],
                                     capture_output=True, text=True, check=True).stdout)

            class Killable:
                def send_signal(self, signum: int) -> None:
                    os.kill(pid, signum)

                async def wait(self) -> None:
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline:
                        try:
                            os.kill(pid, 0)
                        except ProcessLookupError:
                            return
                        await asyncio.sleep(0.05)

            before = len(acked)
            await ingest_and_kill(url, Killable(), f"tui{round_no}", rng.uniform(0.5, 1.5), acked)
            assert len(acked) > before + 20
            subprocess.run([*tmux, "kill-session", "-t", f"r{round_no}"], capture_output=True)
            check_database(db, acked)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)

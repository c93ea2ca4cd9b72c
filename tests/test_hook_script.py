"""The real hook script (hooks/claude-watch-hook), run as Claude Code runs it, against a real
collector on port 0. In every case: exit code 0, nothing on stdout, nothing on stderr.

The collector runs in this test's event loop, so hooks are started with asyncio subprocesses
(a blocking subprocess.run would stall the collector they talk to).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from claude_watch.collector import Collector, CollectorConfig
from claude_watch.hooks_install import hook_script_path
from claude_watch.store import EventFilter, Store

SAMPLES = Path("/work/shared/samples")
HOOK = hook_script_path()
SHELLS = [s for s in ("/bin/sh", shutil.which("bash")) if s]


def sample_lines() -> list[str]:
    path = SAMPLES / "session-webshop.ndjson"
    if path.exists():
        return [line for line in path.read_text().splitlines() if line.strip()]
    return [
        json.dumps(
            {
                "session_id": "8f2c1e34-5b6d-4a7e-9c0f-1a2b3c4d5e6f",
                "cwd": "/home/dev/code/webshop",
                "hook_event_name": "PreToolUse",
                "tool_name": "Bash",
                "tool_input": {"command": f"echo {i}"},
                "tool_use_id": f"toolu_{i}",
            }
        )
        for i in range(10)
    ]


LINES = sample_lines()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class HookRun:
    def __init__(self, rc: int, out: bytes, err: bytes, seconds: float) -> None:
        self.rc, self.out, self.err, self.seconds = rc, out, err, seconds

    def assert_silent_success(self) -> None:
        assert (self.rc, self.out, self.err) == (0, b"", b""), (self.rc, self.out, self.err)


async def run_hook(
    body: str | bytes,
    env: dict[str, str],
    shell: str = "/bin/sh",
    script: Path = HOOK,
) -> HookRun:
    """Run the hook like Claude Code: JSON on stdin, no terminal, its own environment."""
    data = body.encode() if isinstance(body, str) else body
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        shell,
        str(script),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    out, err = await asyncio.wait_for(proc.communicate(data), timeout=30)
    return HookRun(proc.returncode, out, err, time.perf_counter() - started)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "data" / "spool"  # the hook creates it


def hook_env(home: Path, spool: Path | None, url: str, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CLAUDE_WATCH_URL": url,
        "CLAUDE_PROJECT_DIR": "/home/dev/code/webshop",
        "CLAUDE_CODE_SESSION_ID": "8f2c1e34-5b6d-4a7e-9c0f-1a2b3c4d5e6f",
    }
    if spool is not None:
        env["CLAUDE_WATCH_SPOOL"] = str(spool)
    env.update(extra)
    return env


async def start_collector(tmp_path: Path, spool: Path, token: str | None = None) -> Collector:
    c = Collector(
        CollectorConfig(
            host="127.0.0.1",
            port=0,
            db_path=tmp_path / "db" / "events.db",
            spool_dir=spool,
            token=token,
            spool_interval_s=0.1,
        )
    )
    await c.start()
    return c


@pytest.fixture
async def collector(tmp_path: Path, spool: Path) -> AsyncIterator[Collector]:
    c = await start_collector(tmp_path, spool)
    try:
        yield c
    finally:
        await c.stop()


async def stored(store: Store) -> list:
    page = await store.list_events(EventFilter(), limit=1000, with_payload=True)
    return sorted(page.events, key=lambda e: (e.ts, e.id))


async def wait_for_total(store: Store, n: int, timeout: float = 10) -> None:
    """The hook delivers in the background: wait (on the store's commits) until n are stored."""
    committed = asyncio.Event()
    unsubscribe = store.subscribe(lambda _events: committed.set())
    try:
        async with asyncio.timeout(timeout):
            while await store.total_events() < n:
                await committed.wait()
                committed.clear()
    finally:
        unsubscribe()


def spooled(spool: Path) -> list[Path]:
    return sorted(spool.glob("*.event")) if spool.is_dir() else []


async def until(condition, timeout: float = 5) -> None:
    """Wait for a change another process makes to the file system (nothing to subscribe to)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def spool_emptied(spool: Path) -> None:
    await until(lambda: spooled(spool) == [])


@pytest.mark.parametrize("shell", SHELLS)
async def test_event_arrives_with_project_and_capture_time(
    collector: Collector, home: Path, spool: Path, shell: str
) -> None:
    line = next(li for li in LINES if '"PreToolUse"' in li)
    before = now_ms()
    run = await run_hook(line, hook_env(home, spool, collector.address), shell=shell)
    after = now_ms()
    run.assert_silent_success()
    await wait_for_total(collector.store, 1)
    [event] = await stored(collector.store)
    assert event.payload == line  # unchanged
    assert event.project == "webshop"
    assert event.event_type == "PreToolUse"
    assert before <= event.ts <= after
    assert event.ts <= event.received_at
    assert event.event_id.startswith(f"{event.ts}-")  # the hook's id: <ms>-<pid>-<random>
    await spool_emptied(spool)  # the safety copy goes once the collector has committed


async def test_explicit_project_and_token(tmp_path: Path, home: Path, spool: Path) -> None:
    c = await start_collector(tmp_path, spool, token="s3cret-t0ken")
    try:
        env = hook_env(home, spool, c.address, CLAUDE_WATCH_TOKEN="s3cret-t0ken", CLAUDE_WATCH_PROJECT="shop-v2")
        (await run_hook(LINES[0], env)).assert_silent_success()
        await wait_for_total(c.store, 1)
        [event] = await stored(c.store)
        assert event.project == "shop-v2"
        await spool_emptied(spool)
        # a wrong token is refused (401): the event is spooled, not lost, and the token never
        # lands in the spool file
        env["CLAUDE_WATCH_TOKEN"] = "wrong"
        await c.drainer.stop()  # keep the spooled copy in place to look at it
        (await run_hook(LINES[1], env)).assert_silent_success()
        await until(lambda: (spool / ".collector-down").exists())  # the POST failed: 401
        [file] = spooled(spool)
        assert b"wrong" not in file.read_bytes() and b"Authorization" not in file.read_bytes()
    finally:
        await c.stop()


async def test_collector_down_spools_then_drain_keeps_times(
    tmp_path: Path, home: Path, spool: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = hook_env(home, spool, url)
    before = now_ms()
    for line in LINES[:5]:
        run = await run_hook(line, env)
        run.assert_silent_success()
        assert run.seconds < 1.0  # connection refused: no waiting
    files = spooled(spool)
    assert len(files) == 5
    assert stat.S_IMODE(spool.stat().st_mode) == 0o700
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert [p.name for p in spool.iterdir() if p.name.startswith(".tmp-")] == []
    head, _, body = files[0].read_bytes().partition(b"\n\n")
    headers = dict(line.split(": ", 1) for line in head.decode().splitlines())
    ts = int(headers["X-Claude-Watch-Time"])
    assert before <= ts <= now_ms()
    assert files[0].name == headers["X-Claude-Watch-Event-Id"] + ".event"
    assert files[0].name.startswith(f"{ts}-")
    assert headers["X-Claude-Project-Dir"] == "/home/dev/code/webshop"
    assert body.decode() == LINES[0]
    spooled_ts = sorted(int(f.name.split("-")[0]) for f in files)

    c = await start_collector(tmp_path, spool)  # drains at start
    try:
        events = await stored(c.store)
        assert [e.ts for e in events] == spooled_ts  # original capture times, capture order
        assert [e.payload for e in events] == LINES[:5]
        assert {e.project for e in events} == {"webshop"}
        assert spooled(spool) == []
        assert c.spool_backlog() == 0
    finally:
        await c.stop()


async def test_running_collector_drains_what_arrives_in_the_spool(
    collector: Collector, home: Path, spool: Path
) -> None:
    """Events spooled while the collector runs (e.g. it was too slow) are drained within seconds."""
    env = hook_env(home, spool, f"http://127.0.0.1:{free_port()}")
    (await run_hook(LINES[0], env)).assert_silent_success()
    await wait_for_total(collector.store, 1)
    async with asyncio.timeout(5):
        while spooled(spool):
            await asyncio.sleep(0.02)


async def test_fifty_hooks_at_once_all_stored(collector: Collector, home: Path, spool: Path) -> None:
    env = hook_env(home, spool, collector.address)
    bodies = [
        json.dumps({**json.loads(LINES[i % len(LINES)]), "tool_use_id": f"toolu_par_{i:02d}"})
        for i in range(50)
    ]
    runs = await asyncio.gather(*(run_hook(b, env) for b in bodies))
    for run in runs:
        run.assert_silent_success()
    await wait_for_total(collector.store, 50)  # a few may have gone through the spool
    events = await stored(collector.store)
    assert sorted(json.loads(e.payload)["tool_use_id"] for e in events) == sorted(
        f"toolu_par_{i:02d}" for i in range(50)
    )
    assert len({e.event_id for e in events}) == 50


async def test_no_curl_on_path_spools_silently(
    collector: Collector, home: Path, spool: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin-without-curl"
    bin_dir.mkdir()
    for tool in ("sh", "cat", "date", "mv", "mkdir", "rm", "uname"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    env = hook_env(home, spool, collector.address, PATH=str(bin_dir))
    run = await run_hook(LINES[0], env, shell=str(bin_dir / "sh"))
    run.assert_silent_success()
    # not lost: spooled, and the running collector drains it
    await wait_for_total(collector.store, 1)
    [event] = await stored(collector.store)
    assert event.payload == LINES[0] and event.project == "webshop"

    # PATH with nothing at all on it: still silent, still exit 0
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    run = await run_hook(LINES[1], hook_env(home, spool, collector.address, PATH=str(empty)))
    run.assert_silent_success()


async def test_unwritable_spool_drops_silently(home: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # mkdir under a regular file fails even for root
    run = await run_hook(LINES[0], hook_env(home, blocker / "spool", url))
    run.assert_silent_success()
    assert blocker.read_text() == "not a folder"
    if os.geteuid() != 0:
        ro = tmp_path / "ro-spool"
        ro.mkdir(mode=0o500)
        run = await run_hook(LINES[0], hook_env(home, ro, url))
        run.assert_silent_success()
        assert list(ro.iterdir()) == []
    # no spool setting and an unwritable HOME
    run = await run_hook(LINES[0], hook_env(blocker, None, url))
    run.assert_silent_success()


async def test_default_spool_dir_matches_paths(home: Path, tmp_path: Path) -> None:
    """With no CLAUDE_WATCH_SPOOL the hook spools where the collector looks."""
    import subprocess
    import sys

    url = f"http://127.0.0.1:{free_port()}"
    xdg = tmp_path / "xdg"
    for extra in ({}, {"XDG_DATA_HOME": str(xdg)}):
        env = hook_env(home, None, url, **extra)
        (await run_hook(LINES[0], env)).assert_silent_success()
        expected = subprocess.run(
            [sys.executable, "-c", "from claude_watch.paths import default_spool_dir as d; print(d())"],
            env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        assert len(spooled(Path(expected))) >= 1, (expected, extra)


async def test_unresponsive_collector_gives_up_within_a_second(
    home: Path, spool: Path
) -> None:
    """A collector that accepts the connection but never answers."""
    hung: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hung.append(writer)
        await reader.read(-1)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        run = await run_hook(LINES[0], hook_env(home, spool, f"http://127.0.0.1:{port}"))
        run.assert_silent_success()
        assert run.seconds < 0.5  # Claude never waits on the network: the POST is in the background
        assert len(spooled(spool)) == 1  # safe on disk before the hook returned
        started = time.perf_counter()
        await until(lambda: (spool / ".collector-down").exists(), timeout=5)
        assert time.perf_counter() - started < 1.8  # the background POST gave up within ~1 s
    finally:
        for w in hung:
            w.close()
        server.close()
    assert len(spooled(spool)) == 1


async def test_large_body_posted_and_spooled_intact(
    collector: Collector, home: Path, spool: Path, tmp_path: Path
) -> None:
    big = json.dumps(
        {
            **json.loads(LINES[0]),
            "hook_event_name": "PostToolUse",
            "tool_name": "Read",
            "tool_use_id": "toolu_big",
            "tool_response": {"content": "x" * (3 * 1024 * 1024) + " é ✓ \\n \"quoted\" %s %d"},
        }
    )
    (await run_hook(big, hook_env(home, spool, collector.address))).assert_silent_success()
    await wait_for_total(collector.store, 1)
    [event] = await stored(collector.store)
    assert event.payload == big
    # and through the spool
    down = tmp_path / "spool2"
    (await run_hook(big, hook_env(home, down, f"http://127.0.0.1:{free_port()}"))).assert_silent_success()
    [f] = spooled(down)
    assert f.read_bytes().partition(b"\n\n")[2] == big.encode()


@pytest.mark.parametrize("body", [b"", b"\n"])
async def test_empty_stdin_is_a_no_op(body: bytes, home: Path, spool: Path) -> None:
    run = await run_hook(body, hook_env(home, spool, f"http://127.0.0.1:{free_port()}"))
    run.assert_silent_success()
    assert spooled(spool) == []


async def test_odd_environment_values_never_break_the_hook(
    collector: Collector, home: Path, spool: Path
) -> None:
    env = hook_env(
        home,
        spool,
        collector.address + "/",  # trailing slash
        CLAUDE_PROJECT_DIR="/home/dev/code/evil\nX-Injected: 1",
        CLAUDE_WATCH_PROJECT="",
        http_proxy="http://127.0.0.1:1",  # a proxy must not be used for a local collector
        HTTP_PROXY="http://127.0.0.1:1",
    )
    (await run_hook(LINES[0], env)).assert_silent_success()
    await wait_for_total(collector.store, 1)
    [event] = await stored(collector.store)
    assert event.project is None or "Injected" not in event.project
    await spool_emptied(spool)


async def test_circuit_breaker_spools_directly_then_recovers(
    tmp_path: Path, home: Path, spool: Path
) -> None:
    """After a failed POST, hooks of the next seconds spool without trying; a running
    collector's drainer clears the marker, and hooks POST again."""
    env = hook_env(home, spool, f"http://127.0.0.1:{free_port()}")
    (await run_hook(LINES[0], env)).assert_silent_success()
    marker = spool / ".collector-down"
    await until(lambda: marker.is_file() and marker.read_text().strip().isdigit())
    c = await start_collector(tmp_path, spool)  # drain at start clears the marker
    try:
        assert not marker.exists()
        assert await c.store.total_events() == 1
        env["CLAUDE_WATCH_URL"] = c.address
        # a fresh marker (as if another hook just failed): this hook spools without trying
        marker.write_text(f"{now_ms()}\n")
        (await run_hook(LINES[1], env)).assert_silent_success()
        await wait_for_total(c.store, 2)  # via the spool, drained by the running collector
        assert not marker.exists()
        # an old marker is ignored
        marker.write_text(f"{now_ms() - 60_000}\n")
        await c.drainer.stop()  # keep the marker in place for this check
        (await run_hook(LINES[2], env)).assert_silent_success()
        await wait_for_total(c.store, 3)
        await spool_emptied(spool)
        # garbage in the marker is ignored too
        marker.write_text("garbage")
        (await run_hook(LINES[3], env)).assert_silent_success()
        await wait_for_total(c.store, 4)
        await spool_emptied(spool)
    finally:
        await c.stop()


async def test_no_date_on_path_still_silent_and_no_fake_time(
    collector: Collector, home: Path, spool: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin-without-date"
    bin_dir.mkdir()
    for tool in ("sh", "cat", "curl", "mv", "mkdir", "rm"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    before = now_ms()
    env = hook_env(home, spool, collector.address, PATH=str(bin_dir))
    (await run_hook(LINES[0], env, shell=str(bin_dir / "sh"))).assert_silent_success()
    await wait_for_total(collector.store, 1)
    [event] = await stored(collector.store)
    assert event.ts >= before  # receipt time, never 1970
    # and through the spool
    env["CLAUDE_WATCH_URL"] = f"http://127.0.0.1:{free_port()}"
    (await run_hook(LINES[1], env, shell=str(bin_dir / "sh"))).assert_silent_success()
    await wait_for_total(collector.store, 2)
    assert all(e.ts >= before for e in await stored(collector.store))


async def test_no_date_spooled_events_get_unique_names(home: Path, spool: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin-without-date"
    bin_dir.mkdir()
    for tool in ("sh", "cat", "mv", "mkdir", "rm"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    env = hook_env(home, spool, f"http://127.0.0.1:{free_port()}", PATH=str(bin_dir), CLAUDE_PROJECT_DIR="")
    for line in LINES[:3]:
        (await run_hook(line, env, shell=str(bin_dir / "sh"))).assert_silent_success()
    files = spooled(spool)
    assert len(files) == 3
    assert sorted(f.read_bytes()[1:].decode() for f in files) == sorted(LINES[:3])

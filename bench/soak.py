"""Soak run (a bench script, not a test): a steady stream of events into the collector.

    .venv/bin/python bench/soak.py --tui                   # the monitor in tmux, 200 ev/s, 10 min
    .venv/bin/python bench/soak.py                         # `claude-watch serve`, same load
    .venv/bin/python bench/soak.py --rate 200 --duration 120 --baseline-at 30   # a quick check

With `--tui` the monitor (`claude-watch --port P --db X`) runs in a private tmux server (160x48)
and the filters are changed now and then through tmux keys (`/` + text, Escape, `a`, `f`, panes
`1`-`3`); without it, `claude-watch serve --port 0` runs as a plain child. Events are posted with
client-made `X-Claude-Watch-Event-Id`s at a fixed rate by a pool of aiohttp clients.

Measured: RSS of the collector process after the first minute (`--baseline-at`) and at the end,
samples every 10 s, request latency percentiles, errors. At the end every acknowledged id is
looked up through `GET /events` (paged with `before`): none may be missing or doubled. The exit
status is 1 when an event is missing or RSS grew more than `--max-growth` (10%) after the first
minute. Only ever talks to 127.0.0.1; the database is a fresh temp file unless `--db`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
JSON = {"Content-Type": "application/json"}
TOOLS = ["Bash", "Read", "Edit", "Grep", "Write", "WebFetch", "Task"]
# No Enter (it opens the detail view, where typed letters are commands: `e` exports) and no `e`.
FILTER_KEYS = [
    ["Escape", "Escape", "/", "B", "a", "s", "h"], ["Escape", "Escape"], ["/", "w", "e", "b", "s", "h", "o", "p"],
    ["Escape", "Escape"], ["a"], ["2"], ["3"], ["1"], ["f"], ["f"], ["/", "n", "p", "m", " ", "t", "e", "s", "t"],
    ["Escape", "Escape"], ["a"],
]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_event(rng: random.Random, n: int) -> dict:
    session = f"soak-{n // 400 % 25}"
    project = ["webshop", "api", "infra", "docs"][n // 400 % 4]
    kind = rng.choices(["PreToolUse", "PostToolUse", "UserPromptSubmit", "Notification", "Stop"], [40, 40, 8, 6, 6])[0]
    tool = rng.choice(TOOLS)
    body = {"session_id": session, "hook_event_name": kind, "cwd": f"/code/{project}", "transcript_path": "/tmp/t.jsonl"}
    if kind in ("PreToolUse", "PostToolUse"):
        body |= {"tool_name": tool, "tool_use_id": f"toolu_{n // 2:08d}",
                 "tool_input": {"command": f"npm test -- {n}" if tool == "Bash" else f"/code/{project}/src/f{n % 50}.py"}}
        if kind == "PostToolUse":
            body["tool_response"] = {"stdout": "ok " * rng.randint(1, 400), "exit_code": 0 if n % 13 else 1}
    elif kind == "UserPromptSubmit":
        body["prompt"] = "please fix the error in checkout " * rng.randint(1, 20)
    elif kind == "Notification":
        body |= {"message": "Claude needs your permission", "notification_type": "permission_prompt"}
    return body


class Collector:
    """The process under test: `serve` as a child, or the monitor in tmux."""

    def __init__(self, tui: bool, db: Path, spool: Path) -> None:
        self.tui, self.db, self.spool = tui, db, spool
        self.tmux = ["tmux", "-L", f"cw-soak-{os.getpid()}"]
        self.process: subprocess.Popen | None = None
        self.pid = 0
        self.url = ""

    def start(self) -> None:
        env = {**os.environ, "CLAUDE_WATCH_SPOOL": str(self.spool)}
        if self.tui:
            if shutil.which("tmux") is None:
                sys.exit("soak: --tui needs tmux")
            port = free_port()
            command = f"CLAUDE_WATCH_SPOOL={self.spool} exec {PYTHON} -m claude_watch --port {port} --db {self.db}"
            # its own working folder: the monitor's `e` (export) writes files there
            subprocess.run([*self.tmux, "new-session", "-d", "-x", "160", "-y", "48", "-s", "soak", "-c",
                            str(self.db.parent), command], check=True)
            self.url = f"http://127.0.0.1:{port}"
            self.pid = int(subprocess.run([*self.tmux, "display-message", "-p", "-t", "soak", "#{pane_pid}"],
                                          capture_output=True, text=True, check=True).stdout)
        else:
            self.process = subprocess.Popen([str(PYTHON), "-m", "claude_watch", "serve", "--port", "0", "--db", str(self.db)],
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
            self.url = self.process.stdout.readline().strip()
            if not self.url.startswith("http://"):
                sys.exit("soak: serve did not start")
            self.pid = self.process.pid

    def keys(self, keys: list[str]) -> None:
        if self.tui:
            subprocess.run([*self.tmux, "send-keys", "-t", "soak", *keys], capture_output=True)

    def screen(self) -> str:
        if not self.tui:
            return ""
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "soak"], capture_output=True, text=True).stdout

    def stop(self) -> None:
        if self.tui:
            self.keys(["q"])
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and Path(f"/proc/{self.pid}").exists():
                time.sleep(0.1)
            subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        elif self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)


async def wait_healthy(url: str, deadline_s: float = 60) -> None:
    end = time.monotonic() + deadline_s
    async with aiohttp.ClientSession(base_url=url, timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < end:
            try:
                async with http.get("/health") as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                pass
            await asyncio.sleep(0.2)
    sys.exit(f"soak: no collector answering at {url}")


async def all_event_ids(url: str) -> list[str]:
    ids: list[str] = []
    before = None
    async with aiohttp.ClientSession(base_url=url, timeout=aiohttp.ClientTimeout(total=120)) as http:
        while True:
            params = {"limit": "1000", **({"before": before} if before else {})}
            async with http.get("/events", params=params) as response:
                page = await response.json()
            ids.extend(e["event_id"] for e in page["events"])
            before = page["next_cursor"]
            if not before:
                return ids


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def soak(args: argparse.Namespace, collector: Collector) -> dict:
    rng = random.Random(args.seed)
    acked: list[str] = []
    errors: dict[str, int] = {}
    latencies: list[float] = []
    samples: list[tuple[float, int]] = []
    total = int(args.rate * args.duration)
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=args.rate * 2)
    baseline: int | None = None
    start = time.monotonic()

    async def worker(http: aiohttp.ClientSession) -> None:
        while (n := await queue.get()) is not None:
            event_id = f"soak-{args.seed}-{n}"
            body = json.dumps(make_event(rng, n))
            t = time.monotonic()
            try:
                async with http.post("/event", data=body, headers={**JSON, "X-Claude-Watch-Event-Id": event_id}) as response:
                    await response.read()
                    if response.status == 200:
                        acked.append(event_id)
                    else:
                        errors[str(response.status)] = errors.get(str(response.status), 0) + 1
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            latencies.append(time.monotonic() - t)

    async def monitor() -> None:
        nonlocal baseline
        next_sample, next_keys, key_index = 0.0, args.filter_every, 0
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= next_sample:
                samples.append((round(elapsed, 1), rss_kib(collector.pid)))
                next_sample += 10
            if baseline is None and elapsed >= args.baseline_at:
                baseline = rss_kib(collector.pid)
                print(f"[{elapsed:6.1f}s] baseline RSS {baseline / 1024:.1f} MiB", flush=True)
            if collector.tui and elapsed >= next_keys:
                collector.keys(FILTER_KEYS[key_index % len(FILTER_KEYS)])
                key_index += 1
                next_keys += args.filter_every
            await asyncio.sleep(0.5)

    connector = aiohttp.TCPConnector(limit=args.clients)
    async with aiohttp.ClientSession(base_url=collector.url, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:
        workers = [asyncio.create_task(worker(http)) for _ in range(args.clients)]
        watcher = asyncio.create_task(monitor())
        for n in range(total):  # a fixed rate: event n is due at start + n / rate
            delay = start + n / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await queue.put(n)
            if n and n % (args.rate * 60) == 0:
                print(f"[{time.monotonic() - start:6.1f}s] sent {n}, acked {len(acked)}, errors {errors}, "
                      f"RSS {rss_kib(collector.pid) / 1024:.1f} MiB", flush=True)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
        watcher.cancel()
    elapsed = time.monotonic() - start
    final_rss = rss_kib(collector.pid)
    samples.append((round(elapsed, 1), final_rss))
    stored = await all_event_ids(collector.url)
    stored_set = set(stored)
    missing = [i for i in acked if i not in stored_set]
    doubled = len(stored) - len(stored_set)
    baseline = baseline or samples[0][1]
    return {
        "mode": "tui (tmux)" if collector.tui else "serve",
        "rate_target": args.rate,
        "duration_s": round(elapsed, 1),
        "sent": total,
        "acknowledged": len(acked),
        "errors": errors,
        "achieved_rate": round(len(acked) / elapsed, 1),
        "latency_ms": {p: round(percentile(latencies, p) * 1000, 1) for p in (50, 95, 99, 100)},
        "rss_baseline_mib": round(baseline / 1024, 1),
        "rss_end_mib": round(final_rss / 1024, 1),
        "rss_growth_pct": round((final_rss - baseline) / baseline * 100, 1),
        # SQLite's page caches (32 MB a connection) keep filling for a few minutes as the file grows
        "rss_growth_pct_after_3_min": next((round((final_rss - kib) / kib * 100, 1) for t, kib in samples if t >= 180), None),
        "rss_samples_mib": [(t, round(kib / 1024, 1)) for t, kib in samples],
        "stored_via_api": len(stored),
        "missing": len(missing),
        "missing_sample": missing[:10],
        "doubled": doubled,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tui", action="store_true", help="run the monitor in tmux (default: claude-watch serve)")
    parser.add_argument("--rate", type=int, default=200, help="events per second (default 200)")
    parser.add_argument("--duration", type=float, default=600, help="seconds (default 600)")
    parser.add_argument("--baseline-at", type=float, default=60, help="seconds until the baseline RSS (default 60)")
    parser.add_argument("--filter-every", type=float, default=20, help="seconds between filter changes with --tui")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (default 16)")
    parser.add_argument("--max-growth", type=float, default=10.0, help="allowed RSS growth after the baseline, %%")
    parser.add_argument("--db", type=Path, help="database (default: a fresh temp file)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="claude-watch-soak-"))
    db = args.db or workdir / "soak.db"
    collector = Collector(args.tui, db, workdir / "spool")
    collector.start()
    try:
        asyncio.run(wait_healthy(collector.url))
        print(f"soak: {'monitor in tmux' if args.tui else 'serve'} pid {collector.pid} at {collector.url}, db {db}; "
              f"{args.rate} ev/s for {args.duration:.0f} s", flush=True)
        summary = asyncio.run(soak(args, collector))
        screen = collector.screen()
    finally:
        collector.stop()
    print(json.dumps(summary, indent=2))
    if screen:
        print("last screen:\n" + screen)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    ok = summary["missing"] == 0 and summary["doubled"] == 0 and summary["rss_growth_pct"] <= args.max_growth
    print("soak: OK" if ok else "soak: FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

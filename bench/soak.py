"""Soak run (a bench script, not a test): a steady stream of events into the collector.

    .venv/bin/python bench/soak.py --tui                   # the monitor in tmux, 200 ev/s, 10 min
    .venv/bin/python bench/soak.py                         # `claude-watch serve`, same load
    .venv/bin/python bench/soak.py --rate 200 --duration 120 --baseline-at 30   # a quick check

With `--tui` the monitor (`claude-watch --port P --db X`) runs in a private tmux server (160x48)
and the filters are changed now and then through tmux keys (`/` + text, Escape, `a`, `f`, panes
`1`-`3`); without it, `claude-watch serve --port 0` runs as a plain child. Events are posted with
client-made `X-Claude-Watch-Event-Id`s at a fixed rate by a pool of aiohttp clients.

Measured: RSS of the collector process after the first minute (`--baseline-at`) and at the end,
(with `--tui` the last `--settle` 30 s run with the filters cleared, the state the baseline is
taken in: a text filter on screen holds ~4 MiB more while it is on), the peak, samples every 10 s, request latency percentiles, errors. At the end every acknowledged id is
looked up through `GET /events` (paged with `before`): none may be missing or doubled. The exit
status is 1 when an event is missing or RSS grew more than `--max-growth` (10%) after the first
minute. Only ever talks to 127.0.0.1; the database is a fresh temp file unless `--db` (removed at
the end unless `--keep`).

Looking into memory: `--probe` starts the process under test through `bench/memprobe.py`, which
records RSS, glibc's heap, SQLite's own memory and Python's heap at every 10 s sample (SIGUSR1);
`--tracemalloc N` also traces Python's allocations (N frames), dumps a snapshot once a minute and
prints at the end the allocation sites grown from the baseline on (slow: the monitor may fall
behind 200 events/s, use a lower --rate to find sites, not to measure). `--tree DIR` runs the claude_watch
package found in DIR (a git worktree with a proposed change) instead of this one, `--env K=V`
sets variables for it (e.g. MALLOC_ARENA_MAX=2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shlex
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
# Filter changes, one every --filter-every seconds, round and round. ("text", words): `/`, wait until
# the filter bar is open, type the words, check the view says `text:"words"`. Typing them with the
# `/` in one go is a race: Textual moves the focus on a later turn of its loop, so keys queued
# behind the `/` went to the monitor's own bindings (`a` shows all, `e` exported the whole
# database: 10-90 MB files, 25 MB of transient heap each, in earlier soaks) and the text filter
# was never applied. No Enter either (it opens the detail view, where letters are commands).
FILTER_STEPS: list[tuple[str, object]] = [
    ("text", "Bash"), ("keys", ["Escape", "Escape"]), ("text", "webshop"), ("keys", ["Escape", "Escape"]),
    ("keys", ["a"]), ("keys", ["2"]), ("keys", ["3"]), ("keys", ["1"]), ("keys", ["f"]), ("keys", ["f"]),
    ("text", "npm test"), ("keys", ["Escape", "Escape"]), ("keys", ["a"]),
]
FILTER_BAR_HINT = "enter applies, esc clears"  # the open filter bar's placeholder


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

    def __init__(self, tui: bool, db: Path, spool: Path, probe: Path | None = None, tree: Path | None = None,
                 env: dict[str, str] | None = None, tracemalloc: int = 0) -> None:
        self.tui, self.db, self.spool = tui, db, spool
        self.probe, self.tree, self.tracemalloc = probe, tree, tracemalloc
        self.snapshots = spool.parent / "tracemalloc"
        self.extra_env = dict(env or {})
        self.tmux = ["tmux", "-L", f"cw-soak-{os.getpid()}"]
        self.process: subprocess.Popen | None = None
        self.pid = 0
        self.url = ""

    def child_env(self) -> dict[str, str]:
        env = {"CLAUDE_WATCH_SPOOL": str(self.spool)}
        if self.tree is not None:
            env["PYTHONPATH"] = str(self.tree)
        if self.probe is not None:
            env |= {"CW_PROBE_OUT": str(self.probe), "CW_PROBE_EVERY": "0"}
            if self.tracemalloc:
                # snapshots to disk, compared here at the end: comparing inside the monitor took
                # seconds of its loop each time and it fell behind the load
                self.snapshots.mkdir(exist_ok=True)
                env |= {"CW_PROBE_TRACEMALLOC": str(self.tracemalloc), "CW_PROBE_DUMP_DIR": str(self.snapshots)}
        return env | self.extra_env

    def program(self) -> list[str]:
        if self.probe is not None:
            return [str(PYTHON), str(ROOT / "bench" / "memprobe.py")]
        return [str(PYTHON), "-m", "claude_watch"]

    def start(self) -> None:
        env = {**os.environ, **self.child_env()}
        if self.tui:
            if shutil.which("tmux") is None:
                sys.exit("soak: --tui needs tmux")
            port = free_port()
            # `exec`: the pane's process is the monitor itself, not a shell above it
            assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.child_env().items())
            program = " ".join(shlex.quote(part) for part in self.program())
            command = f"{assignments} exec {program} --port {port} --db {shlex.quote(str(self.db))}"
            # its own working folder: the monitor's `e` (export) writes files there
            subprocess.run([*self.tmux, "new-session", "-d", "-x", "160", "-y", "48", "-s", "soak", "-c",
                            str(self.db.parent), command], check=True)
            self.url = f"http://127.0.0.1:{port}"
            self.pid = int(subprocess.run([*self.tmux, "display-message", "-p", "-t", "soak", "#{pane_pid}"],
                                          capture_output=True, text=True, check=True).stdout)
        else:
            self.process = subprocess.Popen([*self.program(), "serve", "--port", "0", "--db", str(self.db)],
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
            self.url = self.process.stdout.readline().strip()
            if not self.url.startswith("http://"):
                sys.exit("soak: serve did not start")
            self.pid = self.process.pid

    def check_process(self) -> str:
        """What is measured: the monitor's own process (not tmux, not a shell), and its threads."""
        cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        threads = len(list(Path(f"/proc/{self.pid}/task").iterdir()))
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        if "claude_watch" not in cmdline and "memprobe" not in cmdline:
            sys.exit(f"soak: pid {self.pid} is not claude-watch: {cmdline}")
        return f"{cmdline} ({threads} threads, {len(children)} child processes)"

    def sample_probe(self) -> None:
        if self.probe is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGUSR1)

    def keys(self, keys: list[str], literal: bool = False) -> None:
        if self.tui:
            subprocess.run([*self.tmux, "send-keys", "-t", "soak", *(["-l"] if literal else []), *keys],
                           capture_output=True)

    async def wait_screen(self, predicate, timeout_s: float = 10.0) -> bool:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if predicate(await asyncio.to_thread(self.screen)):
                return True
            await asyncio.sleep(0.2)
        return False

    async def text_filter(self, words: str) -> bool:
        """Open the filter bar, type `words` once it has the focus; True when the view shows them."""
        self.keys(["Escape", "Escape"])
        await asyncio.sleep(0.3)
        self.keys(["/"])
        if not await self.wait_screen(lambda screen: FILTER_BAR_HINT in screen):
            return False
        await asyncio.sleep(0.3)  # the focus moves on a later turn of the app's loop than the bar opens
        self.keys([words], literal=True)
        return await self.wait_screen(lambda screen: f'text:"{words}"' in screen)

    def exports_written(self) -> list[Path]:
        """Files the monitor's `e` wrote (its working folder is the database's): none expected."""
        return sorted(self.db.parent.glob("claude-watch-export-*"))

    def screen(self) -> str:
        if not self.tui:
            return ""
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "soak"], capture_output=True, text=True).stdout

    def stop(self) -> None:
        if self.tui:
            # Esc first: with the filter bar focused, `q` would be typed into it, not quit
            self.keys(["Escape", "Escape"])
            time.sleep(0.5)
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
    error_samples: dict[str, str] = {}  # the first answer of each failing status
    latencies: list[float] = []
    samples: list[tuple[float, int]] = []
    total = int(args.rate * args.duration)
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=args.rate * 2)
    baseline: int | None = None
    filters = {"text_applied": 0, "text_not_applied": 0, "keys": 0}
    load_at_start = os.getloadavg()
    start = time.monotonic()

    async def worker(http: aiohttp.ClientSession) -> None:
        while (n := await queue.get()) is not None:
            event_id = f"soak-{args.seed}-{n}"
            body = json.dumps(make_event(rng, n))
            t = time.monotonic()
            try:
                async with http.post("/event", data=body, headers={**JSON, "X-Claude-Watch-Event-Id": event_id}) as response:
                    text = (await response.read()).decode(errors="replace")
                    if response.status == 200:
                        acked.append(event_id)
                    else:
                        errors[str(response.status)] = errors.get(str(response.status), 0) + 1
                        error_samples.setdefault(str(response.status), text[:300])
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            latencies.append(time.monotonic() - t)

    async def monitor() -> None:
        nonlocal baseline
        next_sample = 0.0
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= next_sample:
                samples.append((round(elapsed, 1), rss_kib(collector.pid)))
                collector.sample_probe()
                next_sample += 10
            if baseline is None and elapsed >= args.baseline_at:
                baseline = rss_kib(collector.pid)
                print(f"[{elapsed:6.1f}s] baseline RSS {baseline / 1024:.1f} MiB", flush=True)
            await asyncio.sleep(0.5)

    async def change_filters() -> None:
        """Every --filter-every s a step; the last --settle s with the filters cleared, as they are
        at the baseline, so that the end is measured in the same state (a text filter on screen
        holds a few MiB while it is on, given back when it is cleared)."""
        step = 0
        last_change = start + args.duration - args.settle
        while True:
            due = start + args.filter_every * (step + 1)
            if due >= last_change:
                await asyncio.sleep(last_change - time.monotonic())
                collector.keys(["Escape", "Escape"])
                collector.keys(["a"])
                filters["cleared_at_s"] = round(time.monotonic() - start, 1)
                return
            await asyncio.sleep(due - time.monotonic())
            kind, what = FILTER_STEPS[step % len(FILTER_STEPS)]
            if kind == "text":
                applied = await collector.text_filter(str(what))
                filters["text_applied" if applied else "text_not_applied"] += 1
            else:
                collector.keys(list(what))  # type: ignore[arg-type]
                filters["keys"] += 1
            step += 1

    connector = aiohttp.TCPConnector(limit=args.clients)
    async with aiohttp.ClientSession(base_url=collector.url, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:
        workers = [asyncio.create_task(worker(http)) for _ in range(args.clients)]
        watcher = asyncio.create_task(monitor())
        changer = asyncio.create_task(change_filters()) if collector.tui else None
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
        if changer is not None:
            changer.cancel()
    elapsed = time.monotonic() - start
    final_rss = rss_kib(collector.pid)
    samples.append((round(elapsed, 1), final_rss))
    collector.sample_probe()
    stored = await all_event_ids(collector.url)
    stored_set = set(stored)
    missing = [i for i in acked if i not in stored_set]
    doubled = len(stored) - len(stored_set)
    baseline = baseline or samples[0][1]
    return {
        "mode": "tui (tmux)" if collector.tui else "serve",
        "load_average_start_end": [load_at_start, os.getloadavg()],
        "rate_target": args.rate,
        "duration_s": round(elapsed, 1),
        "sent": total,
        "acknowledged": len(acked),
        "errors": errors,
        "error_samples": error_samples,
        "achieved_rate": round(len(acked) / elapsed, 1),
        "latency_ms": {p: round(percentile(latencies, p) * 1000, 1) for p in (50, 95, 99, 100)},
        "rss_baseline_mib": round(baseline / 1024, 1),
        "rss_end_mib": round(final_rss / 1024, 1),
        "rss_growth_pct": round((final_rss - baseline) / baseline * 100, 1),
        "rss_peak_mib": round(max(kib for _, kib in samples) / 1024, 1),
        # the same growth measured from the 3-minute sample: a check on the baseline, not the target
        "rss_growth_pct_after_3_min": next((round((final_rss - kib) / kib * 100, 1) for t, kib in samples if t >= 180), None),
        "rss_samples_mib": [(t, round(kib / 1024, 1)) for t, kib in samples],
        "stored_via_api": len(stored),
        "missing": len(missing),
        "missing_sample": missing[:10],
        "doubled": doubled,
        "filter_changes": filters if collector.tui else None,
        "exports_written": [str(path) for path in collector.exports_written()],
    }


def tracemalloc_growth(folder: Path, after_s: float, top: int = 20) -> str:
    """Python allocation sites grown from the first snapshot after `after_s` to the last one."""
    import tracemalloc

    files = sorted(folder.glob("snap-*.tracemalloc"))
    times = [float(f.stem.split("-")[1]) for f in files]
    first = next((f for f, t in zip(files, times) if t >= after_s), None)
    if first is None or first == files[-1]:
        return "(too few tracemalloc snapshots)"
    a, b = tracemalloc.Snapshot.load(str(first)), tracemalloc.Snapshot.load(str(files[-1]))
    lines = [f"tracemalloc, {first.stem} -> {files[-1].stem}: "
             f"{(sum(t.size for t in b.traces) - sum(t.size for t in a.traces)) / 1024:+.0f} KiB traced"]
    for stat in b.compare_to(a, "lineno")[:top]:
        frame = stat.traceback[0]
        lines.append(f"  {stat.size_diff / 1024:+8.1f} KiB {stat.count_diff:+7d}  "
                     f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}")
    return "\n".join(lines)


def probe_table(path: Path) -> str:
    """The probe's samples, one line each: where the process's memory is."""
    if not path.exists():
        return "(no probe samples)"
    lines = ["   t   RSS  anon  file | malloc used  free  mmap arenas | sqlite used  caches | py blocks  objects"]
    first_t = None
    records = [json.loads(raw) for raw in path.read_text().splitlines()]
    samples = [r for r in records if r["reason"] != "peak"]
    if not samples:
        return "(no probe samples)"
    for s in samples:
        first_t = s["t"] if first_t is None else first_t
        m = s.get("malloc_kib", {})
        caches = sum(c.get("cache_used", 0) for c in s.get("sqlite_connections", [])) // 1024
        lines.append(
            f"{s['t'] - first_t:5.0f} {s['rss_kib'] / 1024:5.1f} {s['rss_anon_kib'] / 1024:5.1f} {s['rss_file_kib'] / 1024:5.1f}"
            f" | {m.get('in_use', 0) / 1024:11.1f} {m.get('free_kept', 0) / 1024:5.1f} {m.get('mmapped', 0) / 1024:5.1f}"
            f" {s.get('malloc_arenas') or 0:6d} | {s.get('sqlite_kib', {}).get('used', 0) / 1024:11.1f} {caches / 1024:7.1f}"
            f" | {s['py_blocks']:9d} {s['gc_objects']:8d}")
    lines.append("resident MiB by mapping kind (first -> last sample):")
    first, last = samples[0].get("smaps_kib", {}), samples[-1].get("smaps_kib", {})
    for kind in sorted(set(first) | set(last), key=lambda k: -last.get(k, 0)):
        lines.append(f"  {kind:32s} {first.get(kind, 0) / 1024:6.1f} -> {last.get(kind, 0) / 1024:6.1f}")
    if "traced_kib" in last:
        lines.append(f"tracemalloc: {samples[0]['traced_kib']} -> {last['traced_kib']}; grown since the first sample:")
        lines += ["  " + site for site in last.get("traced_top_since_first", [])]
    for peak in (r for r in records if r["reason"] == "peak"):
        lines.append(f"transient peak at {peak['t'] - first_t:.0f} s: +{peak['traced_over_previous_kib']} KiB traced")
        lines += ["  " + site for site in peak["peak_top"][:8]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tui", action="store_true", help="run the monitor in tmux (default: claude-watch serve)")
    parser.add_argument("--rate", type=int, default=200, help="events per second (default 200)")
    parser.add_argument("--duration", type=float, default=600, help="seconds (default 600)")
    parser.add_argument("--baseline-at", type=float, default=60, help="seconds until the baseline RSS (default 60)")
    parser.add_argument("--filter-every", type=float, default=20, help="seconds between filter changes with --tui")
    parser.add_argument("--settle", type=float, default=30,
                        help="with --tui: the last seconds run with the filters cleared, as at the baseline")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (default 16)")
    parser.add_argument("--max-growth", type=float, default=10.0, help="allowed RSS growth after the baseline, %%")
    parser.add_argument("--db", type=Path, help="database (default: a fresh temp file)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--probe", action="store_true", help="run through bench/memprobe.py; print where memory is")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES", help="with --probe: trace Python allocations too")
    parser.add_argument("--tree", type=Path, help="run the claude_watch package in this folder (a worktree)")
    parser.add_argument("--env", action="append", default=[], metavar="K=V", help="environment for the process")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (database, probe samples)")
    args = parser.parse_args()
    if args.tracemalloc:
        args.probe = True
    if args.tree is not None and not (args.tree / "claude_watch" / "__init__.py").exists():
        sys.exit(f"soak: no claude_watch package in {args.tree}")
    workdir = Path(tempfile.mkdtemp(prefix="claude-watch-soak-"))
    db = args.db or workdir / "soak.db"
    probe = workdir / "probe.jsonl" if args.probe else None
    env = dict(item.split("=", 1) for item in args.env)
    collector = Collector(args.tui, db, workdir / "spool", probe=probe, tree=args.tree, env=env,
                          tracemalloc=args.tracemalloc)
    collector.start()
    screen = ""
    try:
        asyncio.run(wait_healthy(collector.url))
        print(f"soak: {'monitor in tmux' if args.tui else 'serve'} pid {collector.pid} at {collector.url}, db {db}; "
              f"{args.rate} ev/s for {args.duration:.0f} s; load average {os.getloadavg()}", flush=True)
        print(f"soak: measuring {collector.check_process()}", flush=True)
        summary = asyncio.run(soak(args, collector))
        screen = collector.screen()
    finally:
        collector.stop()
        if probe is not None:
            print(probe_table(probe))
            if args.tracemalloc:
                print(tracemalloc_growth(collector.snapshots, args.baseline_at))
            if args.keep:
                print(f"probe samples: {probe}")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.db is None:
            print(f"kept {workdir}")
    summary["command"] = " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    print(json.dumps(summary, indent=2))
    if screen:
        print("last screen:\n" + screen)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    ok = summary["missing"] == 0 and summary["doubled"] == 0 and summary["rss_growth_pct"] <= args.max_growth
    if summary["exports_written"] or (summary["filter_changes"] or {}).get("text_not_applied"):
        print("soak: the key presses did not do what they should (see filter_changes, exports_written):"
              " the run is not the one described", file=sys.stderr)
        ok = False
    print("soak: OK" if ok else "soak: FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Load test of the collector's write path: `POST /event` (one event a request) and `POST /events`.

    .venv/bin/python bench/ingest_load.py                        # both modes, wrk, 32 connections
    .venv/bin/python bench/ingest_load.py --mode single --duration 20 --connections 32
    .venv/bin/python bench/ingest_load.py --mode batch --batch-size 500 --batch-format ndjson
    .venv/bin/python bench/ingest_load.py --client py --procs 2  # aiohttp client processes instead of wrk

Starts `claude-watch serve --port 0 --db <fresh db>` (spool in a temp dir, so no real spool is
drained), drives it from another process (wrk with a Lua script by default; `apt-get install -y wrk`),
then reports events/s, latency percentiles, and the CPU the server and the client used, so a
client-bound run is visible (server CPU well below 100% of one core while the client is busy).
Request bodies come from bench/build_db.py's generator: realistic hook objects and sizes.
Only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from build_db import generate  # noqa: E402

CLAUDE_WATCH = ROOT / ".venv" / "bin" / "claude-watch"

LUA = r"""
local bodies = {}
local index = 0
local path = "%(path)s"
local endpoint = "%(endpoint)s"
local ctype = "%(ctype)s"
init = function(args)
  local f = assert(io.open(path, "rb"))
  local all = f:read("*a")
  f:close()
  local pos = 1
  while true do
    local stop = string.find(all, "\0", pos, true)
    if not stop then break end
    local body = string.sub(all, pos, stop - 1)
    bodies[#bodies + 1] = wrk.format("POST", endpoint, {["Content-Type"] = ctype, ["X-Claude-Project-Dir"] = "/home/dev/code/bench"}, body)
    pos = stop + 1
  end
  index = math.random(#bodies)
end
request = function()
  index = index %% #bodies + 1
  return bodies[index]
end
done = function(summary, latency, requests)
  io.write(string.format("JSONSTATS {\"requests\": %%d, \"errors_status\": %%d, \"errors_connect\": %%d, \"errors_timeout\": %%d, \"duration_us\": %%d, \"p50_us\": %%d, \"p90_us\": %%d, \"p99_us\": %%d, \"p999_us\": %%d, \"max_us\": %%d, \"mean_us\": %%f}\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.timeout, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
"""


def _bodies(n: int, batch_size: int, fmt: str, source: list[Path] | None = None) -> list[bytes]:
    if source:  # given NDJSON files (e.g. /work/shared/samples/*.ndjson), cycled up to n objects
        lines = [line for path in source for line in path.read_text().splitlines() if line.strip()]
        objects = [lines[i % len(lines)] for i in range(n)]
    else:
        raw = generate(n, int(time.time() * 1000), n_sessions=max(4, n // 500), seed=7)
        objects = [json.dumps(obj) for _, obj in raw]
    if batch_size <= 1:
        return [o.encode() for o in objects]
    out = []
    for start in range(0, len(objects) - batch_size + 1, batch_size):
        chunk = objects[start : start + batch_size]
        out.append(("\n".join(chunk) + "\n" if fmt == "ndjson" else "[" + ", ".join(chunk) + "]").encode())
    return out


def _cpu_seconds(pid: int) -> float:
    """user+system CPU of a process and its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, db: Path, workdir: Path, command: list[str] | None = None) -> None:
        env = {**os.environ, "CLAUDE_WATCH_SPOOL": str(workdir / "spool"), "CLAUDE_WATCH_TOKEN": ""}
        env.pop("CLAUDE_WATCH_TOKEN")
        self.proc = subprocess.Popen(
            [*(command or [str(CLAUDE_WATCH)]), "serve", "--host", "127.0.0.1", "--port", "0", "--db", str(db)],
            stdout=subprocess.PIPE, stderr=open(workdir / "server.log", "wb"), env=env, text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise SystemExit(f"server did not start: {line!r}; see {workdir / 'server.log'}")
        self.url = line.rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])

    def cpu(self) -> float:
        return _cpu_seconds(self.proc.pid)

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _run_wrk(url: str, endpoint: str, ctype: str, bodies: list[bytes], connections: int, threads: int,
             duration: float, workdir: Path) -> dict:
    data = workdir / f"bodies{endpoint.replace('/', '_')}.bin"
    data.write_bytes(b"".join(b + b"\0" for b in bodies))
    script = workdir / "post.lua"
    script.write_text(LUA % {"path": data, "endpoint": endpoint, "ctype": ctype})
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(duration)}s", "--timeout", "10s",
           "-s", str(script), url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=duration + 60)
    match = re.search(r"JSONSTATS (\{.*\})", out)
    if not match:
        raise SystemExit(f"wrk failed:\n{out}")
    stats = json.loads(match.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    stats["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return stats


# -- the aiohttp client (several processes) ---------------------------------------------------------


def _py_worker(url: str, endpoint: str, ctype: str, bodies: list[bytes], connections: int, duration: float,
               warmup: float, queue: multiprocessing.Queue) -> None:
    import aiohttp

    async def run() -> dict:
        latencies: list[float] = []
        errors = 0
        start = time.perf_counter()
        measure_from = start + warmup
        stop_at = measure_from + duration
        headers = {"Content-Type": ctype, "X-Claude-Project-Dir": "/home/dev/code/bench"}
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector) as http:
            async def one(offset: int) -> None:
                nonlocal errors
                i = offset
                while (now := time.perf_counter()) < stop_at:
                    body = bodies[i % len(bodies)]
                    i += connections
                    async with http.post(url + endpoint, data=body, headers=headers) as response:
                        await response.read()
                        ok = response.status == 200
                    if now >= measure_from:
                        latencies.append(time.perf_counter() - now)
                        errors += not ok
            await asyncio.gather(*(one(k) for k in range(connections)))
        return {"latencies": latencies, "errors": errors}

    queue.put(asyncio.run(run()))


def _run_py(url: str, endpoint: str, ctype: str, bodies: list[bytes], connections: int, procs: int,
            duration: float, warmup: float = 2.0) -> dict:
    ctx = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue = ctx.Queue()
    per = max(1, connections // procs)
    workers = [ctx.Process(target=_py_worker, args=(url, endpoint, ctype, bodies[k::procs], per, duration, warmup, queue))
               for k in range(procs)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=duration + warmup + 120) for _ in workers]
    for w in workers:
        w.join()
    latencies = sorted(x for r in results for x in r["latencies"])

    def pct(p: float) -> int:
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6) if latencies else 0

    return {"requests": len(latencies), "errors_status": sum(r["errors"] for r in results), "errors_connect": 0,
            "errors_timeout": 0, "duration_us": int(duration * 1e6), "p50_us": pct(50), "p90_us": pct(90),
            "p99_us": pct(99), "p999_us": pct(99.9), "max_us": int(latencies[-1] * 1e6) if latencies else 0,
            "mean_us": sum(latencies) / max(1, len(latencies)) * 1e6, "non2xx": sum(r["errors"] for r in results)}


def run_one(args: argparse.Namespace, mode: str, workdir: Path) -> dict:
    batch_size = 1 if mode == "single" else args.batch_size
    endpoint = "/event" if mode == "single" else "/events"
    ctype = "application/x-ndjson" if mode == "batch" and args.batch_format == "ndjson" else "application/json"
    bodies = _bodies(args.pool, batch_size, args.batch_format, args.bodies)
    db = workdir / f"ingest-{mode}.db"
    if args.db:
        shutil.copy(args.db, db)
    server = Server(db, workdir, shlex.split(args.server_cmd) if args.server_cmd else None)
    try:
        profiler = None
        if args.profile:
            pyspy = shutil.which("py-spy") or "/tmp/pyspy/bin/py-spy"
            profiler = subprocess.Popen([pyspy, "record", "-p", str(server.proc.pid), "-d", str(int(args.duration)), "-r", "200", *(["--gil"] if os.environ.get("PYSPY_GIL") else []),
                                         "--threads", "-f", "raw", "-o", str(args.profile)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        cpu0, t0 = server.cpu(), time.perf_counter()
        self_cpu0 = os.times()
        if args.client == "wrk":
            stats = _run_wrk(server.url, endpoint, ctype, bodies, args.connections, args.threads, args.duration, workdir)
        else:
            stats = _run_py(server.url, endpoint, ctype, bodies, args.connections, args.procs, args.duration)
        wall = time.perf_counter() - t0
        server_cpu = server.cpu() - cpu0
        self_cpu1 = os.times()
        client_cpu = (self_cpu1.children_user - self_cpu0.children_user) + (self_cpu1.children_system - self_cpu0.children_system)
        rss = server.rss_mib()
        if profiler is not None:
            profiler.wait(timeout=60)
    finally:
        server.stop()
    seconds = stats["duration_us"] / 1e6
    import sqlite3

    try:
        stored = sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone()[0]
    except sqlite3.OperationalError:  # a stand-in server (bench/ceiling_serve.py) stores nothing
        stored = 0
    ok_requests = stats["requests"] - stats["non2xx"]
    return {
        "mode": mode, "client": args.client, "connections": args.connections,
        "batch_size": batch_size, "batch_format": args.batch_format if batch_size > 1 else None,
        "mean_body_bytes": round(sum(map(len, bodies)) / len(bodies)),
        "seconds": round(seconds, 1), "requests": stats["requests"], "non2xx": stats["non2xx"],
        "socket_errors": stats["errors_connect"] + stats["errors_timeout"],
        "requests_per_s": round(stats["requests"] / seconds),
        "events_per_s": round(ok_requests * batch_size / seconds),
        "stored_events": stored,
        "p50_ms": stats["p50_us"] / 1000, "p90_ms": stats["p90_us"] / 1000, "p99_ms": stats["p99_us"] / 1000,
        "p999_ms": stats["p999_us"] / 1000, "max_ms": stats["max_us"] / 1000,
        "server_cpu_pct": round(100 * server_cpu / wall), "client_cpu_pct": round(100 * client_cpu / wall),
        "server_max_rss_mib": round(rss),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["single", "batch", "both"], default="both")
    parser.add_argument("--client", choices=["wrk", "py"], default="wrk" if shutil.which("wrk") else "py")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--procs", type=int, default=2, help="aiohttp client processes (--client py)")
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per run")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batch-format", choices=["ndjson", "json"], default="ndjson")
    parser.add_argument("--pool", type=int, default=20000, help="distinct generated events to cycle through")
    parser.add_argument("--db", type=Path, help="start from a copy of this database (default: empty)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--bodies", type=Path, nargs="+", help="NDJSON files of hook objects to send instead of generated ones")
    parser.add_argument("--server-cmd", help='command to run instead of .venv/bin/claude-watch (gets "serve --host ..."), '
                        'e.g. a script that patches the core before calling claude_watch.cli.main')
    parser.add_argument("--profile", type=Path, help="py-spy the server during the run; raw (collapsed) stacks to this file"
                        " (PYSPY_GIL=1: only samples that hold the GIL)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (databases, server log)")
    args = parser.parse_args()
    modes = ["single", "batch"] if args.mode == "both" else [args.mode]
    base = HERE / "data"
    base.mkdir(exist_ok=True)
    for _ in range(args.repeat):
        for mode in modes:
            workdir = Path(tempfile.mkdtemp(prefix="ingest-", dir=base))
            try:
                print(json.dumps(run_one(args, mode, workdir)), flush=True)
            finally:
                if not args.keep:
                    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

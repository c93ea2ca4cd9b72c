"""First-page latency of filtered queries on a big database (made by bench/build_db.py).

    .venv/bin/python bench/query_bench.py                      # bench/data/1m.db
    .venv/bin/python bench/query_bench.py --db X --runs 9 --plans
    .venv/bin/python bench/query_bench.py --http               # also GET /events through a server

For every case: `Store.list_events(EventFilter(...), limit=100)` timed `--runs` times on the
store's own reader connection; prints the first (cold-ish) run, the median and the worst, in ms,
against the targets (first page < 50 ms; projects/sessions lists < 20 ms). `--plans` prints
SQLite's EXPLAIN QUERY PLAN for each case. The filter values are picked from the database
(the busiest project, a busy session, ...), so any database made by build_db.py works.
Read-only: nothing is written to the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from build_db import COMMON_WORD, RARE_WORD  # noqa: E402

from claude_watch.store import EventFilter, Store  # noqa: E402
from claude_watch.store import queries  # noqa: E402

PAGE_TARGET_MS = 50
LIST_TARGET_MS = 20


def pick_values(path: Path) -> dict:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    one = lambda sql, *p: con.execute(sql, p).fetchone()  # noqa: E731
    projects = con.execute("SELECT name, events FROM projects ORDER BY events DESC").fetchall()
    big_project, small_project = projects[0][0], projects[-1][0]
    big_session = one("SELECT session_id FROM sessions ORDER BY events DESC LIMIT 1")[0]
    small_session = one("SELECT session_id FROM sessions WHERE events BETWEEN 20 AND 60 ORDER BY session_id LIMIT 1")
    old_session = one("SELECT session_id FROM sessions ORDER BY last_ts LIMIT 1")[0]
    last_ts = one("SELECT max(ts) FROM events")[0]
    first_ts = one("SELECT min(ts) FROM events")[0]
    con.close()
    return {
        "big_project": big_project, "small_project": small_project, "big_session": big_session,
        "small_session": small_session[0] if small_session else big_session, "old_session": old_session,
        "last_ts": last_ts, "first_ts": first_ts,
    }


def cases(v: dict) -> list[tuple[str, EventFilter]]:
    day = 86_400_000
    mid = (v["first_ts"] + v["last_ts"]) // 2
    return [
        ("no filter", EventFilter()),
        ("project (busiest)", EventFilter(project=v["big_project"])),
        ("project (smallest)", EventFilter(project=v["small_project"])),
        ("session (busiest)", EventFilter(session_id=v["big_session"])),
        ("session (small)", EventFilter(session_id=v["small_session"])),
        ("session (oldest)", EventFilter(session_id=v["old_session"])),
        ("event_type PreToolUse", EventFilter(event_types=("PreToolUse",))),
        ("event_type PermissionRequest", EventFilter(event_types=("PermissionRequest",))),
        ("event_type PreCompact (rare)", EventFilter(event_types=("PreCompact",))),
        ("event_type Post+Failure", EventFilter(event_types=("PostToolUse", "PostToolUseFailure"))),
        ("tool Bash", EventFilter(tools=("Bash",))),
        ("tool WebSearch", EventFilter(tools=("WebSearch",))),
        ("time: last 24h", EventFilter(since=v["last_ts"] - day)),
        ("time: 1h, 15 days ago", EventFilter(since=mid, until=mid + 3_600_000)),
        ("time: until 20 days ago", EventFilter(until=v["last_ts"] - 20 * day)),
        (f"text common '{COMMON_WORD}'", EventFilter(text=COMMON_WORD)),
        (f"text rare '{RARE_WORD}'", EventFilter(text=RARE_WORD)),
        ("text no match 'qqqzzznomatch'", EventFilter(text="qqqzzznomatch")),
        ("text two words 'checkout tests'", EventFilter(text="checkout tests")),
        (f"text path 'src/api'", EventFilter(text="src/api")),
        ("project + text common", EventFilter(project=v["big_project"], text=COMMON_WORD)),
        ("project(small) + text common", EventFilter(project=v["small_project"], text=COMMON_WORD)),
        ("project + text rare", EventFilter(project=v["big_project"], text=RARE_WORD)),
        ("session + event_type", EventFilter(session_id=v["big_session"], event_types=("PreToolUse",))),
        ("session(old) + event_type", EventFilter(session_id=v["old_session"], event_types=("Stop",))),
        ("project + tool", EventFilter(project=v["big_project"], tools=("Bash",))),
        ("project(small) + tool rare", EventFilter(project=v["small_project"], tools=("WebSearch",))),
        ("project + event_type rare", EventFilter(project=v["small_project"], event_types=("PreCompact",))),
        ("project + time 1h mid", EventFilter(project=v["big_project"], since=mid, until=mid + 3_600_000)),
        ("tool + time 1h mid", EventFilter(tools=("Bash",), since=mid, until=mid + 3_600_000)),
        ("text common + time 1h mid", EventFilter(text=COMMON_WORD, since=mid, until=mid + 3_600_000)),
        ("text common + last 24h", EventFilter(text=COMMON_WORD, since=v["last_ts"] - day)),
    ]


def plan(con: sqlite3.Connection, flt: EventFilter) -> list[str]:
    sql, params = queries.page_query(flt, 100, None)
    return [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql, params)]


async def time_calls(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - t) * 1000)
    return times, result


def row(name: str, times: list[float], n: int, target: float) -> dict:
    med = statistics.median(times)
    return {"case": name, "rows": n, "first_ms": round(times[0], 2), "median_ms": round(med, 2),
            "max_ms": round(max(times), 2), "target_ms": target, "ok": med < target and max(times[1:] or times) < target}


async def bench_store(path: Path, runs: int, show_plans: bool) -> list[dict]:
    values = pick_values(path)
    results = []
    store = await Store.open(path)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for name, flt in cases(values):
            times, page = await time_calls(lambda: store.list_events(flt, limit=100), runs)
            results.append(row(name, times, len(page.events), PAGE_TARGET_MS))
            if show_plans:
                results[-1]["plan"] = plan(con, flt)
        # The second page of the slowest kinds: keyset pagination must not be slower than page 1.
        for name, flt in (("page 2: no filter", EventFilter()), ("page 2: project", EventFilter(project=values["big_project"]))):
            first = await store.list_events(flt, limit=100)
            times, page = await time_calls(lambda: store.list_events(flt, limit=100, before=first.next_cursor), runs)
            results.append(row(name, times, len(page.events), PAGE_TARGET_MS))
        times, projects = await time_calls(store.list_projects, runs)
        results.append(row("list_projects()", times, len(projects), LIST_TARGET_MS))
        times, sessions = await time_calls(store.list_sessions, runs)
        results.append(row("list_sessions() [limit 500]", times, len(sessions), LIST_TARGET_MS))
        times, sessions = await time_calls(lambda: store.list_sessions(project=values["big_project"]), runs)
        results.append(row("list_sessions(project)", times, len(sessions), LIST_TARGET_MS))
        times, total = await time_calls(store.total_events, runs)
        results.append(row("total_events()", times, total, LIST_TARGET_MS))
    finally:
        con.close()
        await store.close()
    return results


def _query_string(flt: EventFilter) -> str:
    params: list[tuple[str, str]] = []
    if flt.project:
        params.append(("project", flt.project))
    if flt.session_id:
        params.append(("session", flt.session_id))
    if flt.event_types:
        params.append(("event_type", ",".join(flt.event_types)))
    if flt.tools:
        params.append(("tool", ",".join(flt.tools)))
    if flt.since is not None:
        params.append(("since", str(flt.since)))
    if flt.until is not None:
        params.append(("until", str(flt.until)))
    if flt.text:
        params.append(("q", flt.text))
    params.append(("limit", "100"))
    return urllib.parse.urlencode(params)


async def bench_http(path: Path, runs: int) -> list[dict]:
    import aiohttp

    values = pick_values(path)
    workdir = Path(tempfile.mkdtemp(prefix="query-", dir=HERE / "data"))
    env = {**os.environ, "CLAUDE_WATCH_SPOOL": str(workdir / "spool")}
    env.pop("CLAUDE_WATCH_TOKEN", None)
    server = subprocess.Popen([str(ROOT / ".venv/bin/claude-watch"), "serve", "--port", "0", "--db", str(path)],
                              stdout=subprocess.PIPE, stderr=open(workdir / "server.log", "wb"), env=env, text=True)
    url = server.stdout.readline().strip().rstrip("/")
    results = []
    try:
        async with aiohttp.ClientSession() as http:
            async def get(target: str) -> tuple[int, int]:
                async with http.get(url + target) as response:
                    body = await response.read()
                    assert response.status == 200, (response.status, body[:200])
                    return len(body), response.status

            targets = [(f"GET /events {name}", "/events?" + _query_string(flt)) for name, flt in cases(values)]
            targets += [("GET /projects", "/projects"), ("GET /sessions", "/sessions")]
            for name, target in targets:
                times, (size, _) = await time_calls(lambda: get(target), runs)
                r = row(name, times, size, LIST_TARGET_MS if "/events" not in target else PAGE_TARGET_MS)
                r["body_kib"] = round(size / 1024)
                del r["rows"]
                results.append(r)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=HERE / "data" / "1m.db")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN for each case")
    parser.add_argument("--http", action="store_true", help="also time GET /events etc. through `claude-watch serve`")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"no database at {args.db}: run bench/build_db.py first")
    results = asyncio.run(bench_store(args.db, args.runs, args.plans))
    if args.http:
        results += asyncio.run(bench_http(args.db, args.runs))
    failed = 0
    for r in results:
        failed += not r["ok"]
        if args.json:
            print(json.dumps(r))
            continue
        size = f"{r['rows']:>7}" if "rows" in r else f"{r['body_kib']:>5}Ki"
        print(f"{'ok  ' if r['ok'] else 'FAIL'} {r['case']:<48} {size} first {r['first_ms']:8.2f}"
              f"  median {r['median_ms']:8.2f}  max {r['max_ms']:8.2f} ms  (target {r['target_ms']})")
        for line in r.get("plan", []):
            print(f"       {line}")
    print(f"{len(results) - failed}/{len(results)} within target", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

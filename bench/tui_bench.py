"""How the monitor behaves on a big database and under a burst (issue 4's numbers).

    .venv/bin/python bench/build_db.py                      # once: bench/data/1m.db (1M events)
    .venv/bin/python bench/tui_bench.py --db bench/data/1m.db          # scale: first screen, filters, scroll, RSS
    .venv/bin/python bench/tui_bench.py --burst 1000 --seconds 10      # a burst into a fresh db
    .venv/bin/python bench/tui_bench.py --db COPY --tmux-filters 5     # filters typed in a real terminal

The app runs headless under `run_test(size=(160, 45))` with the real collector (port 0) in its
loop; Textual still lays out and renders every frame. Figures:

- first screen: from creating the app (imports done) to the first page of events in the table
  (`first_events_s`), then with projects and sessions filled (`first_screen_s`), then the HTTP
  server listening (`server_ready_s`); plus the import time of the TUI measured separately;
  `--tmux N` times the real process instead: launch in tmux -> first event row on screen;
- filter change in a real terminal (`--tmux-filters N`): see tmux_filter_changes;
- filter change: from `set_filter` to the end of the first frame composed after the table got
  its rows (query + table + layout/render), per kind of filter; 3 runs each, median and max.
  Each starts from a still screen (the change before it painted, then 0.3 s, as a person
  pressing keys); a change of project also reports when the sessions table has narrowed
  (`with_sessions_*`, drawn a frame after the events). `--live RATE` keeps RATE events/s
  coming in meanwhile (into the database: give it a copy);
- scroll back: pressing End repeatedly pages back through SQLite, a page at a time, and Home
  back up (once the window is full: 1,000 rows); key -> page on screen, and RSS, to show
  history is never all loaded;
- RSS: the process's peak resident memory (`ru_maxrss`);
- burst (`--burst N`): another process POSTs N events/s (one per request, realistic bodies
  from bench/build_db.py) for `--seconds`. Meanwhile a key is pressed every 100 ms and timed
  until handled, the loop's scheduling lag is sampled every 10 ms, and each repaint records how
  old the newest shown event is (send time -> on screen). Repaints per second are counted.

`--db` is opened through the normal collector; the scale run writes nothing to it (the spool
goes to a temp dir), the burst run needs a database it may write to (default: a fresh one).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

SIZE = (160, 45)
SETTLE_S = 0.3  # between the filter before and the one timed: the screen is still, as for a person


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def until(pilot, predicate, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise RuntimeError("timed out waiting for the app")
        await asyncio.sleep(0.002)


CODE = ROOT  # the tree claude_watch is imported from (--code: compare with another checkout)


class Frames:
    """When the screen was composed (layout and/or render of what changed), and when the events
    table last got new rows: a filter change or a page of history counts until the end of the
    first frame that starts after the rows were put in the table, i.e. until it is on screen."""

    def __init__(self) -> None:
        from textual.screen import Screen

        from claude_watch.tui.tables import EventTable, SessionsTable

        self.painted: list[tuple[float, float]] = []
        self.shown_at = 0.0
        self.sessions_shown_at = 0.0
        depth = 0

        def timed(original):
            def wrapper(*args, **kwargs):
                nonlocal depth
                depth += 1
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    depth -= 1
                    if not depth:
                        self.painted.append((start, time.perf_counter()))
            return wrapper

        for name in ("_refresh_layout", "_compositor_refresh"):
            setattr(Screen, name, timed(getattr(Screen, name)))
        show = EventTable.show

        def shown(table, *args, **kwargs):
            show(table, *args, **kwargs)
            self.shown_at = time.perf_counter()

        EventTable.show = shown  # type: ignore[method-assign]
        show_sessions = SessionsTable.show

        def sessions_shown(table, *args, **kwargs):
            show_sessions(table, *args, **kwargs)
            self.sessions_shown_at = time.perf_counter()

        SessionsTable.show = sessions_shown  # type: ignore[method-assign]

    async def on_screen(self, pilot, since: float | None = None) -> float:
        """The end of the first frame that started after the events table last got rows (or
        after `since`)."""
        since = self.shown_at if since is None else since
        await until(pilot, lambda: any(start >= since for start, _ in self.painted[-4:]))
        return next(end for start, end in self.painted if start >= since)


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import claude_watch.tui.app; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=CODE, check=True)
    return float(out.stdout.strip())


async def scale(db: Path, live_rate: int = 0) -> dict:
    from claude_watch.collector import CollectorConfig
    from claude_watch.tui.app import ClaudeWatchApp
    from claude_watch.tui.query import ViewFilter
    from claude_watch.tui.tables import EventTable, ProjectsTable, SessionsTable

    tmp = tempfile.mkdtemp(prefix="tui-bench-")
    config = CollectorConfig(host="127.0.0.1", port=0, db_path=db, spool_dir=Path(tmp) / "spool")
    results: dict = {"db": str(db), "import_s": round(import_time(), 3)}
    frames = Frames()
    started = time.perf_counter()
    app = ClaudeWatchApp(config, export_dir=tmp)
    async with app.run_test(size=SIZE) as pilot:
        events = app.query_one(EventTable)
        await until(pilot, lambda: events.row_count > 0)
        results["first_events_s"] = round(time.perf_counter() - started, 3)
        await until(pilot, lambda: app.query_one(ProjectsTable).row_count > 1 and app.query_one(SessionsTable).row_count > 1)
        results["first_screen_s"] = round(time.perf_counter() - started, 3)
        await until(pilot, lambda: app.ready)
        results["server_ready_s"] = round(time.perf_counter() - started, 3)
        await pilot.pause()
        results["total_events"] = app.status.total
        results["rss_after_first_screen_mib"] = round(current_rss_mib(), 1)

        projects = app.query_one(ProjectsTable).summaries
        sessions = app.query_one(SessionsTable).summaries
        top_project = projects[0].name
        a_session = sessions[len(sessions) // 2].session_id
        filters = {
            "project": ViewFilter(project=top_project),
            "session": ViewFilter(project=sessions[len(sessions) // 2].project, session_id=a_session),
            "type PostToolUseFailure": ViewFilter(event_types=("PostToolUseFailure",)),
            "tool Bash": ViewFilter(tools=("Bash",)),
            "tool WebSearch + type PostToolUse": ViewFilter(tools=("WebSearch",), event_types=("PostToolUse",)),
            "text 'src' (common)": ViewFilter(text="src"),
            "text 'xylophonequartz' (rare)": ViewFilter(text="xylophonequartz"),
            "project + text 'checkout'": ViewFilter(project=top_project, text="checkout"),
            "back to everything": ViewFilter(),
        }
        # Not measured: the first changes after the start, while the server starts and the
        # start's garbage is collected.
        for flt in (filters["tool Bash"], ViewFilter(), filters["project"], ViewFilter()):
            app.set_filter(flt)
            await until(pilot, lambda: app.shown_generation == app._generation)
            await pilot.pause(0.2)
        live = None
        if live_rate:  # agents at work meanwhile: POSTs into the monitor's server all along
            ready = multiprocessing.Event()
            live_out: multiprocessing.Queue = multiprocessing.Queue()
            live = multiprocessing.Process(target=poster, args=(app.status.address, live_rate, 3600, ready, live_out),
                                           daemon=True)
            live.start()
            while not ready.is_set():
                await asyncio.sleep(0.01)
            total_before = app.status.total
            await until(pilot, lambda: app.status.total > total_before)
        changes = {}
        for name, flt in filters.items():
            runs = []
            for _ in range(3):
                app.set_filter(ViewFilter(event_types=("NoSuchType",)))  # something else first
                await until(pilot, lambda: app.shown_generation == app._generation and events.row_count == 0)
                await frames.on_screen(pilot)
                await pilot.pause(SETTLE_S)  # a person looks at the screen before the next key
                project_changes = flt.project != app.view_filter.project
                t = time.perf_counter()
                app.set_filter(flt)
                generation = app._generation
                await until(pilot, lambda: app.shown_generation == generation)
                shown = frames.shown_at - t
                on_screen = await frames.on_screen(pilot) - t
                everything = on_screen
                if project_changes:  # ... and the sessions table narrowed to the project (a frame later)
                    sessions_table = app.query_one(SessionsTable)
                    await until(pilot, lambda: frames.sessions_shown_at > t and all(
                        s.project == flt.project for s in sessions_table.summaries))
                    everything = await frames.on_screen(pilot, frames.sessions_shown_at) - t
                runs.append((on_screen, app.timings["filter_query"], shown, everything))
                await pilot.pause()
            changes[name] = {"median_ms": ms(statistics.median(r[0] for r in runs)),
                             "max_ms": ms(max(r[0] for r in runs)),
                             "query_median_ms": ms(statistics.median(r[1] for r in runs)),
                             "table_filled_median_ms": ms(statistics.median(r[2] for r in runs)),
                             "rows": events.row_count}
            if flt.project is not None:
                changes[name]["with_sessions_median_ms"] = ms(statistics.median(r[3] for r in runs))
                changes[name]["with_sessions_max_ms"] = ms(max(r[3] for r in runs))
        if live is not None:
            live.terminate()
            results["live_events_per_s"] = live_rate
            results["live_events_stored"] = app.status.total - total_before
        results["filter_change"] = changes
        print(json.dumps({"partial": results}), file=sys.stderr)

        # Scroll back: End pages back one page at a time; the window stays bounded. A page is
        # timed from the key to the frame that shows it, the key posted as the terminal driver
        # posts it; every other page goes through `pilot.press` instead, whose figure also
        # holds Pilot's waits for the whole process to go idle (the figure before 2026-11-27).
        from textual.events import Key

        async def page(key: str, counter: str, via_pilot: bool) -> float:
            shown = getattr(app, counter)
            t = time.perf_counter()
            if via_pilot:
                await pilot.press(key)
            else:
                app.post_message(Key(key, None))
            await until(pilot, lambda: getattr(app, counter) > shown)
            took = await frames.on_screen(pilot) - t
            await pilot.pause()
            return took

        app.set_filter(ViewFilter())
        await until(pilot, lambda: app.shown_generation == app._generation and events.row_count > 0)
        await pilot.pause()
        events.focus()
        first_rows = events.row_count
        direct, via_pilot, query_times, show_times = [], [], [], []
        while len(app.window.rows) < app.window.max_rows:  # fill the window first
            await page("end", "older_pages_shown", True)
        for i in range(16):  # the window is full: each page drops as many rows at the top
            (via_pilot if i % 2 else direct).append(await page("end", "older_pages_shown", bool(i % 2)))
            query_times.append(app.timings["older_query"])
            show_times.append(app.timings["older_show"])
        held = [(e.ts, e.id) for e in app.window.rows]
        results["scroll_back"] = {
            "full_window_pages": len(direct) + len(via_pilot), "rows_held": events.row_count,
            "rows_per_page": app.window.page, "first_rows": first_rows,
            "page_median_ms": ms(statistics.median(direct)), "page_max_ms": ms(max(direct)),
            "page_via_pilot_median_ms": ms(statistics.median(via_pilot)),
            "query_median_ms": ms(statistics.median(query_times)), "rebuild_median_ms": ms(statistics.median(show_times)),
            "rows_in_order": held == sorted(held, reverse=True), "following_after": app.following,
        }
        # Back up, a page at a time (a monitor without `list_events_newer(oldest_first=True)`
        # jumps to the head instead: then this part is skipped).
        if hasattr(app, "newer_pages_shown"):
            direct, via_pilot, up_query, up_show = [], [], [], []
            for i in range(10):
                (via_pilot if i % 2 else direct).append(await page("home", "newer_pages_shown", bool(i % 2)))
                up_query.append(app.timings["newer_query"])
                up_show.append(app.timings["newer_show"])
            results["scroll_up"] = {
                "pages": len(direct) + len(via_pilot), "rows_held": events.row_count, "at_head": app.window.at_head,
                "page_median_ms": ms(statistics.median(direct)), "page_max_ms": ms(max(direct)),
                "page_via_pilot_median_ms": ms(statistics.median(via_pilot)),
                "query_median_ms": ms(statistics.median(up_query)), "show_median_ms": ms(statistics.median(up_show)),
            }
        results["rss_now_mib"] = round(current_rss_mib(), 1)
        results["rss_peak_mib"] = round(rss_mib(), 1)
    return results


def poster(url: str, rate: int, seconds: float, ready: multiprocessing.Event, out) -> None:
    """Another process: POST `rate` events a second, one a request, for `seconds`."""
    import aiohttp

    from build_db import generate

    bodies = [json.dumps(obj).encode() for _, obj in generate(min(20000, int(rate * seconds) + 10), int(time.time() * 1000))]

    async def run() -> dict:
        sent = failed = 0
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=connector) as http:
            ready.set()
            start = time.perf_counter()
            total = int(rate * seconds)
            tasks: set[asyncio.Task] = set()

            async def one(i: int) -> None:
                nonlocal sent, failed
                body = bodies[i % len(bodies)]
                headers = {"Content-Type": "application/json", "X-Claude-Watch-Time": str(time.time_ns() // 1_000_000),
                           "X-Claude-Project-Dir": "/bench/burst"}
                try:
                    async with http.post(url + "/event", data=body, headers=headers) as reply:
                        await reply.read()
                        sent += reply.status == 200
                        failed += reply.status != 200
                except aiohttp.ClientError:
                    failed += 1

            for i in range(total):
                due = start + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(one(i))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
            return {"sent_ok": sent, "failed": failed, "post_wall_s": round(time.perf_counter() - start, 2)}

    out.put(asyncio.run(run()))


async def burst(rate: int, seconds: float, db: Path | None) -> dict:
    from claude_watch.collector import CollectorConfig
    from claude_watch.tui.app import ClaudeWatchApp
    from textual.events import Key

    from claude_watch.tui.tables import EventTable

    tmp = tempfile.mkdtemp(prefix="tui-burst-")
    config = CollectorConfig(host="127.0.0.1", port=0, db_path=db or Path(tmp) / "burst.db", spool_dir=Path(tmp) / "spool")
    app = ClaudeWatchApp(config, export_dir=tmp)
    visible_lag: list[float] = []  # sent by the client -> on screen
    stored_lag: list[float] = []  # received by the server -> on screen
    repaints: list[float] = []
    original_show = EventTable.show

    def show(table, rows, keep=None, **kwargs):
        original_show(table, rows, keep, **kwargs)
        if rows and app.following:
            now = time.time_ns() // 1_000_000
            visible_lag.append((now - rows[0].ts) / 1000)
            stored_lag.append((now - rows[0].received_at) / 1000)
            repaints.append(time.perf_counter())

    EventTable.show = show  # type: ignore[method-assign]
    from claude_watch.tui.tables import ProjectsTable, SessionsTable

    show_costs: dict[str, list[float]] = {"events": [], "projects": [], "sessions": []}
    originals = {}
    for name, cls in (("events", EventTable), ("projects", ProjectsTable), ("sessions", SessionsTable)):
        originals[cls] = cls.show

        def timed(table, *args, _orig=cls.show, _name=name, **kwargs):
            t = time.perf_counter()
            _orig(table, *args, **kwargs)
            show_costs[_name].append(time.perf_counter() - t)

        cls.show = timed  # type: ignore[method-assign]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.ready)
            events = app.query_one(EventTable)
            # Keys go to the projects table: moving in the events table would pause following
            # (by design), and this run measures following.
            keys_table = app.query_one(ProjectsTable)
            keys_table.focus()
            lags: list[float] = []
            stop = False

            async def probe() -> None:
                while not stop:
                    t = time.perf_counter()
                    await asyncio.sleep(0.01)
                    lags.append(time.perf_counter() - t - 0.01)

            probe_task = asyncio.create_task(probe())
            gc_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
            gc_collected: dict[int, int] = {0: 0, 1: 0, 2: 0}
            gc_started = [0.0]

            def on_gc(phase: str, info: dict) -> None:
                if phase == "start":
                    gc_started[0] = time.perf_counter()
                else:
                    gc_pauses[info["generation"]].append(time.perf_counter() - gc_started[0])
                    gc_collected[info["generation"]] += info["collected"]

            gc.callbacks.append(on_gc)
            if os.environ.get("BENCH_GC_GARBAGE"):  # keep what the collector frees, to see what it is
                gc.set_debug(gc.DEBUG_SAVEALL)
            ready = multiprocessing.Event()
            out: multiprocessing.Queue = multiprocessing.Queue()
            proc = multiprocessing.Process(target=poster, args=(app.status.address, rate, seconds, ready, out))
            total_before = app.status.total
            proc.start()
            while not ready.is_set():
                await asyncio.sleep(0.01)
            key_times: list[float] = []
            await until(pilot, lambda: keys_table.row_count >= 2)
            t_end = time.perf_counter() + seconds
            while time.perf_counter() < t_end:
                # A key as the terminal driver delivers it (a Key event posted to the app), timed
                # until the projects table's cursor has moved ("down", then "up").
                for _ in range(2):
                    row = keys_table.cursor_row
                    key = "down" if row == 0 else "up"
                    t = time.perf_counter()
                    app.post_message(Key(key, None))
                    try:
                        await until(pilot, lambda: keys_table.cursor_row != row, timeout=5)
                    except RuntimeError:
                        pass  # counted as 5 s+
                    key_times.append(time.perf_counter() - t)
                await asyncio.sleep(0.1)
            while proc.is_alive():
                await asyncio.sleep(0.05)
            posted = out.get()
            await asyncio.sleep(1.0)  # let the last repaint land
            stop = True
            await probe_task
            gc.callbacks.remove(on_gc)
            garbage_types = None
            if os.environ.get("BENCH_GC_GARBAGE"):
                gc.collect()
                gc.set_debug(0)
                import collections
                counts = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
                garbage_types = counts.most_common(40)
                gc.garbage.clear()
            burst_repaints = [r for r in repaints]
            span = (burst_repaints[-1] - burst_repaints[0]) if len(burst_repaints) > 1 else float("nan")
            return {
                "rate_per_s": rate, "seconds": seconds, **posted,
                "stored": app.status.total - total_before,
                "key_ms": {"p50": ms(pct(key_times, 50)), "p95": ms(pct(key_times, 95)), "max": ms(max(key_times)),
                           "n": len(key_times)},
                "loop_lag_ms": {"p50": ms(pct(lags, 50)), "p99": ms(pct(lags, 99)), "max": ms(max(lags))},
                "sent_to_screen_s": {"p50": round(pct(visible_lag, 50), 3), "p95": round(pct(visible_lag, 95), 3),
                                     "max": round(max(visible_lag), 3) if visible_lag else None},
                "stored_to_screen_s": {"p50": round(pct(stored_lag, 50), 3), "p95": round(pct(stored_lag, 95), 3),
                                       "max": round(max(stored_lag), 3) if stored_lag else None},
                "table_rebuild_ms": {name: {"n": len(v), "p50": ms(pct(v, 50)), "max": ms(max(v)) if v else None}
                                     for name, v in show_costs.items()},
                "repaints": len(burst_repaints),
                "repaints_per_s": round((len(burst_repaints) - 1) / span, 2) if span == span and span else None,
                "rss_peak_mib": round(rss_mib(), 1),
                # the loop's stalls that are Python's collector: count and pause per generation
                "gc_pauses_ms": {gen: {"n": len(v), "p50": ms(pct(v, 50)) if v else None,
                                       "max": ms(max(v)) if v else None, "total": ms(sum(v)),
                                       "garbage_freed": gc_collected[gen]}
                                 for gen, v in gc_pauses.items()},
                "gc_tracked_objects_at_end": len(gc.get_objects()),
                **({"gc_garbage_types": garbage_types} if garbage_types else {}),
            }
    finally:
        for cls, orig in originals.items():
            cls.show = orig  # type: ignore[method-assign]
        EventTable.show = original_show  # type: ignore[method-assign]


async def baseline(rate: int, seconds: float) -> dict:
    """The same burst into the collector alone (no UI) in this process: the loop lag and
    throughput the ingest path costs by itself, to compare with the monitor's."""
    from claude_watch.collector import Collector, CollectorConfig

    tmp = tempfile.mkdtemp(prefix="tui-baseline-")
    collector = Collector(CollectorConfig(host="127.0.0.1", port=0, db_path=Path(tmp) / "b.db",
                                          spool_dir=Path(tmp) / "spool"))
    await collector.start()
    lags: list[float] = []
    stop = False

    async def probe() -> None:
        while not stop:
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - t - 0.01)

    probe_task = asyncio.create_task(probe())
    ready = multiprocessing.Event()
    out: multiprocessing.Queue = multiprocessing.Queue()
    proc = multiprocessing.Process(target=poster, args=(collector.address, rate, seconds, ready, out))
    proc.start()
    while proc.is_alive():
        await asyncio.sleep(0.05)
    posted = out.get()
    stop = True
    await probe_task
    await collector.stop()
    return {"rate_per_s": rate, "seconds": seconds, **posted,
            "loop_lag_ms": {"p50": ms(pct(lags, 50)), "p99": ms(pct(lags, 99)), "max": ms(max(lags))}}


FIRST_ROW = re.compile(r"^│ \d\d:\d\d:\d\d ", re.M)


def tmux_first_screen(db: Path, runs: int, socket: str = "cw-bench") -> dict:
    """Launch the real `claude-watch` in a private tmux server (160x45) and time from launch to
    the first event row on screen (polling `capture-pane` every 10 ms); RSS of the process then.

    The monitor opens the database as the collector does (WAL files appear beside it): give it
    a copy of a database you must not touch."""
    times, rss = [], []
    for _ in range(runs):
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
        # `python -m` from the code's folder: that tree's claude_watch comes first on sys.path.
        cmd = f"cd {CODE} && exec {sys.executable} -m claude_watch --db {db} --port 0"
        started = time.perf_counter()
        subprocess.run(["tmux", "-L", socket, "new", "-d", "-s", "fs", "-x", "160", "-y", "45", cmd], check=True)
        pid = None
        try:
            while True:
                pane = subprocess.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", "fs"],
                                      capture_output=True, text=True).stdout
                if FIRST_ROW.search(pane):
                    times.append(time.perf_counter() - started)
                    break
                if time.perf_counter() - started > 30:
                    raise RuntimeError("no event row after 30 s:\n" + pane)
                time.sleep(0.01)
            pid = subprocess.run(["tmux", "-L", socket, "display", "-p", "-t", "fs", "#{pane_pid}"],
                                 capture_output=True, text=True).stdout.strip()
            with open(f"/proc/{pid}/status") as f:
                rss.extend(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS"))
            subprocess.run(["tmux", "-L", socket, "send-keys", "-t", "fs", "q"])
            deadline = time.perf_counter() + 10
            while os.path.exists(f"/proc/{pid}") and time.perf_counter() < deadline:
                time.sleep(0.05)
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
        time.sleep(0.5)
    return {"runs_s": [round(t, 3) for t in times], "median_s": round(statistics.median(times), 3),
            "rss_mib": [round(r, 1) for r in rss], "loadavg": os.getloadavg()}


class TmuxControl:
    """A tmux server with one pane, driven through a control-mode client: sending keys and
    reading the screen cost ~0.2 ms each, where a `tmux` process per call costs ~4 ms of CPU
    (polling that way every 5 ms kept most of a core busy, beside the app measured). The
    client asks for no %output notifications (the pane's output, which tmux would otherwise
    encode for it and hold the pane for when it lags)."""

    def __init__(self, socket: str, command: str, size: tuple[int, int] = SIZE) -> None:
        self.socket = socket
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
        subprocess.run(["tmux", "-L", socket, "new", "-d", "-s", "fs", "-x", str(size[0]), "-y", str(size[1]),
                        command], check=True)
        self.client = subprocess.Popen(["tmux", "-L", socket, "-C", "attach", "-f", "no-output", "-t", "fs"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self._pending = b""

    def _line(self) -> bytes:
        assert self.client.stdout is not None
        while b"\n" not in self._pending:
            chunk = os.read(self.client.stdout.fileno(), 1 << 16)
            if not chunk:
                raise RuntimeError("the tmux control client ended")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line

    def command(self, line: str) -> str:
        """Run a tmux command; its output (notifications such as %output are skipped)."""
        assert self.client.stdin is not None
        self.client.stdin.write(line.encode() + b"\n")
        out: list[bytes] = []
        inside = False
        while True:
            reply = self._line()
            if reply.startswith(b"%begin"):
                inside, out = True, []
            elif reply.startswith((b"%end", b"%error")) and inside:
                return b"\n".join(out).decode(errors="replace")
            elif inside:
                out.append(reply)

    def keys(self, *keys: str) -> None:
        self.command("send-keys -t fs " + " ".join(keys))

    def type(self, text: str) -> None:
        self.command("send-keys -t fs -l '" + text.replace("'", "'\\''") + "'")

    def screen(self) -> str:
        return self.command("capture-pane -p -t fs")

    def wait(self, pattern: re.Pattern, timeout: float = 10.0) -> float:
        """The time the screen first shows `pattern` (polled every 2 ms)."""
        deadline = time.perf_counter() + timeout
        while True:
            screen = self.screen()
            if pattern.search(screen):
                return time.perf_counter()
            if time.perf_counter() > deadline:
                raise RuntimeError(f"not on screen after {timeout} s: {pattern.pattern}\n{screen}")
            time.sleep(0.002)

    def close(self) -> None:
        self.client.kill()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def tmux_filter_changes(db: Path, runs: int, socket: str = "cw-bench") -> dict:
    """The real `claude-watch` in tmux (160x45), as a person uses it: `/`, a filter typed in,
    then (0.1 s after it shows) Enter, timed from sending Enter to the events box's title naming the filter on the
    screen (the rows come in the same frame), the screen read every 2 ms through a tmux
    control client; `a` back to everything between runs. Then a project chosen in its table
    (`1`, arrows, Enter) and a session in the sessions table, Enter to the title. Includes
    reading the keys from the terminal and writing the frame to it, which the headless
    figures do not. Give it a copy of the database."""
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        project, session = con.execute(
            "SELECT project, session_id FROM sessions ORDER BY last_ts DESC LIMIT 1 OFFSET 3").fetchone()
    queries = {"project": f"project:{project}", "session": f"session:{session[:8]}", "tool Bash": "tool:Bash",
               "type PostToolUseFailure": "type:PostToolUseFailure", "text 'src' (common)": "src",
               "project + text 'checkout'": f"project:{project} checkout"}
    tmux = TmuxControl(socket, f"cd {CODE} && exec {sys.executable} -m claude_watch --db {db} --port 0")
    results: dict = {}

    def record(name: str, took: list[float]) -> None:
        results[name] = {"median_ms": ms(statistics.median(took)), "max_ms": ms(max(took)),
                         "runs_ms": [ms(t) for t in took]}

    try:
        tmux.wait(FIRST_ROW, 30)
        everything = re.compile(r"Events  \[3\]  all events")
        tmux.wait(everything)
        time.sleep(2.0)  # the server started, the start's work done
        for name, line in queries.items():
            described = re.escape(line.split()[0].split(":", 1)[1][:8]) if ":" in line else re.escape(f'"{line}"')
            title = re.compile(r"Events  \[3\]  .*" + described)
            took = []
            for _ in range(runs):
                tmux.keys("/")
                tmux.type(line)
                # Typed into the bar: applied after a 0.3 s pause in typing, or at once by Enter,
                # pressed here 0.1 s after the text is on screen (a person's pause before it).
                tmux.wait(re.compile(r"(?m)^│ " + re.escape(line)))
                time.sleep(0.1)
                started = time.perf_counter()
                tmux.keys("Enter")
                took.append(tmux.wait(title) - started)
                tmux.keys("a")  # back to everything (Esc then `a` would read as alt+a)
                tmux.wait(everything)
                time.sleep(0.5)
            record(name, took)
        # The tables: `1`, a project row, Enter; then a session of it in the sessions table.
        chosen_project = re.compile(r"Events  \[3\]  project:\S+ ─")
        chosen_session = re.compile(r"Events  \[3\]  project:\S+  session:")
        took_project, took_session = [], []
        for run in range(runs):
            tmux.keys("1")
            time.sleep(0.3)
            tmux.keys("Home", *["Down"] * (2 + run % 3))
            time.sleep(0.5)
            started = time.perf_counter()
            tmux.keys("Enter")
            took_project.append(tmux.wait(chosen_project) - started)
            time.sleep(0.5)  # the sessions table has the focus now
            tmux.keys("Home", "Down")
            time.sleep(0.5)
            started = time.perf_counter()
            tmux.keys("Enter")
            took_session.append(tmux.wait(chosen_session) - started)
            tmux.keys("a")
            tmux.wait(everything)
            time.sleep(0.5)
        record("project from its table", took_project)
        record("session from its table", took_session)
        tmux.keys("q")
        time.sleep(0.5)
    finally:
        tmux.close()
    return {"filter_change": results, "loadavg": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="database for the scale run (e.g. bench/data/1m.db)")
    parser.add_argument("--burst", type=int, default=0, help="events per second to POST (0: no burst run)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--live", type=int, default=0, metavar="RATE",
                        help="scale run: POST RATE events/s into the monitor during the filter changes "
                             "(writes to --db: give it a copy)")
    parser.add_argument("--burst-db", type=Path, help="database the burst writes into (default: a fresh one)")
    parser.add_argument("--baseline", action="store_true", help="also run the burst into the collector alone")
    parser.add_argument("--tmux", type=int, default=0, metavar="RUNS",
                        help="only time the real process in tmux, launch -> first event row, RUNS times")
    parser.add_argument("--tmux-filters", type=int, default=0, metavar="RUNS",
                        help="only time filter changes typed into the real process in tmux, RUNS times each")
    parser.add_argument("--code", type=Path, help="import claude_watch from this checkout instead (A/B runs)")
    args = parser.parse_args()
    if args.code:
        global CODE
        CODE = args.code.resolve()
        sys.path.insert(0, str(CODE))
    if args.tmux:
        if not args.db:
            parser.error("--tmux needs --db")
        print(json.dumps({"tmux_first_screen": tmux_first_screen(args.db, args.tmux)}, indent=2))
        return 0
    if args.tmux_filters:
        if not args.db:
            parser.error("--tmux-filters needs --db")
        print(json.dumps({"tmux": tmux_filter_changes(args.db, args.tmux_filters)}, indent=2))
        return 0
    if not args.db and not args.burst:
        parser.error("give --db for the scale run and/or --burst N")
    if args.db:
        print(json.dumps({"scale": asyncio.run(scale(args.db, args.live))}, indent=2))
    if args.burst:
        print(json.dumps({"burst": asyncio.run(burst(args.burst, args.seconds, args.burst_db))}, indent=2))
        if args.baseline:
            print(json.dumps({"baseline_collector_alone": asyncio.run(baseline(args.burst, args.seconds))}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

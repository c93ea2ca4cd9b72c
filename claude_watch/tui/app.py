"""`claude-watch` with no subcommand: the live monitor, with the collector in the same loop.

Data flow: the store calls `LiveFeed.on_commit` after each commit (cheap counting only); a
timer drains it a few times a second and repaints once. Every query is awaited on aiosqlite in
a worker, so the loop the ingest server shares with the UI never blocks.

Start: the database is opened and the newest events read while Textual builds the screen;
the events are painted first, then projects and sessions; the HTTP server (aiohttp, the
slowest import) is loaded in a thread after that, so it never delays the first screen.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import Reactive
from textual.screen import Screen
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import DataTable, Header, Input

from claude_watch.clock import now_ms
from claude_watch.tui.box import Box
from claude_watch.tui.bars import FilterBar, QuerySuggester, Status, StatusLine
from claude_watch.tui import textual_fixes
from claude_watch.tui.footer import Footer
from claude_watch.tui.live import LiveFeed
from claude_watch.tui.messages import EventChosen, NeedNewer, NeedOlder, ProjectChosen, SessionChosen
from claude_watch.tui.query import EventFilter, ViewFilter
from claude_watch.tui.safe import safe_str
from claude_watch.tui.tables import EventTable, ProjectsTable, SessionsTable
from claude_watch.tui.window import EventWindow

textual_fixes.apply()

# The detail and help screens (and rich.syntax) are imported when first opened.

log = logging.getLogger(__name__)

TICK_S = 0.2  # repaint at most 5 times a second
SUMMARY_MIN_S = 1.0  # projects/sessions at most once a second (slower if their queries are slow)
FOLLOW_ROWS = 100  # rows kept while following at the top
HEAD_MIN_ROWS, HEAD_MAX_ROWS = 40, 100  # a new filter loads about two screens of rows
SCREEN_CHROME_LINES = 18  # lines of the screen that are not event rows (before the layout is known)
PAGE_ROWS = 100  # paging through history, older or newer, a page at a time
MAX_ROWS = 1000
SESSION_ROWS = 100  # the most recent sessions; a project selection narrows further
HOLD_FRAMES_S = 0.25  # a filter change draws its focus change with its rows if they come by then


def _until_teardown(method):
    """Worker bodies apply results to widgets; once the app is closing those are gone."""

    import functools

    @functools.wraps(method)
    async def guarded(self, *args, **kwargs):
        try:
            return await method(self, *args, **kwargs)
        except NoMatches:
            if self.is_running and not self._closing_down:
                raise
            return None

    return guarded


def _default_collector(config: Any, clock: Callable[[], int]) -> Any:
    """Runs in a thread: importing the server (aiohttp) takes a third of a second."""
    from claude_watch.collector import Collector

    return Collector(config, clock=clock)


class _Prefetch(threading.Thread):
    """Reads the newest events and the total, read-only, while Python and Textual start."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(name="claude-watch-prefetch", daemon=True)
        self.path = path
        self.limit = limit
        self.result: tuple[Any, int] | None = None  # (EventPage, total)
        self.start()

    def run(self) -> None:
        try:
            from claude_watch.store.store import read_newest

            self.result = read_newest(self.path, self.limit)
        except Exception as error:  # missing, not migrated yet, locked...: the store reads it
            log.debug("no early read of %s: %s", self.path, error)


# Python's defaults are (700, 10, 10): tuned for programs that make few objects. Textual
# makes and drops hundreds of thousands a second while it paints; at the defaults the young
# generations were collected ~150 times a second in a burst of events.
GC_THRESHOLDS = (5000, 10, 10)


def _tune_garbage_collection() -> tuple[int, int, int]:
    """Fewer, cheaper garbage collections once the monitor is up; returns the old thresholds.

    A full collection walks every tracked object and holds the loop, and the HTTP server in
    it, while it does: ~100 ms for the monitor's ~110,000 objects on a 2-vCPU machine. What
    the start made (modules, classes, CSS, widgets: half the heap) is frozen out of every
    later collection (still freed by reference counting; only a reference cycle among those
    objects now stays for good: the Footer's first keys, replaced on the first focus change,
    a few hundred objects once), and the young generations are collected 7x less often.
    Safe because the monitor makes almost no reference cycles any more (textual_fixes.py):
    a burst of 1,000 events/s leaves ~500 objects of cyclic garbage in 10 s.
    Measured (bench/tui_bench.py, bench/soak.py): in a burst, full collections 150-215 ms ->
    none, time in the collector 0.9 -> 0.35 s; on the 1M database 1.5 -> 1.0 s over the run,
    13 -> 3 full collections; the 10-minute soak's memory +4.4 % (defaults) / +5.5 % (these).
    Rarer still, (5000, 20, 100), let the soak grow +9.6 %.
    """
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return old


class MainScreen(Screen):
    """The monitor's screen. A focus change repaints the widgets whose look it changes (their
    styles are updated), not the whole screen as well: Textual's `focused` repaints every
    line of the terminal, which made moving between panes and the first frame of a filter
    change full redraws (~10 ms more, and ~28 KB written instead of what changed)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)


class ClaudeWatchApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "claude-watch"
    SUB_TITLE = "Claude Code, live"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        # Priority: run as the key arrives, before the keys typed after it reach the focused
        # table (see action_filter); check_action lets a focused text field have the `/`.
        Binding("slash", "filter", "Filter", key_display="/", priority=True),
        Binding("enter", "submit_filter", show=False, priority=True),  # only in the / bar
        Binding("f", "toggle_follow", "Follow/Pause"),
        Binding("e", "export", "Export"),
        Binding("a", "show_all", "All"),
        Binding("escape", "back", "Back", show=False),
        Binding("1", "focus_pane('projects')", "Projects", show=False),
        Binding("2", "focus_pane('sessions')", "Sessions", show=False),
        Binding("3", "focus_pane('events')", "Events", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        config: Any,
        clock: Callable[[], int] = now_ms,
        demo: bool = False,
        *,
        collector_factory: Callable[[Any, Callable[[], int]], Any] = _default_collector,
        export_dir: Path | str | None = None,
        tick_s: float = TICK_S,
    ) -> None:
        super().__init__()
        self.config = config
        self.clock = clock
        self.demo = demo
        self.collector_factory = collector_factory
        self.export_dir = Path(export_dir) if export_dir is not None else Path.cwd()
        self.tick_s = tick_s
        self.collector: Any | None = None
        self.store: Any | None = None
        self.window: EventWindow | None = None
        self.demo_traffic: Any | None = None
        self._gc_defaults: tuple[int, int, int] | None = None  # set by _tune_garbage_collection
        self._unsubscribe: Callable[[], None] | None = None
        self.live = LiveFeed(clock)
        self.status = Status()
        self.view_filter = ViewFilter()
        self.following = True
        self.new_count = 0  # "+N new" while paused
        self.ready = False  # the first screen of data is on
        self._generation = 0  # bumps on every filter change; stale results are dropped
        self._events_busy = False
        self._want_older = False
        self._want_newer = False
        self._closing_down = False
        self._events_dirty = False
        self._summaries_dirty = True
        self._summaries_busy = False
        self._next_summaries_at = 0.0
        self._next_live_at = 0.0
        self._next_spool_scan_at = 0.0  # live repaints back off when they get expensive
        self._query_timer: Any = None
        self._frames_held = 0  # the hold's number while a filter change holds the frames, else 0
        self._holds = 0
        self._after_frames: list[Callable[[], Any]] = []
        self._opening: asyncio.Future | None = None  # the store, opened while the screen is built
        self._started = time.perf_counter()
        # The newest events, read in a thread from now on: the first frame can show them.
        self._prefetch = _Prefetch(self._db_path(), self._head_rows())
        self.timings: dict[str, float] = {}
        self.last_export: Path | None = None
        self.shown_generation = -1  # the filter generation the events table shows
        self.older_pages_shown = 0  # pages of history shown, each way (bench)
        self.newer_pages_shown = 0

    # -- layout ----------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Header(icon="◉")
        with Horizontal(id="top"):
            with Box(id="projects-box"):
                yield ProjectsTable()
            with Box(id="sessions-box"):
                yield SessionsTable()
        with Box(id="events-box"):
            yield FilterBar()
            yield EventTable()
        yield StatusLine()
        yield Footer()

    def on_load(self) -> None:
        """Before the screen is built: open the store meanwhile."""
        self._opening = asyncio.ensure_future(self._open_store())

    def _db_path(self) -> Path:
        from claude_watch.paths import default_db_path

        return Path(getattr(self.config, "db_path", None) or default_db_path()).expanduser()

    async def _open_store(self) -> Any:
        from claude_watch.store import Store

        return await Store.open(self._db_path(), clock=self.clock,
                                busy_timeout_ms=getattr(self.config, "busy_timeout_ms", 5000))

    def _head_rows(self) -> int:
        """A new filter loads about two screens of rows (more is only more to build)."""
        try:
            visible = self.query_one(EventTable).visible_rows
        except Exception:  # not mounted yet
            visible = 0
        if not visible:
            visible = shutil.get_terminal_size((160, 45)).lines - SCREEN_CHROME_LINES
        return max(HEAD_MIN_ROWS, min(HEAD_MAX_ROWS, 2 * visible))

    def on_mount(self) -> None:
        self.query_one("#projects-box", Box).show_title(Text("Projects  [1]"))
        self._show_filter_state()
        self._show_prefetched()  # usually read by now: then the first frame has the events
        self._show_status()
        self.query_one(EventTable).focus()
        self.set_interval(self.tick_s, self._tick)
        self.boot()

    def _show_prefetched(self) -> bool:
        """Put the rows read at start on screen, if that read is done (and the filter is
        still the empty one it read). True if they are on."""
        prefetch = self._prefetch
        if prefetch.is_alive() or prefetch.result is None or self.shown_generation >= 0:
            return self.shown_generation >= 0
        table = self.query_one(EventTable)
        if not self.view_filter.is_empty or not table.columns:
            return False
        page, total = prefetch.result
        self.status.total = total
        table.show(page.events, reset=True)
        self.shown_generation = self._generation
        self._show_empty_hint_for(not page.events)
        self.timings["first_screen"] = time.perf_counter() - self._started
        return True

    @work(exclusive=True, group="boot")
    @_until_teardown
    async def boot(self) -> None:
        """Show the database, then start the server and the spool drain.

        The events come first (read in a thread while the screen was built, or else through
        the store), then projects and sessions, then the collector. If the server cannot start
        (port taken, ...) the monitor stays open on the database and the status line says why.
        """
        if self._opening is None:  # on_load did not run (a test driving on_mount alone)
            self.on_load()
        assert self._opening is not None
        if self._prefetch.is_alive():
            await asyncio.to_thread(self._prefetch.join, 2.0)
        early = self._show_prefetched()
        store = None
        try:
            store = await self._opening
        except Exception as error:  # StoreError: the database cannot be opened
            self.status.server_error = str(error) or error.__class__.__name__
        if store is not None:
            self.store = store
            if early:  # the events are on screen already: the rest can come together
                await asyncio.gather(self._show_first_screen(store), self._refresh_summaries())
            else:
                await self._show_first_screen(store)
                await self._next_frame()  # the events are painted before anything else is done
                await self._refresh_summaries()
            await self._start_collector(store)
        if self.status.server_error:
            self.sub_title = "server not running"
            self.notify(self.status.server_error, title="Collector not started", severity="error",
                        timeout=10, markup=False)
        self.status.starting = False
        self.ready = store is not None
        self._show_status()
        self._show_empty_hint()
        if self.demo and store is not None:
            await self._start_demo()
        self._gc_defaults = _tune_garbage_collection()

    async def _show_first_screen(self, store: Any) -> None:
        """The store is open: the window takes over the rows read at start (and what was
        written since), or reads the first page now."""
        self.store = store
        window = EventWindow(store, page=PAGE_ROWS, max_rows=MAX_ROWS)
        self._unsubscribe = store.subscribe(self.live.on_commit)
        self._summaries_dirty = True
        generation = self._generation
        prefetched = self._prefetch.result if self.shown_generation == generation else None
        try:
            if prefetched is not None:
                window.seed(EventFilter(), prefetched[0])
                await window.load_newer(limit=FOLLOW_ROWS)  # written between that read and now
            else:
                await window.load_head(self.view_filter.to_event_filter(), limit=self._head_rows())
            self.status.total = await store.total_events()
        except sqlite3.Error as error:
            self.window = window
            self._read_failed(error)
            return
        self._read_ok()
        self.window = window
        if generation != self._generation:  # the filter changed meanwhile
            self._reload_events_worker(self._generation)
            return
        self.query_one(EventTable).show(window.rows, reset=prefetched is None)
        if self.shown_generation != generation:
            self.timings["first_screen"] = time.perf_counter() - self._started
        self.shown_generation = generation
        self._show_empty_hint()
        self._show_status()

    async def _next_frame(self) -> None:
        """Until the screen has been refreshed."""
        painted = asyncio.Event()
        self.call_after_refresh(painted.set)
        await painted.wait()

    async def _start_collector(self, store: Any) -> None:
        try:
            collector = await asyncio.to_thread(self.collector_factory, self.config, self.clock)
        except Exception as error:
            self.status.server_error = str(error) or error.__class__.__name__
            return
        collector.adopt_store(store)
        self.collector = collector  # from here on, stopping the collector closes the store
        try:
            await collector.start()  # the store is open already: this binds and drains
            self.status.address = collector.address
            self.sub_title = safe_str(collector.address)
        except Exception as error:  # StartError carries a sentence for people
            self.status.server_error = str(error) or error.__class__.__name__

    async def _start_demo(self) -> None:
        try:
            from claude_watch.demo import DemoTraffic
        except ImportError:
            self.notify("demo traffic is not available in this build", severity="warning", markup=False)
            return
        if self.status.address is None:
            return
        self.demo_traffic = DemoTraffic(self.status.address, token=getattr(self.config, "token", None))
        await self.demo_traffic.start()

    async def on_unmount(self) -> None:
        """Stop in order: traffic, subscription, HTTP, store (aiosqlite threads keep us alive)."""
        self._closing_down = True
        self._release_frames()
        if self._gc_defaults is not None:  # a process that runs the monitor again (the tests)
            gc.unfreeze()
            gc.set_threshold(*self._gc_defaults)
        if self.demo_traffic is not None:
            await self.demo_traffic.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.collector is not None:
            await self.collector.stop()
            return
        # Not handed to a collector yet: the store is the monitor's to close (its connections'
        # threads would keep the process alive), once it has finished opening.
        store = self.store
        if store is None and self._opening is not None:
            try:
                store = await self._opening
            except Exception:
                store = None
        if store is not None:
            await store.close()

    # -- the repaint clock -----------------------------------------------------------------

    def _tick(self) -> None:
        arrivals = self.live.drain()
        if arrivals.events:
            self.status.total += arrivals.events
            self._summaries_dirty = True
        if arrivals.matching:
            if self.following:
                self._events_dirty = True
            else:
                self.new_count += arrivals.matching
                self._show_filter_state()
        self._maybe_load_older()
        self._maybe_load_newer()
        if (self._events_dirty and not self._events_busy and self.window is not None and self._main_visible()
                and time.monotonic() >= self._next_live_at):
            self._events_dirty = False
            self._refresh_newer(self._generation)
        if (self._summaries_dirty or time.monotonic() >= self._next_summaries_at + 10) and \
                not self._summaries_busy and time.monotonic() >= self._next_summaries_at and self.store:
            self._summaries_worker()
        self._show_status()

    def _main_visible(self) -> bool:
        """The events table is on screen (the help is a modal over it; an event covers it)."""
        return not getattr(self.screen, "covers_events", False)

    def _watch_store_health(self) -> None:
        """The store's write error, polled with the status line (an attribute read).

        The status line keeps the warning up while it lasts; a toast marks its start and end."""
        store = self.collector.store if self.collector is not None else self.store
        error = (getattr(store, "write_error", None) or None) if store is not None else None
        previous = self.status.write_error
        if error == previous or (store is None and self._closing_down):
            return
        self.status.write_error = error
        if error and previous is None:
            self.notify(f"{error}. New events are not being saved; the hooks spool them to disk "
                        "until the database takes writes again.",
                        title="Not saving events", severity="error", timeout=15, markup=False)
        elif not error:
            self.notify("The database takes writes again; spooled events are being stored.",
                        title="Saving events again", timeout=6, markup=False)

    def _read_failed(self, error: Exception) -> None:
        from claude_watch.store.store import describe_error

        reason = describe_error(error)
        if self.status.read_error is None:
            self.notify(f"{reason}. The tables may be out of date.", title="Cannot read the database",
                        severity="error", timeout=10, markup=False)
        self.status.read_error = reason
        self._show_status()

    def _read_ok(self) -> None:
        if self.status.read_error is not None:
            self.status.read_error = None
            self.notify("The database can be read again.", title="Reading again", timeout=5, markup=False)
            self._show_status()

    def _show_status(self) -> None:
        collector = self.collector
        self._watch_store_health()
        if collector is not None and self.status.server_error is None and not self.status.starting:
            try:
                if time.monotonic() >= self._next_spool_scan_at:
                    # A directory scan: every 2 s is plenty, and cheap even with a big backlog.
                    self._next_spool_scan_at = time.monotonic() + 2.0
                    self.status.spool_backlog = collector.spool_backlog()
                rejections = collector.ingestor.rejections
                self.status.rejected = rejections.count
                latest = rejections.latest
                self.status.rejected_reason = getattr(latest, "reason", None) if latest else None
            except Exception:
                pass
        self.status.rate = self.live.rate.per_second()
        try:
            self.query_one(StatusLine).show(self.status, self.live.rate.series())
        except Exception:  # the main screen is being torn down
            pass

    def _show_filter_state(self) -> None:
        self.status.filters = None if self.view_filter.is_empty else self.view_filter.describe()
        title = Text("Events  [3]  ", style="bold")
        title.append_text(self.view_filter.describe())
        if self.following:
            sub = Text("● FOLLOW (f pauses)", style="bold green")
        else:
            sub = Text("⏸ PAUSED", style="bold yellow")
            if self.new_count:
                sub.append(f"  +{self.new_count:,} new", style="bold reverse yellow")
            sub.append("  (f follows)", style="dim")
        project = self.view_filter.project
        sessions_title = Text("Sessions · ", style="bold")
        sessions_title.append(safe_str(project) if project else "all projects")
        sessions_title.append("  [2]")
        events_box = self.query_one("#events-box", Box)
        events_box.show_title(title)
        events_box.show_subtitle(sub)
        self.query_one("#sessions-box", Box).show_title(sessions_title)

    def _show_empty_hint(self) -> None:
        self._show_empty_hint_for(self.window is not None and not self.window.rows)

    def _show_empty_hint_for(self, empty: bool) -> None:
        """An empty table says why, and what to do, instead of just being empty."""
        table = self.query_one(EventTable)
        if not empty:
            table.set_empty_text(None)
            return
        if self.view_filter.is_empty:
            text = Text("No events yet.\n\n", style="bold")
            text.append("Send Claude Code's hooks here: ")
            text.append("claude-watch hooks install", style="bold cyan")
            if self.status.address:
                text.append("  (listening on ")
                text.append(safe_str(self.status.address), style="bold")
                text.append(")")
            text.append("\nor watch made-up traffic: ")
            text.append("claude-watch --demo", style="bold cyan")
        else:
            text = Text("No events match ", style="bold")
            text.append_text(self.view_filter.describe())
            text.append("\n\nesc clears the filter, a shows everything", style="dim")
        table.set_empty_text(text)

    # -- loading ---------------------------------------------------------------------------

    async def _reload_events(self, generation: int, with_summaries: bool = False) -> None:
        """The rows of a new filter; with a new project, its sessions too, painted in the same
        frame (a frame of their own after the events' cost ~50 ms more, and showed the new
        project's title over the old project's sessions meanwhile)."""
        assert self.window is not None
        started = time.perf_counter()
        summaries = None
        try:
            load = self.window.load_head(self.view_filter.to_event_filter(), limit=self._head_rows())
            if with_summaries and self.store is not None:
                self._summaries_dirty = False
                _, summaries = await asyncio.gather(load, self._read_summaries())
            else:
                await load
        except sqlite3.Error as error:
            self._show_filter_state()
            self._read_failed(error)
            return
        self._read_ok()
        if generation != self._generation:
            return
        queried = time.perf_counter()
        self._show_filter_state()
        table = self.query_one(EventTable)
        table.show(self.window.rows, reset=True)
        self._show_empty_hint()
        if summaries is not None:
            self._show_summaries(*summaries)
        self.shown_generation = generation
        self.timings["filter_query"] = queried - started
        self.timings["filter_change"] = time.perf_counter() - started

    @work(exclusive=True, group="events-reload")
    @_until_teardown
    async def _reload_events_worker(self, generation: int, with_summaries: bool = False) -> None:
        self._events_busy = True
        try:
            await self._reload_events(generation, with_summaries)
        finally:
            self._events_busy = False
            if generation == self._generation:
                self._release_frames()  # the rows are in: one frame for them and the focus

    def _hold_frames(self) -> None:
        """Draw nothing until the new rows are in, HOLD_FRAMES_S at most (see set_filter)."""
        if self._frames_held:
            return
        self._holds += 1
        hold = self._frames_held = self._holds
        self._begin_batch()
        self.set_timer(HOLD_FRAMES_S, lambda: self._release_frames(hold))

    def _release_frames(self, hold: int | None = None) -> None:
        if self._frames_held and (hold is None or hold == self._frames_held):
            self._frames_held = 0
            self._end_batch()
            waiting, self._after_frames = self._after_frames, []
            for callback in waiting:
                callback()

    def after_held_frames(self, callback: Callable[[], Any]) -> bool:
        """While a filter change holds the frames, run `callback` when the hold ends (True),
        else not at all (False: the caller goes on). The footer's rebuild for the new focus
        waits so: built during the hold it came before the rows (~25 ms, and a layout)."""
        if not self._frames_held:
            return False
        self._after_frames.append(callback)
        return True

    @work(group="events-newer")
    @_until_teardown
    async def _refresh_newer(self, generation: int) -> None:
        assert self.window is not None
        self._events_busy = True
        started = time.perf_counter()
        try:
            table = self.query_one(EventTable)
            try:
                added = await self.window.load_newer(limit=FOLLOW_ROWS)
            except sqlite3.Error as error:
                self._read_failed(error)
                self._events_dirty = True  # try again on a later tick
                self._next_live_at = time.monotonic() + 2.0
                return
            self._read_ok()
            if generation != self._generation or not added:
                return
            at_top = table.cursor_row == 0
            if table.cursor_row < FOLLOW_ROWS // 2:
                self.window.trim_bottom(FOLLOW_ROWS)
            # Following at the top: stay on the newest row; elsewhere: stay on the same event.
            keep = str(self.window.rows[0].id) if at_top and self.window.rows else None
            table.show(self.window.rows, keep=keep)
            self._show_empty_hint()
            spent = time.perf_counter() - started
            self.timings["live_repaint"] = spent
            # The table's repaint that follows costs about as much again: back off so the
            # live view never takes more than about a third of the loop.
            self._next_live_at = time.monotonic() + 4 * spent
        finally:
            self._events_busy = False

    @work(exclusive=True, group="summaries")
    @_until_teardown
    async def _summaries_worker(self) -> None:
        await self._refresh_summaries()

    async def _refresh_summaries(self) -> None:
        if self.store is None:
            return
        self._summaries_busy = True
        self._summaries_dirty = False
        started = time.perf_counter()
        project = self.view_filter.project
        try:
            try:
                summaries = await self._read_summaries()
            except sqlite3.Error as error:
                self._read_failed(error)
                return
            self._read_ok()
            if project != self.view_filter.project:
                self._summaries_dirty = True  # another project was chosen meanwhile: read again
                return
            self._show_summaries(*summaries)
        finally:
            spent = time.perf_counter() - started
            self.timings["summaries"] = spent
            self._next_summaries_at = time.monotonic() + max(SUMMARY_MIN_S, spent * 5)
            self._summaries_busy = False

    async def _read_summaries(self) -> tuple[list[Any], list[Any]]:
        """Projects, and the sessions of the selected project (or all)."""
        assert self.store is not None
        projects = await self.store.list_projects()
        sessions = await self.store.list_sessions(project=self.view_filter.project, limit=SESSION_ROWS)
        return projects, sessions

    def _show_summaries(self, projects: list[Any], sessions: list[Any]) -> None:
        now = self.clock()
        self.query_one(ProjectsTable).show(projects, now)
        self.query_one(SessionsTable).show(sessions, now)
        suggester = self.query_one(FilterBar).suggester
        if isinstance(suggester, QuerySuggester):
            suggester.tools.update(s.last_tool for s in sessions if s.last_tool)

    # -- narrowing -------------------------------------------------------------------------

    def set_filter(self, view_filter: ViewFilter, focus: Widget | None = None) -> None:
        """Every change of selection or query goes through here.

        `focus`: where the focus goes now (the keys that follow are for it), drawn with the new
        rows: frames are held until they are in. Drawn at once, the focus change restyled and
        repainted the tables and rebuilt the footer in frames of their own, which the rows then
        waited behind: ~60 ms more from Enter to the rows in a real terminal."""
        project_changed = view_filter.project != self.view_filter.project
        self.view_filter = view_filter
        self.live.view_filter = view_filter
        self._generation += 1
        self.new_count = 0
        refocus = focus is not None and focus is not self.focused
        if self.window is not None:
            # The titles change with the rows, in one frame: a frame of its own now would hold
            # up the answer to the query (both run on this loop). The reading starts first, the
            # focus change's restyling (~10 ms) runs while the database works.
            self._reload_events_worker(self._generation, with_summaries=project_changed)
            if refocus:
                self._hold_frames()
                focus.screen.set_focus(focus)
            return
        if refocus:
            focus.screen.set_focus(focus)
        self._show_filter_state()
        if project_changed and self.store is not None:
            self._summaries_worker()

    @on(ProjectChosen)
    def _project_chosen(self, message: ProjectChosen) -> None:
        sessions = self.query_one(SessionsTable) if message.project is not None else None
        self.set_filter(replace(self.view_filter, project=message.project, session_id=None), focus=sessions)

    @on(SessionChosen)
    def _session_chosen(self, message: SessionChosen) -> None:
        if message.session_id is None:
            self.set_filter(replace(self.view_filter, session_id=None))
        else:
            self.set_filter(replace(self.view_filter, session_id=message.session_id,
                                    project=message.project or self.view_filter.project),
                            focus=self.query_one(EventTable))

    @on(EventChosen)
    def _event_chosen(self, message: EventChosen) -> None:
        if self.store is not None:
            from claude_watch.tui.detail import DetailScreen

            self.push_screen(DetailScreen(self.store, message.event_id))

    @on(DataTable.RowHighlighted, "#events")
    def _cursor_moved(self, message: DataTable.RowHighlighted) -> None:
        """Moving off the newest row while following pauses: what you look at stays put
        (during a burst it would otherwise scroll away within a fraction of a second)."""
        table = self.query_one(EventTable)
        if (self.following and message.cursor_row > 0 and message.cursor_row == table.cursor_row
                and not table.replacing):
            self.following = False
            self._show_filter_state()

    @on(NeedOlder)
    def _need_older(self) -> None:
        self._want_older = True  # remembered if busy: the tick retries
        self._maybe_load_older()

    def _maybe_load_older(self) -> None:
        if not self._want_older or self._events_busy or self.window is None:
            return
        self._want_older = False
        if self.window.older is not None:
            self._load_page(self._generation, older=True)

    @on(NeedNewer)
    def _need_newer(self) -> None:
        self._want_newer = True  # remembered if busy: the tick retries
        self._maybe_load_newer()

    def _maybe_load_newer(self) -> None:
        if not self._want_newer or self._events_busy or self.window is None:
            return
        self._want_newer = False
        if not self.window.at_head:
            self._load_page(self._generation, older=False)

    @work(group="events-page")
    @_until_teardown
    async def _load_page(self, generation: int, older: bool) -> None:
        """A page of history: older below the window's bottom, or newer above its top (reading
        back up). The rows on screen stay put; past MAX_ROWS the other end gives way."""
        assert self.window is not None
        self._events_busy = True
        kind = "older" if older else "newer"
        try:
            started = time.perf_counter()
            try:
                added = await (self.window.load_older() if older else self.window.load_newer_page())
            except sqlite3.Error as error:
                self._read_failed(error)
                return
            self._read_ok()
            if generation != self._generation or not added:
                return
            queried = time.perf_counter()
            self.query_one(EventTable).show(self.window.rows)
            self.timings[f"{kind}_query"] = queried - started
            self.timings[f"{kind}_show"] = time.perf_counter() - queried
            if not older:
                self.newer_pages_shown += 1
                return
            self.older_pages_shown += 1
            if not self.window.at_head and self.following:
                self.following = False
                self.notify("Paused while you read history: f follows again", markup=False, timeout=4)
                self._show_filter_state()
        finally:
            self._events_busy = False
            # Asks that came in while loading were for this page.
            if older:
                self._want_older = False
            else:
                self._want_newer = False

    # -- the / bar -------------------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.add_class("-shown")
        bar.value = self.view_filter.query_line()
        bar.cursor_position = len(bar.value)
        # Now, not on a later turn (what `bar.focus()` does): the keys typed right after `/`
        # arrive in the same read, and would otherwise reach the monitor's bindings (`e` exports).
        bar.screen.set_focus(bar)

    def _apply_query(self, line: str, focus: Widget | None = None) -> None:
        new = self.view_filter.without_query().with_query(line)
        if new.session_id and new.session_id != self.view_filter.session_id:
            summaries = self.query_one(SessionsTable).summaries
            hits = [s for s in summaries if s.session_id.startswith(new.session_id)]
            if len(hits) == 1:
                new = replace(new, session_id=hits[0].session_id)
        if new != self.view_filter:
            self.set_filter(new, focus=focus)
        elif focus is not None:
            focus.screen.set_focus(focus)

    @on(Input.Changed, "#filter")
    def _query_typed(self, event: Input.Changed) -> None:
        if self._query_timer is not None:
            self._query_timer.stop()
        value = event.value
        self._query_timer = self.set_timer(0.3, lambda: self._apply_query(value))

    def action_submit_filter(self) -> None:
        """Enter in the / bar, as the key arrives (a priority binding, so the Input never gets
        it): the keys typed after it are the table's, even when the terminal delivers them in
        the same read. Through the Input's own Submitted message they reached the bar first."""
        value = self.query_one(FilterBar).value
        if self._query_timer is not None:
            self._query_timer.stop()
        table = self.query_one(EventTable)
        if not value.strip():
            self.query_one(FilterBar).remove_class("-shown")
            table.screen.set_focus(table)  # now: the bar it had is gone
        self._apply_query(value, focus=table)

    # -- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        """Esc: close the / bar and clear the query, then the session, then the project."""
        bar = self.query_one(FilterBar)
        if bar.has_focus or self.view_filter.has_query:
            if self._query_timer is not None:
                self._query_timer.stop()
            bar.value = ""
            bar.remove_class("-shown")
            table = self.query_one(EventTable)
            table.screen.set_focus(table)  # now: the bar it had is gone
            if self.view_filter.has_query:
                self.set_filter(self.view_filter.without_query())
        elif self.view_filter.session_id is not None:
            self.set_filter(replace(self.view_filter, session_id=None))
        elif self.view_filter.project is not None:
            self.set_filter(replace(self.view_filter, project=None))

    def action_show_all(self) -> None:
        bar = self.query_one(FilterBar)
        bar.value = ""
        bar.remove_class("-shown")
        self.set_filter(ViewFilter(), focus=self.query_one(EventTable))

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        if self.following:
            self.new_count = 0
            self._generation += 1
            if self.window is not None:
                self._reload_events_worker(self._generation)
        self._show_filter_state()

    def action_focus_pane(self, pane: str) -> None:
        self.query_one(f"#{pane}").focus()

    def action_help(self) -> None:
        from claude_watch.tui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        if self.store is None:
            self.notify("No database open", severity="error", markup=False)
            return
        self._export()

    @work(exclusive=True, group="export")
    async def _export(self) -> None:
        from claude_watch.export import export_events

        stamp = datetime.fromtimestamp(self.clock() / 1000).strftime("%Y%m%d-%H%M%S")
        path = self.export_dir / f"claude-watch-export-{stamp}.json"
        try:
            written = await export_events(self.store, self.view_filter.to_event_filter(), path, fmt="json")
        except Exception as error:
            self.notify(f"Export failed: {error}", severity="error", markup=False, timeout=8)
            return
        self.last_export = path
        self.notify(f"Exported {written:,} events to {path}", title="Export", markup=False, timeout=8)

    MAIN_ONLY = frozenset({"filter", "submit_filter", "toggle_follow", "export", "show_all", "back", "focus_pane"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The monitor's keys act on the monitor: off (and out of the footer) elsewhere."""
        if action in self.MAIN_ONLY and len(self.screen_stack) > 1:
            return False
        if action == "filter" and isinstance(self.focused, Input):
            return False  # a `/` typed into the filter (`src/app.ts`) is text
        if action == "submit_filter":
            return isinstance(self.focused, FilterBar)  # elsewhere Enter is the focused widget's
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Filter events", "Free text, type:, tool:, project:, session: (/)", self.action_filter)
        yield SystemCommand("Follow / pause", "Live newest-on-top, or hold still and count +N (f)",
                            self.action_toggle_follow)
        yield SystemCommand("Export filtered events", "Write the matching events to a JSON file (e)",
                            self.action_export)
        yield SystemCommand("Show everything", "Clear project, session and filters (a)", self.action_show_all)
        yield SystemCommand("Focus projects", "The projects table (1)", lambda: self.action_focus_pane("projects"))
        yield SystemCommand("Focus sessions", "The sessions table (2)", lambda: self.action_focus_pane("sessions"))
        yield SystemCommand("Focus events", "The events table (3)", lambda: self.action_focus_pane("events"))
        yield SystemCommand("Keys", "Every key claude-watch answers to (?)", self.action_help)


def run_tui(config: Any, demo: bool = False) -> int:
    """Entry point for the CLI: run the monitor until the user quits; returns an exit code."""
    app = ClaudeWatchApp(config, demo=demo)
    result = app.run()
    return int(result or app.return_code or 0)

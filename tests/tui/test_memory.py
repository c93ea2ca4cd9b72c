"""The monitor's memory stays flat while it runs: nothing kept for widgets or rows that are gone."""

from __future__ import annotations

import gc
from collections.abc import Callable

from rich.segment import Segment
from textual.cache import LRUCache
from textual.strip import Strip
from textual.widgets._footer import FooterKey

from claude_watch.store.models import ProjectSummary
from claude_watch.tui import textual_fixes
from claude_watch.tui.app import GC_THRESHOLDS
from claude_watch.tui.tables import ProjectsTable

from .conftest import FROZEN_MS, SIZE, ready, wait_for


def _footer_keys() -> int:
    gc.collect()
    return sum(isinstance(obj, FooterKey) for obj in gc.get_objects())


async def test_focus_changes_leave_no_footer_keys_behind(make_app):
    """Textual's Footer rebuilds its keys on every focus change and kept the old ones
    (Textualize/textual#6666): ~12 widgets a change, for as long as the monitor ran."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        # `/` and Esc change the keys shown, so the footer is rebuilt (moving between the
        # tables shows the same keys: no rebuild), after the start's objects were frozen out
        # of the collector's sight (gc.freeze): these keys are the ones it counts.
        for key in ("2", "3", "1", "3", "slash", "escape"):
            await pilot.press(key)
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        settled = _footer_keys()
        assert settled > 0
        for _ in range(10):
            for key in ("2", "3", "1", "3", "slash", "escape"):
                await pilot.press(key)
                await pilot.pause(0.05)
        await pilot.pause(0.3)
        assert _footer_keys() <= settled


async def test_the_footer_is_rebuilt_only_when_its_keys_change(make_app):
    """Moving between the tables shows the same keys: no rebuild (a layout and a repaint)."""
    from claude_watch.tui.footer import Footer

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        footer = app.query_one(Footer)
        await pilot.pause(0.1)
        keys = list(footer.children)
        for key in ("1", "2", "3"):
            await pilot.press(key)
            await pilot.pause(0.05)
        assert list(footer.children) == keys
        await pilot.press("slash")  # the bar has the focus: `/` is text there, not a key
        await wait_for(pilot, lambda: list(footer.children) != keys)
        assert "filter" not in {key.action for key in footer.query("FooterKey")}
        await pilot.press("escape")
        await wait_for(pilot, lambda: "filter" in {key.action for key in footer.query("FooterKey")})


async def test_table_updates_keep_no_dead_render_cache(make_app):
    """Each update makes every cached cell, row and line stale (they are keyed by the update
    count): the caches hold what is on screen, not the last 10,000 cells ever drawn."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = app.query_one(ProjectsTable)
        for n in range(60):
            projects = [ProjectSummary(f"p{i}", 1, 1, n + i, 0, 0, FROZEN_MS, FROZEN_MS - i) for i in range(8)]
            table.show(projects, FROZEN_MS)
            await pilot.pause(0.02)  # let it draw
        cells = (len(projects) + 1) * len(table.columns)
        assert len(table._cell_render_cache) <= 2 * cells
        assert len(table._row_render_cache) <= 2 * (len(projects) + 1)


def _garbage_left_by(make: Callable[[], None]) -> int:
    """Objects `make` leaves for the cycle collector (what only a full collection would free)."""
    gc.collect()
    gc.disable()
    try:
        make()
        return gc.collect()
    finally:
        gc.enable()


def test_a_strip_divided_at_its_end_is_not_a_reference_cycle():
    """The compositor divides every line it draws; Textual's Strip kept `[self]` in its own
    cache, so every repainted line waited for a full collection (claude_watch/tui/textual_fixes.py)."""
    textual_fixes.apply()  # as the monitor does on import

    def divide() -> None:
        strip = Strip([Segment("abc"), Segment("def")], 6)
        assert strip.divide([6]) == [strip]
        assert [s.text for s in strip.divide([2, 6])] == ["ab", "cdef"]

    assert _garbage_left_by(divide) == 0


def test_emptying_a_table_cache_leaves_no_reference_cycle():
    """Textual's LRUCache.clear() dropped its ring of entries whole, a cycle with every cached
    line in it (claude_watch/tui/textual_fixes.py)."""
    textual_fixes.apply()  # as the monitor does on import

    def fill_and_empty(empty: Callable[[LRUCache], None]) -> Callable[[], None]:
        def run() -> None:
            cache: LRUCache[int, Strip] = LRUCache(100)
            for n in range(50):
                cache.set(n, Strip([Segment(str(n))], len(str(n))))
            empty(cache)
            assert len(cache) == 0
        return run

    assert _garbage_left_by(fill_and_empty(LRUCache.clear)) == 0
    assert _garbage_left_by(fill_and_empty(textual_fixes._lru_clear)) > 0  # what the fix is there for


async def test_collections_are_tuned_while_the_monitor_runs_and_restored_after(make_app):
    defaults = gc.get_threshold()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: gc.get_freeze_count() > 0)  # at the end of the start
        assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_threshold() == defaults
    assert gc.get_freeze_count() == 0

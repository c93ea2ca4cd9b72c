"""Snapshots of the main screens, frozen clock, sample data posted over HTTP.

Update after a deliberate change: `.venv/bin/python -m pytest tests/tui/test_snapshots.py --snapshot-update`
"""

from pathlib import Path

import pytest

from claude_watch.collector import CollectorConfig
from claude_watch.tui.app import ClaudeWatchApp
from claude_watch.tui.detail import DetailScreen
from claude_watch.tui.tables import EventTable, ProjectsTable, SessionsTable

from .conftest import SIZE, frozen_clock, seed_samples, table_texts, wait_for


@pytest.fixture
def snap_app(tmp_path: Path) -> ClaudeWatchApp:
    config = CollectorConfig(host="127.0.0.1", port=0, db_path=tmp_path / "snap.db", spool_dir=tmp_path / "spool")
    return ClaudeWatchApp(config, clock=frozen_clock, export_dir=tmp_path)


async def seeded(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.ready)
    n = await seed_samples(app)
    app.status.address = "http://127.0.0.1:4820"  # the real port is random
    app.sub_title = app.status.address
    await wait_for(pilot, lambda: app.query_one(EventTable).row_count == n)
    # Summaries refresh at most once a second: wait for the final counts, not just the rows.
    await wait_for(pilot, lambda: sum(s.events for s in app.query_one(SessionsTable).summaries) == n
                   and sum(p.events for p in app.query_one(ProjectsTable).summaries) == n)
    await wait_for(pilot, lambda: app.status.total == n)
    await pilot.pause(0.3)


def test_overview(snap_compare, snap_app):
    assert snap_compare(snap_app, terminal_size=SIZE, run_before=seeded)


def test_one_session(snap_compare, snap_app):
    async def narrow(pilot):
        await seeded(pilot)
        app = pilot.app
        sessions = app.query_one(SessionsTable)
        await pilot.press("2")
        sessions.move_cursor(row=next(i for i, r in enumerate(table_texts(sessions)) if r[1] == "webshop"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.query_one(EventTable).row_count == 17)
        await pilot.pause(0.3)

    assert snap_compare(snap_app, terminal_size=SIZE, run_before=narrow)


def test_event_detail(snap_compare, snap_app):
    async def detail(pilot):
        await seeded(pilot)
        app = pilot.app
        events = app.query_one(EventTable)
        events.move_cursor(row=next(i for i, r in enumerate(table_texts(events))
                                    if r[3] == "PostToolUse" and r[4] == "Bash"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen.partner is not None)
        await wait_for(pilot, lambda: "loading" not in str(app.screen.query_one("#detail-payload").render()))
        await pilot.pause(0.3)

    assert snap_compare(snap_app, terminal_size=SIZE, run_before=detail)


def test_filter(snap_compare, snap_app):
    async def filtered(pilot):
        await seeded(pilot)
        app = pilot.app
        await pilot.press("slash")
        app.query_one("#filter").cursor_blink = False
        await pilot.press(*"type:PreToolUse", "enter")
        await wait_for(pilot, lambda: app.query_one(EventTable).row_count == 9)
        await pilot.pause(0.3)

    assert snap_compare(snap_app, terminal_size=SIZE, run_before=filtered)


def test_help(snap_compare, snap_app):
    async def helped(pilot):
        await seeded(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)

    assert snap_compare(snap_app, terminal_size=SIZE, run_before=helped)

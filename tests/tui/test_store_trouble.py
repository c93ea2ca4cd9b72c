"""The database refuses writes or reads: the monitor says so plainly, and says when it clears."""

import sqlite3

import claude_watch.store.store as store_module
from claude_watch.tui.bars import StatusText
from claude_watch.tui.tables import EventTable

from .conftest import FROZEN_MS, SIZE, post, ready, wait_for


def status_text(app) -> str:
    return app.query_one(StatusText).text.plain


def toasts(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def test_disk_full_shows_a_warning_until_writes_work_again(make_app, monkeypatch):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        body = {"session_id": "s-disk", "cwd": "/w/disk", "hook_event_name": "UserPromptSubmit", "prompt": "hi"}
        assert await post(app, body, FROZEN_MS - 5000) == 200
        assert "not saving" not in status_text(app)

        real_write_batch = store_module.write_batch

        async def disk_full(*args, **kwargs):
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(store_module, "write_batch", disk_full)
        assert await post(app, {**body, "prompt": "lost?"}, FROZEN_MS - 4000) == 503
        await wait_for(pilot, lambda: "not saving" in status_text(app))
        line = status_text(app)
        assert "⚠ not saving: the disk is full" in line
        assert "hooks spool events until this clears" in line
        await wait_for(pilot, lambda: any("Not saving events" in t and "the disk is full" in t for t in toasts(app)))

        # Still failing: no second toast.
        assert await post(app, {**body, "prompt": "again"}, FROZEN_MS - 3500) == 503
        await pilot.pause(0.5)
        assert sum("Not saving events" in t for t in toasts(app)) == 1

        monkeypatch.setattr(store_module, "write_batch", real_write_batch)
        assert await post(app, {**body, "prompt": "back"}, FROZEN_MS - 3000) == 200
        await wait_for(pilot, lambda: "not saving" not in status_text(app))
        assert app.status.write_error is None
        await wait_for(pilot, lambda: any("Saving events again" in t for t in toasts(app)))
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count == 2)


async def test_failed_reads_are_shown_and_clear(make_app, monkeypatch):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        store = app.store
        real = store.list_projects

        async def broken(*args, **kwargs):
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(store, "list_projects", broken)
        app._summaries_worker()
        await wait_for(pilot, lambda: "cannot read the database" in status_text(app))
        await wait_for(pilot, lambda: any("Cannot read the database" in t for t in toasts(app)))

        monkeypatch.setattr(store, "list_projects", real)
        app._summaries_worker()
        await wait_for(pilot, lambda: "cannot read the database" not in status_text(app))
        assert app.status.read_error is None


async def test_failed_read_in_the_event_view_is_shown_not_a_crash(make_app, monkeypatch):
    from textual.widgets import Static

    from claude_watch.tui.detail import DetailScreen

    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)

        async def broken(*args, **kwargs):
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(app.store, "get_event", broken)
        app.push_screen(DetailScreen(app.store, 1))
        def fields() -> str:
            try:
                return str(app.screen.query_one("#detail-fields", Static).render())
            except Exception:
                return ""

        await wait_for(pilot, lambda: "cannot read event #1" in fields())
        assert app.is_running

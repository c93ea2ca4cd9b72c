"""Follow, pause and the +N badge; paging back through history; the port already taken."""

import socket

from claude_watch.tui.bars import StatusLine
from claude_watch.tui.tables import EventTable

from .conftest import (
    FROZEN_MS,
    SIZE,
    post,
    ready,
    subtitle,
    table_texts,
    wait_for,
    with_history,
)


async def test_follow_pause_and_new_badge(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        events = app.query_one(EventTable)
        body = {"session_id": "s-live", "cwd": "/w/live", "hook_event_name": "UserPromptSubmit", "prompt": "one"}
        await post(app, body, FROZEN_MS - 5000)
        await wait_for(pilot, lambda: events.row_count == 1)
        assert "FOLLOW" in subtitle(app, "#events-box")

        await pilot.press("f")
        assert not app.following and "PAUSED" in subtitle(app, "#events-box")
        for i in range(3):
            await post(app, {**body, "prompt": f"more {i}"}, FROZEN_MS - 4000 + i)
        await wait_for(pilot, lambda: app.new_count == 3)
        assert "+3 new" in subtitle(app, "#events-box")
        assert events.row_count == 1  # the view held still
        assert app.status.total == 4

        await pilot.press("f")
        await wait_for(pilot, lambda: events.row_count == 4)
        assert app.following and app.new_count == 0
        assert "+3" not in subtitle(app, "#events-box")
        assert table_texts(events)[0][5] == "more 2"  # newest on top
        assert events.cursor_row == 0


async def test_new_events_keep_cursor_on_newest_while_following(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        events = app.query_one(EventTable)
        body = {"session_id": "s-live", "cwd": "/w/live", "hook_event_name": "UserPromptSubmit"}
        for i in range(5):
            await post(app, {**body, "prompt": f"p{i}"}, FROZEN_MS - 100 + i)
            await wait_for(pilot, lambda: events.row_count == i + 1)
            assert events.cursor_row == 0 and table_texts(events)[0][5] == f"p{i}"


async def test_paging_back_through_history(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app, events = await with_history(pilot)
        assert events.row_count == 100  # following: a small window, not the history

        events.focus()
        # The bottom of the window: the next 100 older come from SQLite, a page at a time.
        for expected in range(200, 1001, 100):
            await pilot.press("end")
            await wait_for(pilot, lambda: events.row_count == expected)
        assert table_texts(events)[-1][5] == "echo 500"
        # Past the window limit (1000) the newest rows are dropped and following pauses; the
        # cursor stays on the event it was on.
        await pilot.press("end")
        await wait_for(pilot, lambda: not app.window.at_head)
        assert events.row_count == 1000 and not app.following
        assert table_texts(events)[0][5] == "echo 1399" and table_texts(events)[-1][5] == "echo 400"
        assert table_texts(events)[events.cursor_row][5] == "echo 500"
        # Back up through history a page at a time: the top row of a window cut loose from the
        # head brings in the page above it, and the cursor stays on its event.
        await pilot.press("home")
        await wait_for(pilot, lambda: table_texts(events)[0][5] == "echo 1499")
        assert table_texts(events)[events.cursor_row][5] == "echo 1399"
        assert events.row_count == 1000 and table_texts(events)[-1][5] == "echo 500"
        await pilot.press("home")  # nothing newer: the window is at the head again
        await wait_for(pilot, lambda: app.window.at_head)
        assert table_texts(events)[0][5] == "echo 1499" and events.cursor_row == 0
        await pilot.press("end")
        await pilot.press("end")
        # Following again goes back to the newest events.
        await pilot.press("f")
        await wait_for(pilot, lambda: events.row_count == app._head_rows() and table_texts(events)[0][5] == "echo 1499")
        assert app.following and events.cursor_row == 0


async def test_port_in_use_still_opens_database(make_app, config):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    config.port = blocker.getsockname()[1]
    try:
        # Put an event in the database first, through a collector that starts normally.
        from claude_watch.collector import Collector, CollectorConfig
        from .conftest import make_event as mk

        first = Collector(CollectorConfig(host="127.0.0.1", port=0, db_path=config.db_path,
                                          spool_dir=config.spool_dir))
        await first.start()
        await first.store.submit([mk(1)])
        await first.stop()

        async with make_app().run_test(size=SIZE) as pilot:
            app = await ready(pilot)
            assert "already in use" in app.status.server_error
            line = app.query_one(StatusLine).query_one("#status-text").render()
            assert "server not running" in str(line) and "already in use" in str(line)
            await wait_for(pilot, lambda: app.query_one(EventTable).row_count == 1)
    finally:
        blocker.close()


async def test_moving_off_the_newest_row_pauses(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        events = app.query_one(EventTable)
        body = {"session_id": "s-live", "cwd": "/w/live", "hook_event_name": "UserPromptSubmit"}
        for i in range(3):
            await post(app, {**body, "prompt": f"p{i}"}, FROZEN_MS - 100 + i)
        await wait_for(pilot, lambda: events.row_count == 3)
        events.focus()
        await pilot.press("down")
        assert not app.following and "PAUSED" in subtitle(app, "#events-box")
        await post(app, {**body, "prompt": "later"}, FROZEN_MS)
        await wait_for(pilot, lambda: app.new_count == 1)
        assert table_texts(events)[events.cursor_row][5] == "p1"  # still on what we looked at
        await pilot.press("f")
        await wait_for(pilot, lambda: events.row_count == 4 and events.cursor_row == 0)
        assert app.following and table_texts(events)[0][5] == "later"

"""The first screen (events read before the store is open), the empty table's hint, and
moving up through history a page at a time."""

from rich.text import Text

from claude_watch.store import Store
from claude_watch.tui.tables import EventTable, ProjectsTable

from .conftest import FROZEN_MS, SIZE, make_event, post, ready, submit_many, table_texts, wait_for, with_history


async def test_first_screen_comes_from_the_early_read_then_the_store_takes_over(make_app, config):
    store = await Store.open(config.db_path)
    await store.submit([make_event(i) for i in range(300)])
    await store.close()

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count > 0)
        assert app._prefetch.result is not None  # read in a thread, before the store was open
        assert table_texts(events)[0][5] == "echo 299"
        assert events.row_count == app._head_rows() < 300
        await ready(pilot)
        await wait_for(pilot, lambda: app.query_one(ProjectsTable).row_count == 2)
        assert app.status.total == 300
        # Live from here on, through the store the window now reads from.
        body = {"session_id": "s-new", "cwd": "/w/new", "hook_event_name": "UserPromptSubmit", "prompt": "after start"}
        assert await post(app, body, FROZEN_MS) == 200
        await wait_for(pilot, lambda: table_texts(events)[0][5] == "after start")
        assert table_texts(events)[1][5] == "echo 299" and app.status.total == 301


async def test_a_new_database_has_no_early_read_and_still_opens(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app._prefetch.result is None  # nothing to read yet: the store made the file
        assert app.query_one(EventTable).row_count == 0


def hint_lines(table: EventTable) -> list[str]:
    return [table.render_line(y).text.strip() for y in range(table.size.height)]


async def test_an_empty_table_says_why_inside_itself(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: isinstance(events.empty_text, Text))
        lines = hint_lines(events)
        assert lines[0].startswith("Time") and lines[3] == "No events yet."
        assert any("claude-watch hooks install" in line for line in lines)

        await submit_many(app, [make_event(i) for i in range(3)])
        await wait_for(pilot, lambda: events.row_count == 3)
        assert events.empty_text is None

        await pilot.press("slash", *"nothing-matches-this", "enter")
        await wait_for(pilot, lambda: events.row_count == 0 and events.empty_text is not None)
        assert any(line.startswith("No events match") for line in hint_lines(events))
        await pilot.press("escape")
        await wait_for(pilot, lambda: events.row_count == 3 and events.empty_text is None)


async def test_up_from_the_top_of_history_brings_the_page_above(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app, events = await with_history(pilot)
        events.focus()
        while app.window.at_head:
            older = app.older_pages_shown
            await pilot.press("end")
            await wait_for(pilot, lambda: app.older_pages_shown > older)
        top = table_texts(events)[0][5]
        events.move_cursor(row=1)
        await pilot.pause()
        shown = app.newer_pages_shown
        await pilot.press("up")  # onto the top row of a window cut loose from the head
        await wait_for(pilot, lambda: app.newer_pages_shown > shown)
        texts = table_texts(events)
        assert texts[events.cursor_row][5] == top  # the cursor stayed on its event
        assert events.cursor_row == app.window.page
        assert int(texts[0][5].split()[1]) == int(top.split()[1]) + app.window.page  # the page right above
        assert events.row_count == app.window.max_rows
        assert [int(r[5].split()[1]) for r in texts] == sorted((int(r[5].split()[1]) for r in texts), reverse=True)

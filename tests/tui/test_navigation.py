"""Project and session selection, the / filter, Esc and `a` back to everything."""

from textual import events as textual_events

from claude_watch.tui.bars import FilterBar
from claude_watch.tui.tables import EventTable, ProjectsTable, SessionsTable

from .conftest import SIZE, ready, seed_samples, table_texts, title, wait_for


def row_of(table, column: int, value: str) -> int:
    return next(i for i, row in enumerate(table_texts(table)) if row[column] == value)


async def seeded(pilot):
    app = await ready(pilot)
    n = await seed_samples(app)
    events = app.query_one(EventTable)
    await wait_for(pilot, lambda: events.row_count == n)
    await wait_for(pilot, lambda: app.query_one(SessionsTable).row_count == 3)
    return app, events, n


async def test_select_project_then_session_then_back(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        projects, sessions = app.query_one(ProjectsTable), app.query_one(SessionsTable)

        await pilot.press("1")
        assert projects.has_focus
        projects.move_cursor(row=row_of(projects, 0, "infra-tools"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: events.row_count == 13)
        assert {r[1] for r in table_texts(events)} == {"infra-tools"}
        await wait_for(pilot, lambda: sessions.row_count == 2)  # "all" + the one session
        assert "infra-tools" in title(app, "#sessions-box")
        assert "project:infra-tools" in title(app, "#events-box")

        # Narrow to a session (from the sessions table, which has focus now).
        assert sessions.has_focus
        sessions.move_cursor(row=1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.view_filter.session_id == "c0ffee00-1111-4222-8333-444455556666")
        await wait_for(pilot, lambda: events.row_count == 13)
        assert "session:c0ffee00" in title(app, "#events-box")

        # Esc steps back: session, then project.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.view_filter.session_id is None)
        assert app.view_filter.project == "infra-tools"
        await pilot.press("escape")
        await wait_for(pilot, lambda: events.row_count == n)
        assert app.view_filter.project is None

        # The "all projects" row and `a` are the other ways back.
        await pilot.press("1")
        projects.move_cursor(row=row_of(projects, 0, "webshop"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: events.row_count == 17)
        await pilot.press("a")
        await wait_for(pilot, lambda: events.row_count == n)
        assert "all events" in title(app, "#events-box")


async def test_a_new_project_paints_its_events_and_sessions_together(make_app):
    """One frame for both: the sessions of the old project never sit under the new title."""
    from dataclasses import replace

    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        sessions = app.query_one(SessionsTable)
        seen: list[tuple[set[str], set[str]]] = []  # (events' projects, sessions' projects) at each frame
        screen = app.screen
        paint = screen._compositor_refresh

        def watched():
            seen.append(({r[1] for r in table_texts(events)}, {s.project for s in sessions.summaries}))
            paint()

        screen._compositor_refresh = watched  # type: ignore[method-assign]
        before = ({r[1] for r in table_texts(events)}, {s.project for s in sessions.summaries})
        assert len(before[1]) > 1  # sessions of every project
        app.set_filter(replace(app.view_filter, project="infra-tools"))
        await wait_for(pilot, lambda: app.shown_generation == app._generation)
        await pilot.pause()
        changed = [frame for frame in seen if frame != before]
        assert changed and changed[0] == ({"infra-tools"}, {"infra-tools"})  # no frame in between
        assert "infra-tools" in title(app, "#sessions-box")

        # A summaries read that started before a change of project is not shown after it.
        read = app._read_summaries

        async def slow_read():
            result = await read()  # infra-tools' sessions
            app._read_summaries = read  # type: ignore[method-assign]
            app.set_filter(replace(app.view_filter, project="webshop"))  # chosen meanwhile ...
            await wait_for(pilot, lambda: app.shown_generation == app._generation)  # ... and shown
            return result

        app._read_summaries = slow_read  # type: ignore[method-assign]
        await app._refresh_summaries()
        assert events.row_count == 17 and {s.project for s in sessions.summaries} == {"webshop"}


async def test_free_text_filter_and_escape(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        await pilot.press("slash")
        bar = app.query_one(FilterBar)
        assert bar.has_focus and bar.display
        await pilot.press(*"checkout")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.view_filter.text == "checkout" and not app._events_busy)
        await wait_for(pilot, lambda: 0 < events.row_count < n)
        # summary or payload mentions checkout
        assert all("checkout" in " ".join(r).lower() or r[3] in ("PostToolUse", "UserPromptSubmit", "PreToolUse")
                   for r in table_texts(events))
        assert 'text:"checkout"' in title(app, "#events-box")
        assert events.has_focus  # Enter hands the keys back to the table
        await pilot.press("escape")
        await wait_for(pilot, lambda: events.row_count == n)
        assert app.view_filter.is_empty and not bar.display


async def test_enter_in_the_filter_moves_the_focus_in_the_rows_frame(make_app):
    """The focus leaves the bar in the frame that shows the new rows, not in one of its own
    before them (which repainted the tables and rebuilt the footer first: the rows waited)."""
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        frames: list[tuple[bool, int]] = []  # (the table has the focus, rows) at each frame
        screen = app.screen
        paint = screen._compositor_refresh

        def watched():
            frames.append((events.has_focus, events.row_count))
            paint()

        screen._compositor_refresh = watched  # type: ignore[method-assign]
        await pilot.press("slash", *"tool:Bash")
        await wait_for(pilot, lambda: app.query_one(FilterBar).value == "tool:Bash")
        await pilot.pause()
        frames.clear()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.view_filter.tools == ("Bash",) and events.has_focus)
        await pilot.pause()
        focused = [rows for has_focus, rows in frames if has_focus]
        assert focused and focused[0] < n  # the first frame with the focus back has the Bash rows
        assert {r[4] for r in table_texts(events)} == {"Bash"}


async def test_keys_typed_right_after_enter_are_for_the_table(make_app):
    """Enter hands the keys back at once, even while the new rows are still being read."""
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        bar = app.query_one(FilterBar)
        await pilot.press("slash", *"tool:Bash")
        await wait_for(pilot, lambda: bar.value == "tool:Bash")
        following = app.following
        for key, character in (("enter", "\r"), ("f", "f")):
            app.post_message(textual_events.Key(key, character))  # no pause between them
        await wait_for(pilot, lambda: app.view_filter.tools == ("Bash",) and app.shown_generation == app._generation)
        await pilot.pause()
        assert bar.value == "tool:Bash" and events.has_focus
        assert app.following is not following  # `f` reached the monitor, not the bar
        # The footer, rebuilt once the rows were drawn, offers `/` again (the bar has no focus).
        await wait_for(pilot, lambda: "filter" in {key.action for key in app.query("FooterKey")})
        assert not app._frames_held


async def test_a_slow_filter_holds_the_screen_for_a_moment_only(make_app, monkeypatch):
    """Frames wait for the rows of a filter change, HOLD_FRAMES_S at most: a slow query (or a
    failed one) never freezes the screen."""
    import asyncio

    from claude_watch.tui import app as app_module

    monkeypatch.setattr(app_module, "HOLD_FRAMES_S", 1.0)  # long enough to see it held, on any machine
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        gate = asyncio.Event()
        load_head = app.window.load_head

        async def slow_load_head(*args, **kwargs):
            await gate.wait()
            return await load_head(*args, **kwargs)

        app.window.load_head = slow_load_head  # type: ignore[method-assign]
        await pilot.press("slash", *"tool:Bash", "enter")
        assert events.has_focus and app._frames_held  # the focus moved; its frame waits
        await wait_for(pilot, lambda: not app._frames_held, timeout=app_module.HOLD_FRAMES_S + 4)
        assert app.view_filter.tools == ("Bash",) and events.row_count == n  # still reading
        gate.set()
        await wait_for(pilot, lambda: app.shown_generation == app._generation)
        assert {r[4] for r in table_texts(events)} == {"Bash"}


async def test_keys_typed_right_after_slash_go_into_the_filter(make_app, tmp_path, monkeypatch):
    """A terminal delivers `/` and what follows in one read: those keys are the filter's text,
    not the monitor's commands (`e` would export, `a` would show everything)."""
    monkeypatch.chdir(tmp_path)  # where an export would land
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        for key, character in [("slash", "/"), *((c, c) for c in "eat")]:
            app.post_message(textual_events.Key(key, character))  # no pause between them
        bar = app.query_one(FilterBar)
        await wait_for(pilot, lambda: bar.value == "eat")
        assert bar.has_focus
        assert not list(tmp_path.glob("claude-watch-export-*"))
        await pilot.press(*"/src/")  # and a `/` in the filter is text
        assert bar.value == "eat/src/"


async def test_type_and_tool_filters(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        await pilot.press("slash", *"type:posttooluse,PostToolUseFailure", "enter")
        await wait_for(pilot, lambda: app.view_filter.event_types == ("PostToolUse", "PostToolUseFailure"))
        await wait_for(pilot, lambda: events.row_count == 9)
        assert {r[3] for r in table_texts(events)} == {"PostToolUse", "PostToolUseFailure"}

        await pilot.press("slash")
        bar = app.query_one(FilterBar)
        assert bar.value == "type:PostToolUse,PostToolUseFailure"  # the bar shows what is active
        bar.value = ""
        await pilot.press(*"tool:Bash", "enter")
        await wait_for(pilot, lambda: app.view_filter.tools == ("Bash",) and not app.view_filter.event_types)
        await wait_for(pilot, lambda: events.row_count == 6)
        assert {r[4] for r in table_texts(events)} == {"Bash"}
        assert "tool:Bash" in title(app, "#events-box")

        bar.value = ""
        await pilot.press("slash", *"project:webshop tool:Read", "enter")
        await wait_for(pilot, lambda: events.row_count == 2 and app.view_filter.project == "webshop")


async def test_help_and_command_palette(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "MainScreen"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Filter events", "Follow / pause", "Export filtered events", "Show everything", "Keys"):
            assert wanted in titles


async def test_filter_from_the_command_palette(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press(*"Filter events")
        await pilot.pause(0.3)  # the palette searches on a later turn
        await pilot.press("enter")
        bar = app.query_one(FilterBar)
        await wait_for(pilot, lambda: bar.has_focus and bar.display)
        await pilot.press(*"tool:Bash", "enter")
        await wait_for(pilot, lambda: app.view_filter.tools == ("Bash",))


async def test_sort_sessions(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        sessions = app.query_one(SessionsTable)
        await pilot.press("2", "s", "s")  # last -> started -> events
        assert sessions.sort_by == "events"
        await wait_for(pilot, lambda: [r[5] for r in table_texts(sessions)[1:]] == ["17", "13"] + [] or True)
        counts = [int(r[5]) for r in table_texts(sessions)[1:]]
        assert counts == sorted(counts, reverse=True)


async def test_mouse_click_selects_project_and_opens_event(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app, events, n = await seeded(pilot)
        projects = app.query_one(ProjectsTable)
        row = row_of(projects, 0, "webshop")
        await pilot.click(ProjectsTable, offset=(3, row + 1))  # +1: the header line; highlights
        assert projects.cursor_row == row
        await pilot.click(ProjectsTable, offset=(3, row + 1))  # clicking the highlighted row selects it
        await wait_for(pilot, lambda: app.view_filter.project == "webshop")
        await wait_for(pilot, lambda: events.row_count == 17)
        await pilot.click(EventTable, offset=(3, 3))  # the third event
        assert events.cursor_row == 2
        await pilot.click(EventTable, offset=(3, 3))  # a second click on the highlighted row opens it
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DetailScreen")

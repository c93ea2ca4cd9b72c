"""The detail view, the export file, and outside text that must stay data."""

import json

from rich.text import Text

from claude_watch.tui.detail import DetailScreen, render_payload
from claude_watch.tui.tables import EventTable, ProjectsTable, SessionsTable

from .conftest import FROZEN_MS, SIZE, post, ready, seed_samples, table_texts, wait_for


async def open_row(pilot, events, predicate):
    row = next(i for i, r in enumerate(table_texts(events)) if predicate(r))
    events.focus()
    events.move_cursor(row=row)
    await pilot.press("enter")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen.event is not None)
    screen = app.screen
    await wait_for(pilot, lambda: "loading" not in str(screen.query_one("#detail-payload").render()))
    return screen


async def test_detail_shows_fields_pair_duration_and_copies(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        n = await seed_samples(app)
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count == n)
        screen = await open_row(pilot, events, lambda r: r[3] == "PostToolUse" and r[4] == "Read")
        fields = str(screen.query_one("#detail-fields").render())
        assert "2025-11-27 10:58:35.000 UTC" in fields  # absolute time (TZ=UTC in tests)
        assert "toolu_018F2C0002" in fields and "/home/dev/code/webshop" in fields
        await wait_for(pilot, lambda: screen.partner is not None)
        pair = str(screen.query_one("#detail-pair").render())
        assert "PreToolUse" in pair and "duration 1.00 s" in pair  # samples are posted 1 s apart
        payload = str(screen.query_one("#detail-payload").render())
        assert '"tool_response": {' in payload  # pretty-printed
        await pilot.press("c")
        assert json.loads(app.clipboard)["tool_use_id"] == "toolu_018F2C0002"
        await pilot.press("p")  # the paired PreToolUse
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen is not screen
                       and app.screen.event is not None)
        assert app.screen.event.event_type == "PreToolUse"
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)
        assert events.row_count == n


async def test_huge_payload_is_cut_with_a_note(make_app):
    big = {"session_id": "s-big", "cwd": "/w/big", "hook_event_name": "PostToolUse", "tool_name": "Read",
           "tool_use_id": "toolu_big", "tool_response": {"content": "x" * 3_000_000}}
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await post(app, big, FROZEN_MS - 1000)
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count == 1)
        screen = await open_row(pilot, events, lambda r: True)
        shown = str(screen.query_one("#detail-payload").render())
        assert "more characters not shown" in shown and len(shown) < 300_000
        await pilot.press("c")
        assert len(app.clipboard) > 3_000_000  # copy takes everything


async def test_export_writes_filtered_events(make_app, tmp_path):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        n = await seed_samples(app)
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count == n)
        await pilot.press("slash", *"tool:Bash", "enter")
        await wait_for(pilot, lambda: events.row_count == 6)
        await pilot.press("e")
        await wait_for(pilot, lambda: getattr(app, "last_export", None) is not None)
        exported = json.loads(app.last_export.read_text())
        assert app.last_export.parent == tmp_path and app.last_export.name.startswith("claude-watch-export-")
        assert len(exported) == 6 and {e["tool_name"] for e in exported} == {"Bash"}
        assert exported[0]["payload"]["hook_event_name"] == "PreToolUse"  # oldest first, payload as JSON
        # Same format as `claude-watch export`.
        from claude_watch.export import export_events
        reference = tmp_path / "reference.json"
        await export_events(app.store, app.view_filter.to_event_filter(), reference, fmt="json")
        assert json.loads(reference.read_text()) == exported
        assert any(str(app.last_export) in n.message for n in app._notifications)


HOSTILE = ("[bold red]HACKED[/] [link=https://evil.example]click[/link] \x1b]0;PWNED\x07"
           "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b[31mred\x1b[0m\ttab 全角 🎉\x1b[2J\x9b31m end")


async def test_outside_text_stays_data(make_app):
    body = {"session_id": "[red]sess[/red]", "cwd": "/tmp/[bold]evil", "hook_event_name": "UserPromptSubmit",
            "prompt": HOSTILE, "model": "[blink]m"}
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        assert await post(app, body, FROZEN_MS - 1000, project_dir="/w/[italic]proj") == 200
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count == 1)
        await wait_for(pilot, lambda: app.query_one(SessionsTable).row_count == 2)
        row = events.get_row_at(0)
        summary: Text = row[5]
        assert isinstance(summary, Text)
        assert "[bold red]HACKED[/]" in summary.plain and "[link=https://evil.example]" in summary.plain
        assert "全角 🎉" in summary.plain
        for cell in [*row, *app.query_one(SessionsTable).get_row_at(1), *app.query_one(ProjectsTable).get_row_at(1)]:
            plain = cell.plain if isinstance(cell, Text) else str(cell)
            assert not any(ch in plain for ch in "\x1b\x07\x9b\t"), repr(plain)
            if isinstance(cell, Text):  # no style came from the data: only ours (no links)
                assert all("link" not in str(span.style) for span in cell.spans)
        assert row[1].plain == "[italic]proj"
        assert app.title == "claude-watch"

        # The whole screen as the terminal would get it: no OSC, no link, no clear-screen.
        svg = app.export_screenshot()
        assert "evil.example" in svg  # shown as text...
        assert "PWNED" not in svg  # ...but the title-setting sequence's text is gone with it

        screen = await open_row(pilot, events, lambda r: True)
        rendered = screen.query_one("#detail-payload").render()
        assert "\x1b" not in str(rendered) and "\x9b" not in str(rendered)
        assert "[bold red]HACKED[/]" in str(rendered)
        fields = str(screen.query_one("#detail-fields").render())
        assert "[red]sess[/red]" in fields


def test_render_payload_handles_non_json_and_control_characters():
    text = render_payload("not json \x1b[2J [b]x[/b] \x9b1m")
    assert text.plain == "not json  [b]x[/b] "
    text = render_payload(json.dumps({"k": "v\u009b31m"}, ensure_ascii=False))
    assert "\x9b" not in text.plain


async def test_monitor_keys_do_nothing_in_the_detail_view(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        app = await ready(pilot)
        await post(app, {"session_id": "s", "cwd": "/w/p", "hook_event_name": "Stop"}, FROZEN_MS - 1000)
        events = app.query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count == 1)
        screen = await open_row(pilot, events, lambda r: True)
        await pilot.press("slash", "f", "e", "a")
        assert app.screen is screen and app.following
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)

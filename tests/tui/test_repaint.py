"""What a change repaints: a box's title only its border line, a table refresh only the rows
whose text changed (the projects and sessions tables are refreshed every second)."""

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from claude_watch.tui.box import Box
from claude_watch.tui.tables import WindowTable


class Drawn:
    """The table lines a widget draws, frame after frame."""

    def __init__(self, table: WindowTable) -> None:
        self.lines: list[int] = []
        draw = table.render_line

        def counted(y: int):
            self.lines.append(y)
            return draw(y)

        table.render_line = counted  # type: ignore[method-assign]

    def take(self) -> list[int]:
        lines, self.lines = self.lines, []
        return lines


class TableInABox(App):
    CSS = "Box { border: round white; }"

    def compose(self) -> ComposeResult:
        with Box(id="box"):
            yield WindowTable(id="table")

    def on_mount(self) -> None:
        table = self.query_one(WindowTable)
        table.add_column("Name", key="name", width=10)
        table.add_column("Count", key="count", width=6)
        table.replace_rows(rows(["a", "b", "c", "d"]))


def rows(names: list[str], counts: dict[str, int] | None = None) -> list[tuple[str, list[Text]]]:
    counts = counts or {}
    return [(name, [Text(name), Text(str(counts.get(name, 0)), justify="right")]) for name in names]


def line_text(table: WindowTable, y: int) -> str:
    return table.render_line(y).text


async def test_a_new_title_repaints_the_border_line_and_not_the_box():
    app = TableInABox()
    async with app.run_test(size=(40, 12)) as pilot:
        box = app.query_one(Box)
        await pilot.pause()
        drawn: list[int] = []  # the lines of the box drawn again (the others come from a cache)
        cache = box._styles_cache
        draw_line = cache.render_line

        def counted(styles, y, *args, **kwargs):
            drawn.append(y)
            return draw_line(styles, y, *args, **kwargs)

        cache.render_line = counted  # type: ignore[method-assign]
        draw = box.render_lines
        box.border_title = Text("Events · set as Textual does it")
        await pilot.pause()
        assert sorted(set(drawn)) == list(range(box.outer_size.height))  # the whole box
        drawn.clear()

        box.show_title(Text("Events · all"))
        await pilot.pause()
        assert drawn == [0] and box._border_title.plain == "Events · all"
        assert "Events · all" in draw(box.region.reset_offset)[0].text
        drawn.clear()
        box.show_subtitle(Text("FOLLOW"))
        await pilot.pause()
        assert drawn == [box.outer_size.height - 1] and box._border_subtitle.plain == "FOLLOW"
        assert "FOLLOW" in draw(box.region.reset_offset)[-1].text
        box.show_title(Text("Events · all"))  # the same title: nothing at all
        assert not box._repaint_required


async def test_a_refresh_with_the_same_text_draws_nothing_and_a_changed_cell_its_row_only():
    app = TableInABox()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(WindowTable)
        await pilot.pause()
        drawn = Drawn(table)
        updates = table._update_count

        table.replace_rows(rows(["a", "b", "c", "d"]))  # new Text objects, the same text
        await pilot.pause()
        assert drawn.take() == [] and table._update_count == updates

        table.replace_rows(rows(["a", "b", "c", "d"], {"c": 7}))
        await pilot.pause()
        header = table.header_height
        assert drawn.take() == [header + 2]  # the row of "c", nothing else
        assert line_text(table, header + 2).split() == ["c", "7"]
        assert [line_text(table, header + i).split()[0] for i in range(4)] == ["a", "b", "c", "d"]

        table.move_cursor(row=1)
        await pilot.pause()
        drawn.take()
        table.replace_rows(rows(["d", "a", "b", "c"], {"c": 7}))  # reordered: drawn again
        await pilot.pause()
        assert sorted(set(drawn.take())) == list(range(table.size.height))
        assert [line_text(table, header + i).split()[0] for i in range(4)] == ["d", "a", "b", "c"]
        assert table.current_key() == "b"  # the cursor stays on its row


async def test_moving_between_panes_redraws_what_changed_not_the_screen(make_app):
    """Textual repaints every line of the terminal on a focus change; the monitor's screen
    repaints the panes whose look changed (borders, cursors) only."""
    from .conftest import SIZE, ready

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.pause(0.2)
        compositor = app.screen._compositor
        render_update = compositor.render_update
        updates: list[str] = []

        def recorded(*args, **kwargs):
            update = render_update(*args, **kwargs)
            updates.append(type(update).__name__)
            return update

        compositor.render_update = recorded  # type: ignore[method-assign]
        boxes = ("#projects-box", "#sessions-box", "#events-box")

        def corner_colours() -> list:
            """The colour each box's top-left corner is drawn in now (what the screen shows)."""
            colours = []
            for selector in boxes:
                box = app.query_one(selector)
                line = box.render_lines(Region(0, 0, box.outer_size.width, 1))[0]
                colours.append(next(seg.style.color for seg in line if seg.text.startswith("╭")))
            return colours

        for key, pane, box in (("1", "#projects", 0), ("2", "#sessions", 1), ("3", "#events", 2), ("1", "#projects", 0)):
            await pilot.press(key)
            await pilot.pause(0.1)
            assert app.focused is app.query_one(pane)
            colours = corner_colours()
            # The focused pane's box in the focus colour, the others not: repainted as it moved.
            assert [c for i, c in enumerate(colours) if i != box] == [colours[(box + 1) % 3]] * 2
            assert colours[box] != colours[(box + 1) % 3]
        assert updates and "LayoutUpdate" not in updates  # partial updates only

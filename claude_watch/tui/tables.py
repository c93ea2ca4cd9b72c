"""The three tables: projects, sessions, events.

Each shows a small window of rows, rebuilt with `clear()` + `add_row` inside `batch_update`,
and keeps the cursor on the same row key across rebuilds. Every cell is a `Text` built by
`safe.cell`, never a markup string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import zip_longest
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, Row, RowKey

from claude_watch.tui.messages import EventChosen, NeedNewer, NeedOlder, ProjectChosen, SessionChosen
from claude_watch.tui.safe import (
    FAILURE_TYPES,
    STATE_LABELS,
    STATE_STYLES,
    cell,
    clock_time,
    count,
    event_type_cell,
    relative,
    same_text,
    short_id,
)

ALL_KEY = "__all__"


def session_state(summary: Any, now: int, idle_after_ms: int = 5 * 60_000) -> str:
    """Works with either spelling the core may offer."""
    state_at = getattr(summary, "state_at", None)
    if callable(state_at):
        return state_at(now)
    return summary.state(now, idle_after_ms)


def short_model(model: str | None) -> str:
    """`claude-sonnet-4-5` -> `sonnet-4-5`: the family is what tells sessions apart."""
    model = model or ""
    return model[7:] if model.startswith("claude-") else model


class WindowTable(DataTable):
    """A DataTable whose rows are replaced as a whole, keeping the cursor on its row key.

    Replacing reuses what is already there: rows whose key stays keep their cells (the caller
    passes `None` for them, or cells that draw the same), so a live update or a page of history
    costs the new rows only, never a rebuild of the window, and a refresh that changes a few
    cells in place repaints those rows only; and the rendering path looks each style up once per frame
    instead of once per line (each lookup walks the DOM: most of a frame's cost otherwise).
    """

    DEFAULT_CSS = """
    WindowTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.replacing = False  # True while rows are swapped: scroll changes are not the user's
        self._pass_styles: dict[str, Style] | None = None  # styles of the frame being rendered
        self._bodies: dict[int, tuple[Text, int, list[Segment]]] = {}  # id(cell) -> its segments
        self._metas: dict[tuple[int, int], Style] = {}

    # -- rows -------------------------------------------------------------------------------

    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def replace_rows(self, rows: Sequence[tuple[str, Sequence[Text] | None]], keep: str | None = None,
                     *, anchor: bool = False, reset: bool = False) -> None:
        """Make the table show `rows` (key, cells), in that order, in one step.

        `cells` may be None for a key the table already has: its row is kept as it is. The
        cursor stays on `keep` (default: the row it is on). `anchor`: keep the same rows at the
        top of the view (rows came or went above them); otherwise the scroll offset stays.
        `reset`: cursor and view back to the first row.
        """
        keep = keep if keep is not None else self.current_key()
        self.replacing = True
        try:
            with self.app.batch_update():
                self._replace(rows, keep, anchor, reset)
        finally:
            self.replacing = False

    def _replace(self, rows: Sequence[tuple[str, Sequence[Text] | None]], keep: str | None,
                 anchor: bool, reset: bool) -> None:
        scroll_y = self.scroll_y
        top_key = None
        if anchor and self.row_count:
            top_key = self._row_locations.get_key(min(int(scroll_y), self.row_count - 1))
        old_rows, old_data, old_locations = self.rows, self._data, self._row_locations
        columns = self.ordered_columns
        new_rows: dict[RowKey, Row] = {}
        new_data: dict[RowKey, dict[ColumnKey, Any]] = {}
        locations: dict[RowKey, int] = {}
        changed: list[int] = []  # rows whose cells are new
        for key, cells in rows:
            row_key = RowKey(key)
            if row_key in locations:
                continue  # a key shows once
            row = old_rows.get(row_key)
            old = old_data.get(row_key) if row is not None else None
            if old is not None and cells is None:
                new_data[row_key] = old
            else:
                data, same = self._merge_cells(old, cells, columns)
                if same:
                    new_data[row_key] = old  # the same text: nothing to render again
                else:
                    new_data[row_key] = data
                    row = Row(row_key, 1)
                    changed.append(len(locations))
            new_rows[row_key] = row if row is not None else Row(row_key, 1)
            locations[row_key] = len(locations)
        same_rows = len(locations) == len(old_rows) and all(
            old_locations.get(row_key) == index for row_key, index in locations.items())
        index = locations.get(RowKey(keep)) if keep is not None else None
        if same_rows and not reset and (index is None or index == self.cursor_row):
            # The same rows in the same places (the projects and sessions tables, refreshed
            # every second): repaint the rows whose text changed, if any, and nothing else.
            if changed:
                self._data = new_data
                self.rows = new_rows
                self._update_count += 1
                self._clear_row_caches()
                for changed_index in changed:
                    self.refresh_row(changed_index)
            return
        self.rows = new_rows
        self._data = new_data
        self._row_locations = TwoWayDict(locations)
        self._new_rows.clear()
        self._updated_cells.clear()
        self._update_count += 1
        # DataTable's render caches are keyed by _update_count: from here on nothing in them can
        # be used again, and left to their LRU bounds (10,000 cells, 1,000 rows and lines per
        # table) they held ~20,000 dead cells' segments, ~15 MiB, at 200 events/s.
        self._clear_caches()
        # Every row is one line and every column has a fixed width: the size is known now.
        self._require_update_dimensions = False
        self._update_dimensions(locations)
        if len(self._bodies) > len(locations) * len(columns) + 2000:  # keep what is on the table
            live = {id(cell) for cells in new_data.values() for cell in cells.values()}
            self._bodies = {key: entry for key, entry in self._bodies.items() if key in live}

        if reset:
            index, target_y = 0, 0.0
        else:
            if index is None:
                index = min(self.cursor_row, max(0, len(locations) - 1))
            target_y = scroll_y
            if top_key is not None and top_key in locations:
                target_y = float(locations[top_key])
            # ... and the cursor's row in view, scrolling as little as needed.
            visible = max(1, self.scrollable_content_region.height - (self.header_height if self.show_header else 0))
            if index < target_y:
                target_y = float(index)
            elif index >= target_y + visible:
                target_y = float(index - visible + 1)
        self.scroll_to(y=target_y, animate=False, immediate=True)
        self.cursor_coordinate = Coordinate(index, self.cursor_column)
        self.refresh()

    @staticmethod
    def _merge_cells(old: dict[ColumnKey, Any] | None, cells: Sequence[Text] | None,
                     columns: Sequence[Any]) -> tuple[dict[ColumnKey, Any], bool]:
        """A row's new cells, keeping each old cell whose text is the same (its rendering is
        kept with it); and whether every cell is the same."""
        data: dict[ColumnKey, Any] = {}
        same = old is not None
        for column, cell in zip_longest(columns, cells or ()):
            previous = old.get(column.key) if old is not None else None
            if previous is not None and same_text(previous, cell):
                cell = previous
            else:
                same = False
            data[column.key] = cell
        return data, same

    def _clear_row_caches(self) -> None:
        """DataTable's render caches, but not the lines already drawn (Textual's line cache):
        the rows that did not change are not drawn again."""
        for cache in (self._row_render_cache, self._cell_render_cache, self._row_renderable_cache,
                      self._line_cache, self._offset_cache, self._ordered_row_cache):
            cache.clear()

    def _update_dimensions(self, new_rows: Any) -> None:
        """Every column here has a fixed width and every row one line, so there is nothing to
        measure: DataTable's own version measures each new cell (~40 ms for 200 rows), which
        on a live window would be paid several times a second for nothing. Nor is there
        anything to lay out but this table's scrollbars (below)."""
        if any(c.auto_width for c in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        width = sum(c.get_render_width(self) for c in self.columns.values()) + self._row_label_column_width
        header = self.header_height if self.show_header else 0
        size = Size(width, self._total_row_height + header)
        if size == self.virtual_size:
            return
        # Setting `virtual_size` lays out the whole screen (it is a layout reactive), ~20 ms
        # and a full redraw of the terminal, when all that changes is how far this table
        # scrolls: its scrollbars are updated here instead. A scrollbar that must appear or go
        # away still lays the screen out (show_vertical_scrollbar does that).
        self.set_reactive(DataTable.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    # -- rendering --------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._pass_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._pass_styles = None

    def _style(self, component: str = "") -> Style:
        """The widget's (or a component's) Rich style, looked up once per frame."""
        cache = self._pass_styles
        style = cache.get(component) if cache is not None else None
        if style is None:
            style = self.get_component_styles(component).rich_style if component else self.rich_style
            if cache is not None:
                cache[component] = style
        return style

    def render_line(self, y: int) -> Strip:
        """A line of the table: the header by DataTable, a row by `_row_line`."""
        header = self.header_height if self.show_header else 0
        if self.fixed_rows or self.fixed_columns or self.cursor_type != "row" or (
                self._labelled_row_exists and self.show_row_labels):
            return super().render_line(y)  # not what these tables are: DataTable's own way
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y < header:
            return self._render_line(y, scroll_x, scroll_x + width, self._style())
        row_index = y - header + scroll_y
        if row_index >= len(self._row_locations):
            return Strip.blank(width, self._style())
        return self._row_line(row_index, scroll_x, width)

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        if row_index == -1:
            return self._style("datatable--header")
        if row_index < self.fixed_rows:  # DataTable's own way draws those (see render_line)
            return self._style("datatable--fixed")
        if self.zebra_stripes:
            return self._style("datatable--odd-row" if row_index % 2 else "datatable--even-row")
        return base_style

    def _row_line(self, row_index: int, scroll_x: int, width: int) -> Strip:
        """One row, drawn straight from its cells' kept segments.

        What DataTable does for each of the row's cells (its styles for the row, the cursor and
        the mouse, a `Styled(Padding(cell))` rendered by the console, ~0.3 ms a cell), done once
        for the row; each cell's own segments are made once while it lives (`_body`). The same
        styles and layout as DataTable's (the screenshots compare them); a 28-row screen of new
        rows draws in ~5 ms instead of ~20."""
        row_key = self._row_locations.get_key(row_index)
        cells = self._data.get(row_key, {})
        row_style = self._get_row_style(row_index, self._style())
        show_cursor = self.show_cursor
        cursor = show_cursor and self.cursor_row == row_index
        hover = self._show_hover_cursor and self.hover_row == row_index
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        row_pre = row_style + component_style
        segments: list[Segment] = []
        append = segments.append
        total = 0
        for column_index, column in enumerate(self.ordered_columns):
            column_width = column.get_render_width(self)
            total += column_width
            pre = row_pre + self._meta(row_index, column_index)
            plain = pre + post_style
            cell = cells.get(column.key)
            if not isinstance(cell, Text):
                cell = Text(str(cell) if cell is not None else "")
            for text, style, _ in self._body(cell, column_width):
                append(Segment(text, pre + style + post_style if style else plain))
        extend_style, _ = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, show_cursor, self._show_hover_cursor, False, False)
        extend_style = row_style + extend_style + self._meta(row_index, 0, out_of_bounds=True)
        if total < width + scroll_x:
            append(Segment(" " * (width + scroll_x - total), extend_style))
        strip = Strip(segments)
        if scroll_x:
            strip = strip.crop(scroll_x, scroll_x + width)
        return strip.adjust_cell_length(width, self._style()).simplify()  # fewer segments to write

    def _meta(self, row: int, column: int, out_of_bounds: bool = False) -> Style:
        key = (row, -1 if out_of_bounds else column)
        style = self._metas.get(key)
        if style is None:
            meta = {"row": row, "column": column, "out_of_bounds": True} if out_of_bounds else {"row": row, "column": column}
            style = self._metas[key] = Style.from_meta(meta)
        return style

    def _body(self, cell: Text, width: int) -> list[Segment]:
        """A cell's text cut and padded to `width`, in its own styles (no row style yet)."""
        entry = self._bodies.get(id(cell))
        if entry is not None and entry[0] is cell and entry[1] == width:
            return entry[2]
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        console = self.app.console
        style = console.get_style(cell.style) if cell.style else None
        plain = cell.plain
        length = cell_len(plain)
        if not cell.spans and length <= inner:  # most cells: one style, and they fit
            rendered = [Segment(plain, style)]
        else:
            text = cell.copy()
            text.end = ""
            text.truncate(inner, overflow="ellipsis")
            length = text.cell_len
            # `Text.render` leaves the base style off when there are no spans: put it back.
            rendered = list(Segment.apply_style(text.render(console), style))
        gap = max(0, inner - length)
        left = gap if cell.justify == "right" else gap // 2 if cell.justify == "center" else 0
        body = [Segment(" " * (pad + left)), *rendered, Segment(" " * (pad + gap - left))]
        self._bodies[id(cell)] = (cell, width, body)
        return body


class ProjectsTable(WindowTable):
    BINDINGS = [Binding("s", "cycle_sort", "Sort", show=False)]
    SORTS = ("last", "name", "events", "sessions")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="projects", **kwargs)
        self.sort_by = "last"
        self.summaries: list[Any] = []
        self.total = 0

    def on_mount(self) -> None:
        for label, key, width in (
            ("Project", "name", 14), ("Sess", "sessions", 5), ("Active", "active", 6),
            ("Events", "events", 9), ("Last", "last", 7),
        ):
            self.add_column(label, key=key, width=width)

    def show(self, summaries: list[Any], now: int) -> None:
        self.summaries = summaries
        rows = self._sorted(summaries)
        total_events = sum(p.events for p in summaries)
        active = sum(p.active_sessions for p in summaries)
        out: list[tuple[str, list[Text]]] = [
            (ALL_KEY, [
                Text("★ all projects", style="bold"),
                Text(count(sum(p.sessions for p in summaries)), justify="right"),
                Text(count(active), justify="right", style="green" if active else "dim"),
                Text(count(total_events), justify="right"),
                Text(relative(max((p.last_ts for p in summaries), default=0), now)),
            ])
        ]
        for p in rows:
            out.append(("p:" + (p.name or ""), [
                cell(p.name or "(none)", limit=60),
                Text(count(p.sessions), justify="right"),
                Text(count(p.active_sessions), justify="right", style="green" if p.active_sessions else "dim"),
                Text(count(p.events), justify="right"),
                Text(relative(p.last_ts, now)),
            ]))
        self.replace_rows(out)

    def _sorted(self, summaries: list[Any]) -> list[Any]:
        key: Callable[[Any], Any] = {
            "last": lambda p: -(p.last_ts or 0),
            "name": lambda p: (p.name or "").lower(),
            "events": lambda p: -p.events,
            "sessions": lambda p: -p.sessions,
        }[self.sort_by]
        return sorted(summaries, key=key)

    def action_cycle_sort(self) -> None:
        self.sort_by = self.SORTS[(self.SORTS.index(self.sort_by) + 1) % len(self.SORTS)]
        self.app.notify(f"Projects sorted by {self.sort_by}", timeout=2)
        self.show(self.summaries, self.app.clock())

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = {"name": "name", "sessions": "sessions", "events": "events", "last": "last"}.get(
            event.column_key.value or "")
        if key:
            event.stop()
            self.sort_by = key
            self.show(self.summaries, self.app.clock())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value or ALL_KEY
        self.post_message(ProjectChosen(None if key == ALL_KEY else key[2:]))


class SessionsTable(WindowTable):
    BINDINGS = [Binding("s", "cycle_sort", "Sort", show=False)]
    SORTS = ("last", "started", "events", "failures", "state")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="sessions", **kwargs)
        self.sort_by = "last"
        self.summaries: list[Any] = []

    def on_mount(self) -> None:
        for label, key, width in (
            ("Session", "session", 8), ("Project", "project", 11), ("Model", "model", 11),
            ("Started", "started", 7), ("Last", "last", 7), ("Events", "events", 6),
            ("Tools", "tools", 5), ("Fails", "failures", 5), ("State", "state", 9),
            ("Tool", "tool", 12),
        ):
            self.add_column(label, key=key, width=width)

    def show(self, summaries: list[Any], now: int) -> None:
        self.summaries = summaries
        states = {s.session_id: session_state(s, now) for s in summaries}
        order = {"active": 0, "waiting": 1, "idle": 2, "ended": 3}
        key: Callable[[Any], Any] = {
            "last": lambda s: -(s.last_ts or 0),
            "started": lambda s: -(s.first_ts or 0),
            "events": lambda s: -s.events,
            "failures": lambda s: -s.failures,
            "state": lambda s: (order.get(states[s.session_id], 9), -(s.last_ts or 0)),
        }[self.sort_by]
        out: list[tuple[str, list[Text]]] = [
            (ALL_KEY, [Text("★ all", style="bold")] + [Text("")] * 9)
        ]
        for s in sorted(summaries, key=key):
            state = states[s.session_id]
            out.append(("s:" + s.session_id, [
                Text(short_id(s.session_id), style="bold"),
                cell(s.project or "", limit=40),
                cell(short_model(s.model), style="dim", limit=40),
                Text(relative(s.first_ts, now)),
                Text(relative(s.last_ts, now)),
                Text(count(s.events), justify="right"),
                Text(count(s.tool_calls), justify="right"),
                Text(count(s.failures), justify="right", style="bold red" if s.failures else "dim"),
                Text(STATE_LABELS.get(state, state), style=STATE_STYLES.get(state, "")),
                cell(s.last_tool or "", limit=40),
            ]))
        self.replace_rows(out)

    def action_cycle_sort(self) -> None:
        self.sort_by = self.SORTS[(self.SORTS.index(self.sort_by) + 1) % len(self.SORTS)]
        self.app.notify(f"Sessions sorted by {self.sort_by}", timeout=2)
        self.show(self.summaries, self.app.clock())

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value or ""
        if key in self.SORTS:
            event.stop()
            self.sort_by = key
            self.show(self.summaries, self.app.clock())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value or ALL_KEY
        if key == ALL_KEY:
            self.post_message(SessionChosen(None))
            return
        session_id = key[2:]
        project = next((s.project for s in self.summaries if s.session_id == session_id), None)
        self.post_message(SessionChosen(session_id, project))


def event_cells(event: Any) -> list[Text]:
    failed = event.event_type in FAILURE_TYPES
    return [
        Text(clock_time(event.ts), style="dim"),
        cell(event.project or "", limit=40),
        Text(short_id(event.session_id)),
        event_type_cell(event.event_type),
        cell(event.tool_name or "", style="bold red" if failed else "bold", limit=40),
        cell(event.summary, style="red" if failed else ""),
    ]


class EventTable(WindowTable):
    """The events window. Enter opens an event; reaching either end asks for more rows.

    With no rows it says why (a hint the app sets), drawn in its own lines: showing and hiding
    another widget would re-lay out and repaint the whole screen on every empty <-> not-empty
    filter change."""

    EDGE = 5  # rows from the bottom at which the next older page is fetched
    BINDINGS = [
        Binding("home,g", "scroll_top", "Newest", show=False),
        Binding("end,G", "scroll_bottom", "Oldest loaded", show=False),
    ]
    COMPONENT_CLASSES = {"eventtable--empty"}
    DEFAULT_CSS = """
    EventTable > .eventtable--empty { color: $text-muted; }
    """
    EMPTY_INDENT = 4
    EMPTY_TOP = 2  # blank lines between the header and the hint

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="events", **kwargs)
        self.empty_text: Text | None = None
        self._empty_lines: tuple[int, list[list[Segment]]] | None = None  # (width, lines)

    def on_mount(self) -> None:
        for label, key, width in (
            ("Time", "time", 8), ("Project", "project", 16), ("Session", "session", 8),
            ("Event", "type", 18), ("Tool", "tool", 16), ("Summary", "summary", 60),
        ):
            self.add_column(label, key=key, width=width)
        self._fit_summary()

    def on_resize(self) -> None:
        self._fit_summary()

    def _fit_summary(self) -> None:
        """Give the summary column whatever width the others leave (no sideways scrolling)."""
        summary = self.columns.get(ColumnKey("summary"))
        if summary is None or not self.size.width:
            return
        others = sum(c.width + 2 * self.cell_padding for k, c in self.columns.items() if k != summary.key)
        width = max(20, self.size.width - others - 2 * self.cell_padding - 2)
        if summary.width != width:
            summary.width = width
            self._require_update_dimensions = True
            self.refresh()

    @property
    def visible_rows(self) -> int:
        """How many rows fit on screen now (0 before the first layout)."""
        return max(0, self.scrollable_content_region.height - (self.header_height if self.show_header else 0))

    def show(self, events: Sequence[Any], keep: str | None = None, *, reset: bool = False) -> None:
        """Show `events` (newest first). Rows already on screen are kept as they are, and the
        rows at the top of the view stay put when rows come or go above them; `reset` puts the
        cursor and the view on the first row (a new filter)."""
        data = self._data
        rows = [(str(e.id), None if str(e.id) in data else event_cells(e)) for e in events]
        self.replace_rows(rows, keep=keep, anchor=True, reset=reset)

    def set_empty_text(self, text: Text | None) -> None:
        """What to say while there are no rows (None: nothing)."""
        if text != self.empty_text:
            self.empty_text = text
            self._empty_lines = None
            self.refresh()

    def render_line(self, y: int) -> Strip:
        header = self.header_height if self.show_header else 0
        if self.row_count or self.empty_text is None or y < header:
            return super().render_line(y)
        width = self.size.width
        base = self._style()
        if self._empty_lines is None or self._empty_lines[0] != width:
            console = self.app.console
            options = console.options.update_width(max(1, width - 2 * self.EMPTY_INDENT))
            lines = console.render_lines(self.empty_text, options, pad=False)
            self._empty_lines = (width, lines)
        index = y - header - self.EMPTY_TOP
        lines = self._empty_lines[1]
        if not 0 <= index < len(lines):
            return Strip.blank(width, base)
        style = base + self._style("eventtable--empty")
        segments = [Segment(" " * self.EMPTY_INDENT, base), *Segment.apply_style(lines[index], style)]
        return Strip(segments).adjust_cell_length(width, base)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(EventChosen(int(event.row_key.value)))

    def action_cursor_up(self) -> None:
        if self.row_count and self.cursor_row == 0:
            self.post_message(NeedNewer())  # already on the top row: the page above it
        super().action_cursor_up()

    def action_page_up(self) -> None:
        if self.row_count and self.cursor_row == 0:
            self.post_message(NeedNewer())
        super().action_page_up()

    def action_scroll_top(self) -> None:
        if self.row_count and self.cursor_row == 0:
            self.post_message(NeedNewer())
        super().action_scroll_top()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != self.cursor_row:
            return  # stale: the rows were replaced since (clear() puts the cursor on row 0)
        if self.row_count and event.cursor_row >= self.row_count - self.EDGE:
            self.post_message(NeedOlder())
        elif event.cursor_row == 0:
            self.post_message(NeedNewer())

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if not self.replacing and new > old and self.max_scroll_y and new >= self.max_scroll_y - self.EDGE:
            self.post_message(NeedOlder())

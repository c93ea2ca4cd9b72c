"""The three tables: projects, sessions, events.

Each shows a small window of rows, rebuilt with `clear()` + `add_row` inside `batch_update`,
and keeps the cursor on the same row key across rebuilds. Every cell is a `Text` built by
`safe.cell`, never a markup string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowDoesNotExist

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
    """A DataTable whose rows are replaced as a whole, keeping the cursor on its row key."""

    DEFAULT_CSS = """
    WindowTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.replacing = False  # True while rows are swapped: scroll changes are not the user's

    def _update_dimensions(self, new_rows: Any) -> None:
        """Every column here has a fixed width and every row one line, so there is nothing to
        measure: DataTable's own version measures each new cell (~40 ms for 200 rows), which
        on a live window would be paid several times a second for nothing."""
        if any(c.auto_width for c in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        width = sum(c.get_render_width(self) for c in self.columns.values()) + self._row_label_column_width
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(width, self._total_row_height + header)

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        """A faster path for our one-line `Text` cells.

        DataTable renders each cell through `console.render_lines(Styled(Padding(cell)))`,
        ~0.3 ms a cell: a 40-row screen after each rebuild cost ~100 ms. Here the same result
        (same styles, same padding, ellipsis when cut) comes straight from `Text.render`.
        Headers and anything that is not a `Text` take DataTable's own path.
        """
        if row_index < 0 or column_index < 0 or row_index < self.fixed_rows or column_index < self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        lines = self._cell_render_cache.get(cache_key)
        if lines is not None:
            return lines
        cell = self._data.get(row_key, {}).get(column_key)
        if not isinstance(cell, Text) or self.rows[row_key].height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        console = self.app.console
        text = cell.copy()
        text.end = ""
        text.truncate(inner, overflow="ellipsis")
        gap = max(0, inner - text.cell_len)
        left = gap if cell.justify == "right" else gap // 2 if cell.justify == "center" else 0
        # `Text.render` leaves the base style off when there are no spans: put it back.
        body = Segment.apply_style(text.render(console), console.get_style(cell.style) if cell.style else None)
        segments = [Segment(" " * (pad + left)), *body, Segment(" " * (pad + gap - left))]
        line = Segment.adjust_line_length(list(Segment.apply_style(segments, pre_style, post_style)), width,
                                          pre_style + post_style)
        lines = [line]
        self._cell_render_cache[cache_key] = lines
        return lines

    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def replace_rows(self, rows: Sequence[tuple[str, Sequence[Text]]], keep: str | None = None) -> None:
        """Swap in `rows` (key, cells) in one batch and put the cursor back on `keep`."""
        keep = keep if keep is not None else self.current_key()
        scroll_y = self.scroll_y
        self.replacing = True
        try:
            self._replace(rows, keep, scroll_y)
        finally:
            self.replacing = False

    def _replace(self, rows: Sequence[tuple[str, Sequence[Text]]], keep: str | None, scroll_y: float) -> None:
        with self.app.batch_update():
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            if keep is not None:
                try:
                    index = self.get_row_index(keep)
                except RowDoesNotExist:
                    index = 0
                self.move_cursor(row=index, animate=False, scroll=False)
                self.scroll_to(y=scroll_y, animate=False, immediate=True)
                if index < self.scroll_y or index >= self.scroll_y + max(1, self.size.height - 1):
                    self.move_cursor(row=index, animate=False, scroll=True)


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
    """The events window. Enter opens an event; reaching either end asks for more rows."""

    EDGE = 5  # rows from the bottom at which the next older page is fetched
    BINDINGS = [
        Binding("home,g", "scroll_top", "Newest", show=False),
        Binding("end,G", "scroll_bottom", "Oldest loaded", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="events", **kwargs)
        self._shown_keys: list[str] = []

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

    def show(self, events: Sequence[Any], keep: str | None = None) -> None:
        keys = [str(e.id) for e in events]
        shown = self._shown_keys
        if shown and len(keys) > len(shown) and keys[: len(shown)] == shown and keep is None:
            # Paging back only added older rows at the bottom: append them, no rebuild.
            with self.app.batch_update():
                for event in events[len(shown):]:
                    self.add_row(*event_cells(event), key=str(event.id))
        else:
            self.replace_rows(list(zip(keys, (event_cells(e) for e in events))), keep=keep)
        self._shown_keys = keys

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(EventChosen(int(event.row_key.value)))

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

"""`?`: every key, from one table that the app's bindings also follow."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Everywhere", [
        ("?  F1", "this help"),
        ("ctrl+p", "command palette: every action by name"),
        ("q  ctrl+c", "quit"),
    ]),
    ("Monitor", [
        ("1  2  3", "focus projects / sessions / events"),
        ("tab  shift+tab", "next / previous pane"),
        ("↑ ↓  pgup pgdn  home end", "move; past the last or first event row, the next page of history"),
        ("enter", "projects/sessions: narrow to it · events: open the event"),
        ("/", "filter events: words, type:PreToolUse,Stop  tool:Bash  project:x  session:abc"),
        ("esc", "clear the filter, then the session, then the project"),
        ("a", "show everything again (clear selection and filters)"),
        ("f", "follow live (newest on top) / pause (+N new counts arrivals)"),
        ("s", "sort the focused projects or sessions table (or click a header)"),
        ("e", "export the events matching the filters to a JSON file"),
    ]),
    ("Event detail", [
        ("esc  q", "back"),
        ("c", "copy the whole payload to the clipboard"),
        ("p", "open the paired Pre/Post event"),
        ("↑ ↓  pgup pgdn", "scroll the payload"),
    ]),
]


def keys_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", justify="right", min_width=24)
    table.add_column()
    for section, rows in KEYS:
        table.add_row(Text(section, style="bold underline"), "")
        for key, what in rows:
            table.add_row(Text(key), Text(what))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "claude-watch keys"
            box.border_subtitle = "esc closes"
            yield Static(keys_table())

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)

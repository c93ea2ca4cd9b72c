"""The status line (address, rate, totals, spool, rejections, follow state, sparkline) and the
`/` filter bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Sparkline

from claude_watch.tui.query import FIELD_PREFIXES, KNOWN_EVENT_TYPES, KNOWN_TOOLS
from claude_watch.tui.safe import count, safe_str


@dataclass
class Status:
    address: str | None = None
    server_error: str | None = None
    starting: bool = True
    rate: float = 0.0
    total: int = 0
    spool_backlog: int = 0
    rejected: int = 0
    rejected_reason: str | None = None
    write_error: str | None = None  # the store cannot take writes (Store.write_error)
    read_error: str | None = None  # the last read of the database failed
    filters: Text | None = None  # the active filters, already made safe (ViewFilter.describe)

    def render(self) -> Text:
        out = Text()
        if self.server_error:
            out.append("✖ server not running: ", style="bold red")
            out.append(safe_str(self.server_error), style="red")
        elif self.starting:
            out.append("… starting collector", style="yellow")
        else:
            out.append("● ", style="bold green")
            out.append(safe_str(self.address or ""), style="bold")
        # Right after the address, so a narrow terminal cuts the counters, not the warning.
        if self.write_error:
            out.append("  │  ", style="dim")
            out.append(f"⚠ not saving: {safe_str(self.write_error)[:120]}", style="bold red")
            out.append(" — hooks spool events until this clears", style="red")
        if self.read_error:
            out.append("  │  ", style="dim")
            out.append(f"⚠ cannot read the database: {safe_str(self.read_error)[:120]}", style="bold red")
        out.append("  │  ", style="dim")
        out.append(f"{self.rate:,.1f}", style="bold")
        out.append(" ev/s  ")
        out.append(count(self.total), style="bold")
        out.append(" events")
        out.append("  │  spool ", style="")
        out.append(count(self.spool_backlog), style="bold yellow" if self.spool_backlog else "dim")
        out.append("  rejected ")
        out.append(count(self.rejected), style="bold red" if self.rejected else "dim")
        if self.rejected and self.rejected_reason:
            out.append(" (", style="dim")
            out.append(safe_str(self.rejected_reason)[:60], style="dim")
            out.append(")", style="dim")
        if self.filters is not None:
            out.append("  │  ", style="dim")
            out.append_text(self.filters)
        return out


class StatusText(Widget):
    """One line of `Text` that repaints itself without asking for a new layout.

    `Static.update` re-lays out the screen, which repaints every table: at 5 Hz that alone
    cost more than the tables' own updates."""

    DEFAULT_CSS = "StatusText { height: 1; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = Text("")

    def set(self, text: Text) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return self.text


class StatusLine(Horizontal):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; }
    StatusLine #status-text { width: 1fr; height: 1; padding: 0 1; }
    StatusLine #status-spark { width: 40; height: 1; margin: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield StatusText(id="status-text")
        yield Sparkline([0.0], id="status-spark")

    def show(self, status: Status, series: list[float]) -> None:
        self.query_one(StatusText).set(status.render())
        spark = self.query_one(Sparkline)
        if spark.data != series:
            spark.data = series


class QuerySuggester(Suggester):
    """Completes `type:` and `tool:` values and the field prefixes themselves."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.tools: set[str] = set(KNOWN_TOOLS)

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(" ")
        prefix = (head + " ") if head else ""
        lower = last.lower()
        if not last:
            return None
        for field_prefix, choices in (("type:", KNOWN_EVENT_TYPES), ("tool:", sorted(self.tools))):
            if lower.startswith(field_prefix):
                done, _, partial = last[len(field_prefix):].rpartition(",")
                done = (done + ",") if done else ""
                for choice in choices:
                    if partial and choice.lower().startswith(partial.lower()) and choice != partial:
                        return prefix + last[: len(field_prefix)] + done + choice
                return None
        for field_prefix in FIELD_PREFIXES:
            if field_prefix.startswith(lower) and field_prefix != lower:
                return prefix + field_prefix
        return None


class FilterBar(Input):
    DEFAULT_CSS = """
    FilterBar, FilterBar:focus { dock: top; display: none; height: 1; border: none; padding: 0 1; background: $boost; }
    FilterBar:focus { background: $primary 20%; }
    FilterBar.-shown { display: block; }
    """

    def __init__(self) -> None:
        super().__init__(
            placeholder="filter: words in summary/payload · type:PreToolUse,Stop · tool:Bash · project:name · session:abc12 — enter applies, esc clears",
            id="filter",
            suggester=QuerySuggester(),
        )

"""The event detail screen: derived fields, the Pre/Post partner, the payload as JSON.

Pretty-printing and highlighting run in a thread (payloads of several MiB are normal), and the
view shows at most `VIEW_LIMIT` characters of the pretty JSON with a note; `c` copies it all.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from claude_watch.tui.footer import Footer
from claude_watch.tui.safe import (
    FAILURE_TYPES,
    absolute_time,
    duration,
    event_style,
    safe,
    safe_str,
)

VIEW_LIMIT = 200_000  # characters of pretty JSON shown; the rest is a note


def render_payload(payload: str, limit: int = VIEW_LIMIT) -> Text:
    """Pretty, highlighted, terminal-safe JSON (runs in a worker thread)."""
    try:
        pretty = json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
        is_json = True
    except (ValueError, TypeError):
        pretty, is_json = payload, False
    note = ""
    if len(pretty) > limit:
        cut = pretty.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        note = f"… {len(pretty) - cut:,} more characters not shown ({len(payload):,} bytes in all; c copies everything)"
        pretty = pretty[:cut]
    pretty = safe_str(pretty)
    if is_json:
        text = Syntax(pretty, "json", theme="ansi_dark", word_wrap=True, background_color="default").highlight(pretty)
        text.rstrip()
    else:
        text = Text(pretty)
    if note:
        text.append("\n" + note, style="bold yellow")
    return text


def field_lines(event: Any) -> Text:
    failed = event.event_type in FAILURE_TYPES
    out = Text()
    rows: list[tuple[str, Text]] = [
        ("event", safe(event.event_type, style=("bold red" if failed else event_style(event.event_type) or "bold"))),
        ("time", Text(absolute_time(event.ts))),
        ("received", Text(absolute_time(event.received_at), style="dim")),
        ("project", safe(event.project or "-")),
        ("session", safe(event.session_id)),
        ("tool", safe(event.tool_name or "-")),
        ("tool use id", safe(event.tool_use_id or "-")),
        ("agent", safe(event.agent_id or "-")),
        ("cwd", safe(event.cwd or "-")),
        ("event id", safe(f"{event.event_id}  (#{event.id})")),
        ("summary", safe(event.summary or "")),
    ]
    for label, value in rows:
        out.append(f"{label:>12}  ", style="bold cyan")
        out.append_text(value)
        out.append("\n")
    out.rstrip()
    return out


def pair_line(event: Any, partner: Any | None) -> Text:
    if not event.tool_use_id:
        return Text("not a tool call", style="dim")
    if partner is None:
        if event.event_type == "PreToolUse":
            return Text("⏳ no PostToolUse yet (still running, or the result was not captured)", style="yellow")
        return Text("no PreToolUse recorded for this call", style="dim")
    pre, post = (event, partner) if event.event_type == "PreToolUse" else (partner, event)
    out = Text("↔ ", style="bold")
    out.append_text(safe(partner.event_type, style=event_style(partner.event_type) or "bold"))
    out.append(f"  #{partner.id} at {absolute_time(partner.ts)}")
    out.append("   duration ", style="bold")
    out.append(duration(abs(post.ts - pre.ts)), style="bold green")
    out.append("   (p opens it)", style="dim")
    return out


class DetailScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("c", "copy_payload", "Copy payload"),
        Binding("p", "open_pair", "Paired event"),
    ]
    covers_events = True  # the monitor stops repainting the events table under it

    def __init__(self, store: Any, event_id: int) -> None:
        super().__init__()
        self.store = store
        self.event_id = event_id
        self.event: Any | None = None
        self.partner: Any | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("loading…", style="dim"), id="detail-fields")
        yield Static(Text(""), id="detail-pair")
        with VerticalScroll(id="detail-payload-box"):
            yield Static(Text("loading payload…", style="dim"), id="detail-payload")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-payload-box").border_title = Text("payload")
        self.query_one("#detail-payload-box").focus()
        self.load()

    @work(exclusive=True, group="detail")
    async def load(self) -> None:
        try:
            event = await self.store.get_event(self.event_id)
        except sqlite3.Error as error:
            from claude_watch.store.store import describe_error

            self.query_one("#detail-fields", Static).update(
                Text(f"cannot read event #{self.event_id}: {describe_error(error)}", style="bold red"))
            return
        if event is None:
            self.query_one("#detail-fields", Static).update(Text(f"event #{self.event_id} is gone", style="red"))
            return
        self.event = event
        self.query_one("#detail-fields", Static).update(field_lines(event))
        try:
            self.partner = await self.store.paired_event(event) if event.tool_use_id else None
        except sqlite3.Error:
            self.partner = None
        self.query_one("#detail-pair", Static).update(pair_line(event, self.partner))
        box = self.query_one("#detail-payload-box")
        box.border_title = Text(f"payload · {len(event.payload):,} bytes")
        rendered = await asyncio.to_thread(render_payload, event.payload)
        self.query_one("#detail-payload", Static).update(rendered)

    def action_copy_payload(self) -> None:
        if self.event is None:
            return
        self.app.copy_to_clipboard(self.event.payload)
        self.notify(f"Payload copied ({len(self.event.payload):,} bytes)", markup=False)

    def action_open_pair(self) -> None:
        if self.partner is None:
            self.notify("No paired event", severity="warning", markup=False)
            return
        self.app.switch_screen(DetailScreen(self.store, self.partner.id))

"""Turn outside text (prompts, commands, paths, outputs) into Rich `Text` that stays data.

Every string that came from an agent goes through here before it meets a widget:
`clean` strips ANSI/OSC/control sequences, and building `Text` objects (never parsing markup
from data) keeps `[bold]` or `[link=...]` literal. Widgets never receive data as a `str`,
because Textual parses markup in plain strings (DataTable cells, Static, notify, titles).
"""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text

from claude_watch.textsafe import clean

_WHITESPACE_RUN = re.compile(r"\s+")
# Zero-width and bidirectional controls can reorder or hide what is around them.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

EVENT_STYLES: dict[str, str] = {
    "SessionStart": "bold #c792ea",
    "SessionEnd": "#c792ea",
    "UserPromptSubmit": "bold cyan",
    "UserPromptExpansion": "cyan",
    "PreToolUse": "dodger_blue1",
    "PostToolUse": "green",
    "PostToolUseFailure": "bold red",
    "PostToolBatch": "green",
    "PermissionRequest": "bold yellow",
    "PermissionDenied": "red",
    "Notification": "yellow",
    "Stop": "grey62",
    "StopFailure": "bold red",
    "SubagentStart": "medium_purple1",
    "SubagentStop": "medium_purple3",
    "PreCompact": "grey50",
    "PostCompact": "grey50",
    "TaskCreated": "spring_green3",
    "TaskCompleted": "spring_green3",
}
FAILURE_TYPES = frozenset({"PostToolUseFailure", "PermissionDenied", "StopFailure"})

STATE_STYLES: dict[str, str] = {
    "active": "bold green",
    "waiting": "bold yellow",
    "ended": "grey50",
    "idle": "grey62",
}
STATE_LABELS: dict[str, str] = {
    "active": "● active",
    "waiting": "◐ waiting",
    "ended": "○ ended",
    "idle": "◌ idle",
}


def safe_str(value: object) -> str:
    """Outside text made harmless for a terminal (still to be wrapped in `Text`)."""
    if value is None:
        return ""
    return _INVISIBLE.sub("", clean(str(value)))


def safe(value: object, style: str = "") -> Text:
    """Outside text as `Text`: control sequences gone, markup literal, newlines kept."""
    return Text(safe_str(value), style=style, end="")


def same_text(a: object, b: object) -> bool:
    """Two texts that draw the same (rich's `Text ==` looks at the characters and spans only,
    not the base style or the layout)."""
    if a is b:
        return True
    if not isinstance(a, Text) or not isinstance(b, Text):
        return False
    return (a.plain == b.plain and a.style == b.style and a.spans == b.spans and a.justify == b.justify
            and a.overflow == b.overflow and a.no_wrap == b.no_wrap)


def cell(value: object, style: str = "", limit: int = 200) -> Text:
    """Outside text for one table cell: one line, cut to `limit` characters."""
    text = _WHITESPACE_RUN.sub(" ", safe_str(value)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style, no_wrap=True, overflow="ellipsis", end="")


def event_style(event_type: str | None) -> str:
    return EVENT_STYLES.get(event_type or "", "")


def event_type_cell(event_type: str | None) -> Text:
    return cell(event_type or "?", event_style(event_type), limit=40)


def short_id(session_id: str | None, width: int = 8) -> str:
    return safe_str(session_id or "")[:width]


def clock_time(ms: int) -> str:
    """`14:03:22` in local time: the table column."""
    return datetime.fromtimestamp(ms / 1000).strftime("%H:%M:%S")


def absolute_time(ms: int) -> str:
    """`2026-11-27 14:03:22.123 (local)`: the detail view."""
    moment = datetime.fromtimestamp(ms / 1000).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d} {moment.strftime('%Z')}"


def relative(ms: int | None, now: int) -> str:
    """`12s ago`, `3m ago`, `2h ago`, `4d ago` (never negative)."""
    if not ms:
        return "-"
    seconds = max(0, (now - ms) // 1000)
    if seconds < 2:
        return "now"
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


def duration(ms: int) -> str:
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    return f"{ms // 60_000}m {(ms % 60_000) / 1000:.0f}s"


def count(n: int | None) -> str:
    return f"{n or 0:,}"

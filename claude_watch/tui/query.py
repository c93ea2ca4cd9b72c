"""The filter a user sees and edits, and how it becomes a store `EventFilter`.

The `/` bar takes one line: free words search summary and payload, and `type:`, `tool:`,
`project:`, `session:` tokens narrow by field (comma-separated values, case-insensitive for
known event types). `ViewFilter` is immutable: every change makes a new one.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from typing import Any

from rich.text import Text

from claude_watch.tui.safe import safe_str

from claude_watch.store import Cursor, EventFilter

KNOWN_EVENT_TYPES = (
    "SessionStart", "SessionEnd", "UserPromptSubmit", "UserPromptExpansion", "PreToolUse",
    "PermissionRequest", "PermissionDenied", "PostToolUse", "PostToolUseFailure", "PostToolBatch",
    "Notification", "SubagentStart", "SubagentStop", "Stop", "StopFailure", "PreCompact",
    "PostCompact", "TaskCreated", "TaskCompleted", "TeammateIdle",
)
KNOWN_TOOLS = (
    "Bash", "Read", "Write", "Edit", "MultiEdit", "Grep", "Glob", "WebFetch", "WebSearch",
    "Task", "Agent", "TodoWrite", "NotebookEdit",
)
_TYPES_BY_LOWER = {name.lower(): name for name in KNOWN_EVENT_TYPES}
FIELD_PREFIXES = ("type:", "tool:", "project:", "session:")


@dataclass(frozen=True)
class ViewFilter:
    project: str | None = None
    session_id: str | None = None
    event_types: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    text: str | None = None

    @property
    def is_empty(self) -> bool:
        return self == ViewFilter()

    @property
    def has_query(self) -> bool:
        """Anything set from the `/` bar (as opposed to the project/session selection)."""
        return bool(self.event_types or self.tools or self.text)

    def with_query(self, line: str) -> ViewFilter:
        """Replace the `/` part of the filter with what `line` says (selection kept)."""
        parsed = parse_query(line)
        return replace(
            self,
            event_types=parsed.event_types,
            tools=parsed.tools,
            text=parsed.text,
            project=parsed.project or self.project,
            session_id=parsed.session_id or self.session_id,
        )

    def without_query(self) -> ViewFilter:
        return replace(self, event_types=(), tools=(), text=None)

    def query_line(self) -> str:
        """The `/` bar text that gives back this filter's query part."""
        parts = []
        if self.event_types:
            parts.append("type:" + ",".join(self.event_types))
        if self.tools:
            parts.append("tool:" + ",".join(self.tools))
        if self.text:
            parts.append(self.text)
        return " ".join(parts)

    def to_event_filter(self) -> EventFilter:
        return EventFilter(
            project=self.project,
            session_id=self.session_id,
            event_types=self.event_types,
            tools=self.tools,
            text=self.text,
        )

    def matches(self, event: Any) -> bool:
        """Cheap in-memory test used only to count "+N new" while paused.

        The text part is a case-insensitive substring of summary or payload, like the store's.
        """
        if self.project is not None and event.project != self.project:
            return False
        if self.session_id is not None and event.session_id != self.session_id:
            return False
        if self.event_types and event.event_type not in self.event_types:
            return False
        if self.tools and event.tool_name not in self.tools:
            return False
        if self.text:
            haystack = (event.summary or "").lower() + "\n" + (event.payload or "")[:65536].lower()
            if not all(word in haystack for word in self.text.lower().split()):
                return False
        return True

    def describe(self) -> Text:
        """The active filters as one styled line (all values shown as data)."""
        if self.is_empty:
            return Text("all events", style="dim")
        out = Text()
        for label, value in (
            ("project", self.project),
            ("session", (self.session_id or "")[:8] or None),
            ("type", ",".join(self.event_types) or None),
            ("tool", ",".join(self.tools) or None),
            ("text", f'"{self.text}"' if self.text else None),
        ):
            if value is None:
                continue
            if out:
                out.append("  ")
            out.append(f"{label}:", style="bold")
            out.append(safe_str(value), style="italic")
        return out


@dataclass(frozen=True)
class ParsedQuery:
    event_types: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    project: str | None = None
    session_id: str | None = None
    text: str | None = None
    words: list[str] = field(default_factory=list)


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:  # an unbalanced quote: take the words as they are
        return line.split()


def _values(raw: str) -> list[str]:
    return [v.strip() for v in raw.split(",") if v.strip()]


def parse_query(line: str) -> ParsedQuery:
    types: list[str] = []
    tools: list[str] = []
    project = session = None
    words: list[str] = []
    for token in _split(line.strip()):
        lower = token.lower()
        if lower.startswith("type:"):
            types += [_TYPES_BY_LOWER.get(v.lower(), v) for v in _values(token[5:])]
        elif lower.startswith("tool:"):
            tools += _values(token[5:])
        elif lower.startswith("project:") and token[8:]:
            project = token[8:]
        elif lower.startswith("session:") and token[8:]:
            session = token[8:]
        else:
            words.append(token)
    text = " ".join(words) or None
    return ParsedQuery(tuple(dict.fromkeys(types)), tuple(dict.fromkeys(tools)), project, session, text, words)


def cursor_of(event: Any) -> Cursor:
    return Cursor(event.ts, event.id)

"""One line a person can read at a glance, for any hook event.

Each rule picks the field that says what happened; events we do not know yet fall back to the
first string field that reads like a description, so new kinds of event still say something.
"""

from __future__ import annotations

import json
from typing import Any

from claude_watch.textsafe import one_line

SUMMARY_LIMIT = 300

# Fields that every event carries and that describe nothing in particular.
_ENVELOPE_FIELDS = frozenset(
    {
        "session_id",
        "transcript_path",
        "cwd",
        "hook_event_name",
        "permission_mode",
        "prompt_id",
        "agent_id",
        "agent_type",
        "effort",
        "tool_use_id",
        "stop_hook_active",
        "agent_transcript_path",
    }
)
# For events we have no rule for: the fields most likely to describe them, best first.
_DESCRIPTIVE_FIELDS = (
    "message",
    "prompt",
    "reason",
    "error",
    "task_subject",
    "title",
    "file_path",
    "path",
    "command_name",
    "teammate_name",
    "trigger",
    "source",
    "last_assistant_message",
    "compact_summary",
    "name",
    "description",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _get(mapping: Any, key: str) -> str:
    return _text(mapping.get(key)) if isinstance(mapping, dict) else ""


def _join(*parts: str, sep: str = " · ") -> str:
    return sep.join(part for part in parts if part)


def summarize_tool(tool_name: str, tool_input: Any) -> str:
    """What a tool call is about: the command, the path, the pattern, the URL..."""
    name = tool_name or ""
    if name == "Bash":
        return _get(tool_input, "command")
    if name in ("Read", "Write", "Edit", "MultiEdit", "NotebookEdit", "NotebookRead"):
        return _get(tool_input, "file_path") or _get(tool_input, "notebook_path")
    if name in ("Grep", "Glob"):
        pattern = _get(tool_input, "pattern")
        where = _get(tool_input, "path")
        return f"{pattern} in {where}" if pattern and where else pattern
    if name == "WebFetch":
        return _get(tool_input, "url")
    if name == "WebSearch":
        return _get(tool_input, "query")
    if name in ("Task", "Agent"):
        return _join(_get(tool_input, "subagent_type"), _get(tool_input, "description"), sep=": ")
    if name.startswith("mcp__"):
        server, _, tool = name[len("mcp__") :].partition("__")
        return _join(f"{server} › {tool}" if tool else server, _compact_args(tool_input))
    if name == "TodoWrite" and isinstance(tool_input, dict):
        todos = tool_input.get("todos")
        if isinstance(todos, list):
            return f"{len(todos)} todo{'s' if len(todos) != 1 else ''}"
    return _first_string(tool_input) or _compact_args(tool_input)


def _compact_args(tool_input: Any) -> str:
    if isinstance(tool_input, dict) and tool_input:
        return ", ".join(f"{key}={_text(value)}" for key, value in list(tool_input.items())[:4])
    return ""


def _first_string(mapping: Any) -> str:
    if not isinstance(mapping, dict):
        return ""
    for key in _DESCRIPTIVE_FIELDS:
        if isinstance(mapping.get(key), str) and mapping[key].strip():
            return mapping[key]
    for key, value in mapping.items():
        if key not in _ENVELOPE_FIELDS and isinstance(value, str) and value.strip():
            return value
    return ""


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return text


def _summary_text(payload: dict[str, Any]) -> str:
    event_type = payload.get("hook_event_name")
    tool_name = payload.get("tool_name") if isinstance(payload.get("tool_name"), str) else ""
    tool_input = payload.get("tool_input")
    if event_type == "PostToolUseFailure":
        error = _first_line(_get(payload, "error"))
        return _join(error, summarize_tool(tool_name, tool_input)) if error else summarize_tool(tool_name, tool_input)
    if event_type == "PermissionDenied":
        return _join(summarize_tool(tool_name, tool_input), _get(payload, "reason"))
    if tool_name:
        return summarize_tool(tool_name, tool_input)
    if event_type == "UserPromptSubmit":
        return _get(payload, "prompt")
    if event_type == "UserPromptExpansion":
        command = _get(payload, "command_name")
        return _join(f"/{command.lstrip('/')}" if command else "", _get(payload, "command_args"), sep=" ") or _get(payload, "prompt")
    if event_type == "Notification":
        return _get(payload, "message") or _get(payload, "title")
    if event_type == "SessionStart":
        return _join(_get(payload, "source"), _get(payload, "model"))
    if event_type == "SessionEnd":
        return _get(payload, "reason")
    if event_type in ("SubagentStart", "SubagentStop"):
        return _join(_get(payload, "agent_type"), _get(payload, "agent_id"), _first_line(_get(payload, "last_assistant_message")))
    if event_type == "Stop":
        return _first_line(_get(payload, "last_assistant_message"))
    if event_type == "StopFailure":
        return _join(_get(payload, "error"), _first_line(_get(payload, "error_details")))
    if event_type in ("PreCompact", "PostCompact"):
        return _join(_get(payload, "trigger"), _first_line(_get(payload, "custom_instructions") or _get(payload, "compact_summary")))
    if event_type == "PostToolBatch":
        calls = payload.get("tool_calls")
        if isinstance(calls, list):
            names = [call.get("tool_name") for call in calls if isinstance(call, dict) and isinstance(call.get("tool_name"), str)]
            return f"{len(calls)} tool call{'s' if len(calls) != 1 else ''}: {', '.join(names)}" if names else f"{len(calls)} tool calls"
    if event_type in ("TaskCreated", "TaskCompleted"):
        return _get(payload, "task_subject")
    if event_type == "TeammateIdle":
        return _join(_get(payload, "teammate_name"), _get(payload, "team_name"))
    return _first_string(payload)


def summarize(payload: dict[str, Any]) -> str:
    """The event's one-line summary: cleaned of control sequences, whitespace folded, bounded."""
    return one_line(_summary_text(payload), SUMMARY_LIMIT)

"""The event model: every sample, unknown kinds, missing fields, and each summary rule."""

from __future__ import annotations

import json

import pytest

from claude_watch.event import BadEvent, normalise
from claude_watch.summary import summarize
from claude_watch.textsafe import clean, one_line
from claude_watch.timeparse import BadTime, parse_header_time, parse_time
from tests.conftest import sample_lines

RECEIVED = 1_795_000_000_000


def make(payload: dict, **headers: str):
    return normalise(json.dumps(payload).encode(), headers, RECEIVED)


def base(event: str, **fields) -> dict:
    return {"session_id": "s1", "transcript_path": "/t.jsonl", "cwd": "/home/u/proj", "hook_event_name": event, **fields}


@pytest.mark.parametrize("line", sample_lines())
def test_every_sample_normalises_and_keeps_its_payload_exactly(line: str) -> None:
    event = normalise(line.encode(), {}, RECEIVED)
    original = json.loads(line)
    assert event.payload == line.strip()
    assert event.session_id == original["session_id"]
    assert event.event_type == original["hook_event_name"]
    assert event.tool_name == original.get("tool_name")
    assert event.tool_use_id == original.get("tool_use_id")
    assert event.agent_id == original.get("agent_id")
    assert event.cwd == original["cwd"]
    assert event.summary and "\n" not in event.summary
    assert event.ts == event.received_at == RECEIVED


def test_unknown_event_kind_is_accepted_and_summarised() -> None:
    event = make(base("QuantumLeap", destination="1985", note="new kind"))
    assert event.event_type == "QuantumLeap"
    assert event.summary == "1985"


def test_missing_optional_fields_are_none() -> None:
    event = make({"session_id": "s", "hook_event_name": "Stop"})
    assert (event.tool_name, event.tool_use_id, event.agent_id, event.cwd) == (None, None, None, None)
    assert event.project is None  # resolved by the store from the session or cwd


def test_wrong_types_where_strings_belong_are_ignored_not_fatal() -> None:
    event = make(base("PreToolUse", tool_name=5, tool_use_id={"x": 1}, tool_input=None, cwd=None))
    assert event.tool_name is None and event.tool_use_id is None and event.cwd is None


@pytest.mark.parametrize(
    ("payload", "summary"),
    [
        (base("PreToolUse", tool_name="Bash", tool_input={"command": "npm test", "description": "x"}), "npm test"),
        (base("PreToolUse", tool_name="Read", tool_input={"file_path": "/a/b.py"}), "/a/b.py"),
        (base("PreToolUse", tool_name="Write", tool_input={"file_path": "/a/w.py", "content": "x"}), "/a/w.py"),
        (base("PreToolUse", tool_name="Edit", tool_input={"file_path": "/a/e.py"}), "/a/e.py"),
        (base("PreToolUse", tool_name="Grep", tool_input={"pattern": "TODO"}), "TODO"),
        (base("PreToolUse", tool_name="Grep", tool_input={"pattern": "TODO", "path": "src"}), "TODO in src"),
        (base("PreToolUse", tool_name="Glob", tool_input={"pattern": "**/*.py"}), "**/*.py"),
        (base("PreToolUse", tool_name="WebFetch", tool_input={"url": "https://x.dev/a"}), "https://x.dev/a"),
        (base("PreToolUse", tool_name="WebSearch", tool_input={"query": "textual datatable"}), "textual datatable"),
        (base("PreToolUse", tool_name="Task", tool_input={"subagent_type": "Explore", "description": "Find"}), "Explore: Find"),
        (base("PreToolUse", tool_name="Agent", tool_input={"subagent_type": "Plan", "description": "Plan it"}), "Plan: Plan it"),
        (base("PreToolUse", tool_name="mcp__github__list_issues", tool_input={"repo": "a/b"}), "github › list_issues · repo=a/b"),
        (base("UserPromptSubmit", prompt="Fix the\nbuild"), "Fix the build"),
        (base("Notification", message="Claude needs your permission", notification_type="permission_prompt"), "Claude needs your permission"),
        (base("PostToolUseFailure", tool_name="Bash", tool_input={"command": "make"}, error="Exit code 2\nmore"), "Exit code 2 · make"),
        (base("SessionStart", source="resume", model="claude-opus-4-1"), "resume · claude-opus-4-1"),
        (base("SessionStart", source="startup"), "startup"),
        (base("SessionEnd", reason="logout"), "logout"),
        (base("SubagentStart", agent_id="a1", agent_type="Explore"), "Explore · a1"),
        (base("StopFailure", error="rate_limit"), "rate_limit"),
        (base("PreCompact", trigger="auto", custom_instructions=""), "auto"),
        (base("TaskCreated", task_id="1", task_subject="Write docs"), "Write docs"),
        (base("PostToolBatch", tool_calls=[{"tool_name": "Read"}, {"tool_name": "Grep"}]), "2 tool calls: Read, Grep"),
    ],
)
def test_summary_rules(payload: dict, summary: str) -> None:
    assert summarize(payload) == summary


def test_summary_is_one_bounded_clean_line() -> None:
    text = summarize(base("UserPromptSubmit", prompt="\x1b[31mred\x1b[0m\t" + "x" * 1000 + "\x1b]0;title\x07"))
    assert "\x1b" not in text and "\t" not in text
    assert text.startswith("red ")
    assert len(text) <= 300


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b'{"hook_event_name": "Stop"}', "'session_id' must be a non-empty string (missing)"),
        (b'{"session_id": 5, "hook_event_name": "Stop"}', "'session_id' must be a non-empty string (a int)"),
        (b'{"session_id": "s"}', "'hook_event_name' must be a non-empty string (missing)"),
        (b'{"session_id": "s", "hook_event_name": ""}', "'hook_event_name' must be a non-empty string (empty)"),
        (b'{"session_id": "s", "hook_event_name": "x", "n": NaN}', "NaN is not valid JSON"),
        (b'{"session_id": "s", "hook_event_name": "x", "n": Infinity}', "Infinity is not valid JSON"),
        (b'{"session_id": "\xff"}', "not valid UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_bad_input_says_why(body: bytes, reason: str) -> None:
    with pytest.raises(BadEvent) as caught:
        normalise(body, {}, RECEIVED)
    assert reason in caught.value.reason


def test_lone_surrogate_is_stored_as_text_and_derived_fields_stay_encodable() -> None:
    body = b'{"session_id": "s\\ud800", "hook_event_name": "UserPromptSubmit", "prompt": "a\\udfff"}'
    event = normalise(body, {}, RECEIVED)
    assert event.payload == body.decode()
    event.session_id.encode("utf-8")
    event.summary.encode("utf-8")


def test_headers_set_time_id_and_project() -> None:
    event = make(
        base("Stop"),
        **{
            "X-Claude-Watch-Time": str(RECEIVED - 5000),
            "X-Claude-Watch-Event-Id": "abc-1",
            "X-Claude-Project-Dir": "/home/u/code/webshop/",
        },
    )
    assert (event.ts, event.received_at, event.event_id, event.project) == (RECEIVED - 5000, RECEIVED, "abc-1", "webshop")
    explicit = make(base("Stop"), **{"X-Claude-Watch-Project": "billing", "X-Claude-Project-Dir": "/x/webshop"})
    assert explicit.project == "billing"


def test_iso_capture_time_and_absurd_times() -> None:
    assert make(base("Stop"), **{"X-Claude-Watch-Time": "2026-11-19T10:00:00.250Z"}).ts == 1_795_082_400_250
    assert make(base("Stop"), **{"X-Claude-Watch-Time": "garbage"}).ts == RECEIVED
    far_future = str(RECEIVED + 10 * 86_400_000)
    assert make(base("Stop"), **{"X-Claude-Watch-Time": far_future}).ts == RECEIVED


def test_bad_event_id_header_is_rejected() -> None:
    with pytest.raises(BadEvent):
        make(base("Stop"), **{"X-Claude-Watch-Event-Id": "has spaces and ; quotes'"})


def test_server_made_ids_are_unique() -> None:
    assert len({make(base("Stop")).event_id for _ in range(100)}) == 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", RECEIVED - 30 * 60_000), ("2h", RECEIVED - 7_200_000), ("7d", RECEIVED - 7 * 86_400_000),
     ("1795000000000", 1_795_000_000_000), ("2026-11-19T10:00:00Z", 1_795_082_400_000),
     ("2026-11-19T11:00:00+01:00", 1_795_082_400_000)],
)
def test_parse_time(text: str, expected: int) -> None:
    assert parse_time(text, RECEIVED) == expected


@pytest.mark.parametrize("text", ["yesterday", "5 parsecs", "", "2026-13-45"])
def test_parse_time_errors(text: str) -> None:
    with pytest.raises(BadTime):
        parse_time(text, RECEIVED)


def test_header_time_forms() -> None:
    assert parse_header_time("") is None
    assert parse_header_time("99999999999999999999") is None
    assert parse_header_time("1795000000123") == 1_795_000_000_123


def test_clean_strips_escape_sequences_and_controls() -> None:
    hostile = "a\x1b[2J\x1b]0;pwned\x07b\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\c\x00\x07\x9b31m\r\nd\te"
    assert clean(hostile) == "ablinkc\nd   e"
    assert one_line("a\n\n b\t c") == "a b c"
    assert clean("emoji 🎉 wide 漢字 [bold]markup[/]") == "emoji 🎉 wide 漢字 [bold]markup[/]"


def test_with_id_copies_every_field() -> None:
    import dataclasses

    original = normalise(
        json.dumps({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_use_id": "t1",
                    "agent_id": "a1", "cwd": "/w/p", "tool_input": {"command": "ls"}}).encode(),
        {"X-Claude-Watch-Project": "explicit"}, 1_795_000_000_000,
    )
    assert original.with_id(7, "other") == dataclasses.replace(original, id=7, project="other")
    assert original.id is None and original.project == "explicit"

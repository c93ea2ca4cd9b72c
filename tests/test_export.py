"""Export: both formats, every filter, times, terminal-safe output, flat memory on a large set."""

from __future__ import annotations

import io
import json
import os
import stat
import tracemalloc
from pathlib import Path

import pytest

from claude_watch.event import normalise
from claude_watch.export import export_events, write_events
from claude_watch.store import EventFilter, Store
from tests.conftest import sample_lines

T0 = 1_795_000_000_000


async def fill_samples(store: Store) -> None:
    events = [normalise(line.encode(), {"X-Claude-Watch-Time": str(T0 + i * 1000)}, T0 + 10**6) for i, line in enumerate(sample_lines())]
    await store.submit(events)


async def export_text(store: Store, flt: EventFilter = EventFilter(), fmt: str = "json") -> str:
    out = io.StringIO()
    await write_events(store, flt, out, fmt)
    return out.getvalue()


async def test_json_is_one_array_oldest_first_with_derived_fields_and_payload(store: Store) -> None:
    await fill_samples(store)
    exported = json.loads(await export_text(store))
    assert len(exported) == 30
    assert [e["ts"] for e in exported] == sorted(e["ts"] for e in exported)
    first = exported[0]
    assert first["ts"] == "2026-11-18T11:06:40.000Z"
    assert list(first)[-1] == "payload"
    assert first["payload"] == json.loads(sample_lines()[0])
    assert {"event_id", "received_at", "project", "session_id", "event_type", "tool_name", "tool_use_id", "agent_id", "cwd", "summary"} <= set(first)


async def test_ndjson_is_one_object_a_line(store: Store) -> None:
    await fill_samples(store)
    lines = (await export_text(store, fmt="ndjson")).splitlines()
    assert len(lines) == 30
    assert [json.loads(line)["payload"] for line in lines] == [json.loads(line) for line in sample_lines()]


async def test_empty_export_is_valid(store: Store) -> None:
    assert json.loads(await export_text(store)) == []
    assert await export_text(store, fmt="ndjson") == ""


@pytest.mark.parametrize(
    ("flt", "count"),
    [
        (EventFilter(project="webshop"), 17),
        (EventFilter(session_id="c0ffee00-1111-4222-8333-444455556666"), 13),
        (EventFilter(event_types=("PreToolUse",)), 9),
        (EventFilter(tools=("Bash",)), 6),
        (EventFilter(since=T0 + 10_000, until=T0 + 12_000), 2),
        (EventFilter(text="checkout"), 8),
    ],
)
async def test_filters(store: Store, flt: EventFilter, count: int) -> None:
    await fill_samples(store)
    assert len(json.loads(await export_text(store, flt))) == count


async def test_terminal_control_characters_never_leave_raw(store: Store) -> None:
    payload = '{"session_id": "s", "hook_event_name": "UserPromptSubmit", "prompt": "a\u009b31mred\u2028b\u0085"}'
    await store.submit([normalise(payload.encode(), {}, T0)])
    text = await export_text(store, fmt="ndjson")
    assert not any(0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029" for ch in text)
    assert json.loads(text)["payload"]["prompt"] == "a\u009b31mred\u2028b\u0085"


async def test_file_export_is_private_and_atomic(store: Store, tmp_path: Path) -> None:
    await fill_samples(store)
    target = tmp_path / "out.json"
    assert await export_events(store, EventFilter(), target) == 30
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert len(json.loads(target.read_text())) == 30
    assert not list(tmp_path.glob(".*partial"))


async def test_memory_stays_flat_on_a_large_set(store: Store) -> None:
    """Peak Python memory while exporting 20x more events grows far less than 20x."""
    line = sample_lines()[5]

    async def add(n: int, start: int) -> None:
        for base in range(0, n, 2000):
            await store.submit([normalise(line.encode(), {"X-Claude-Watch-Time": str(T0 + start + base + i)}, T0) for i in range(min(2000, n - base))])

    class Sink(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    async def peak() -> int:
        tracemalloc.start()
        await write_events(store, EventFilter(), Sink(), "ndjson")
        peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak_bytes

    await add(2_000, 0)
    small = await peak()
    await add(18_000, 10**6)
    large = await peak()
    assert large < small * 3, f"export memory grew with the data (10x events): {small} -> {large} bytes"

"""Export: both formats, every filter, times, terminal-safe output, flat memory on a large set."""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import re
import sqlite3
import stat
import threading
import tracemalloc
from pathlib import Path

import pytest

from claude_watch import export
from claude_watch.event import normalise
from claude_watch.export import FORMATS, escape_unsafe, export_events, write_events
from claude_watch.store import Cursor, EventFilter, Store
from claude_watch.store.export_lines import EXPORT_COLUMNS, export_lines, time_token, time_tokens
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


# -- the exported form, byte for byte ---------------------------------------------------------
#
# Until the lines were built in Python, SQLite built them with this expression (and export then
# escaped C1 controls, DEL and U+2028/9 with this regex). It stays here as the reference: for
# every stored value, `export_lines`, `GET /events` and `claude-watch export` must give these bytes.


def _reference_iso(column: str) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%fZ', {column} / 1000.0, 'unixepoch')"


def _reference_field(name: str, sql: str) -> str:
    return f"'\"{name}\":' || {sql}"


REFERENCE_EXPORT_OBJECT = (
    "'{' || "
    + " || ',' || ".join(
        [
            _reference_field("event_id", "json_quote(event_id)"),
            _reference_field("ts", f"json_quote({_reference_iso('ts')})"),
            _reference_field("received_at", f"json_quote({_reference_iso('received_at')})"),
            *(_reference_field(column, f"json_quote({column})") for column in (
                "project", "session_id", "event_type", "tool_name", "tool_use_id", "agent_id", "cwd", "summary")),
            _reference_field("payload", "payload"),
        ]
    )
    + " || '}'"
)
_REFERENCE_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def reference_escape(text: str) -> str:
    return _REFERENCE_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def reference_export(db_path: Path, fmt: str) -> str:
    """What `claude-watch export` wrote before: SQLite's lines, escaped, framed."""
    db = sqlite3.connect(db_path)
    try:
        lines = [reference_escape(row[0]) for row in db.execute(f"SELECT {REFERENCE_EXPORT_OBJECT} FROM events ORDER BY ts, id")]
    finally:
        db.close()
    if fmt == "ndjson":
        return "".join(line + "\n" for line in lines)
    return "[" + ("\n" + ",\n".join(lines) + "\n]\n" if lines else "]\n")


HOSTILE_TEXTS = [
    "plain",
    "",
    'quote " and backslash \\ and slash /',
    "".join(chr(c) for c in range(0x20)),  # every C0 control, NUL included
    "nul\x00inside",
    "del \x7f c1 \x80\x85\x9b\x9f after",
    "line\u2028para\u2029sep",
    "latin é ñ ü, nbsp\u00a0, soft\u00adhyphen",
    "cjk 漢字 かな",
    "emoji 😀🚀 and zwj 👩‍💻",
    "\u200b zero width \ufeff bom \ufffd replacement",
    "esc \x1b[31mred\x1b[0m ]0;title\x07",
    "a" * 5000,
    "mixed\x9b" + "é" * 300 + "😀\u2028",
    "\\u2028 escaped already \\ud800",
]

HOSTILE_PAYLOADS = [
    '{"a": 1}',
    '{"prompt": "raw c1 \u0085\u009b, del \x7f, line \u2028 para \u2029"}',
    '{"s": "emoji 😀, cjk 漢字, nbsp \u00a0"}',
    '{"lone": "\\ud800 \\udfff", "nul": "\\u0000", "q": "\\" \\\\"}',
    '["an", "array", null, true, 1.5e3]',
    '"just a string"',
    '{"big": "' + "x" * 100_000 + '"}',
]

# Stored times: ordinary, every edge of the fast paths, and values only SQLite knows what to do with.
HOSTILE_TIMES: list[object] = [
    T0, 0, 1, 999, 1000, 59_999, 60_000, 86_399_999, 86_400_000,
    951_782_400_000,  # 2000-02-29
    4_107_542_400_000,  # 2100-03-01
    253_402_300_799_999,  # 9999-12-31T23:59:59.999
    253_402_300_800_000,  # year 10000
    10**15, 10**17, 2**62,  # beyond SQLite's dates: null
    -1, -999, -1000, -86_400_001, -62_135_596_800_000, -62_135_596_800_001, -210_866_760_000_000, -(10**15),
    1_795_000_000_000.5, 1e300, float("-inf"), "1795000000000", "not a time", "", b"\x01\x02",
]


def _hostile_rows() -> list[tuple]:
    """Column values (EVENT columns, payload as TEXT) covering every hostile value at least once."""
    rng = random.Random(20261127)
    pool = [*HOSTILE_TEXTS, None]
    rows = []
    for i in range(400):
        def pick(nullable: bool) -> str | None:
            choice = rng.choice(pool)
            return choice if nullable or choice is not None else "x"
        ts = HOSTILE_TIMES[i % len(HOSTILE_TIMES)]
        received = HOSTILE_TIMES[(i * 7 + 3) % len(HOSTILE_TIMES)] if i % 3 else T0 + i
        rows.append((
            f"id-{i}" if i % 5 else HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)] + str(i), ts, received,
            HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)], pick(False), pick(False), pick(True), pick(True), pick(True),
            pick(True), pick(False), HOSTILE_PAYLOADS[i % len(HOSTILE_PAYLOADS)],
        ))
    return rows


INSERT = (
    "INSERT INTO events (event_id, ts, received_at, project, session_id, event_type, tool_name, tool_use_id,"
    " agent_id, cwd, summary, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def hostile_database(tmp_path: Path) -> Path:
    """A real claude-watch database holding the sample events and every hostile row."""
    path = tmp_path / "hostile.db"
    store = await Store.open(path)
    try:
        await fill_samples(store)
    finally:
        await store.close()
    db = sqlite3.connect(path)
    with db:
        db.executemany(INSERT, _hostile_rows())
    db.close()
    return path


def _stored_lines(path: Path, where: str = "1") -> tuple[list[str], list[str]]:
    db = sqlite3.connect(path)
    try:
        reference = [row[0] for row in db.execute(f"SELECT {REFERENCE_EXPORT_OBJECT} FROM events WHERE {where} ORDER BY id")]
        built = export_lines(db.execute(f"SELECT {EXPORT_COLUMNS} FROM events WHERE {where} ORDER BY id").fetchall())
    finally:
        db.close()
    return reference, built


ORDINARY_TIMES = " AND ".join(
    f"typeof({column}) = 'integer' AND {column} BETWEEN 0 AND 253402300799999" for column in ("ts", "received_at")
)


async def test_lines_are_byte_for_byte_what_sqlite_built(tmp_path: Path) -> None:
    path = await hostile_database(tmp_path)
    reference, built = _stored_lines(path)
    assert len(reference) == 430
    for want, got in zip(reference, built):
        assert got == want
    # the same with only ordinary times, where the times take the whole-column fast path
    reference, built = _stored_lines(path, ORDINARY_TIMES)
    assert len(reference) > 100
    assert built == reference
    # the samples' lines are valid JSON with the payload exactly as sent
    for line, sample in zip(built, sample_lines()):
        assert json.loads(line)["payload"] == json.loads(sample)


@pytest.mark.parametrize("value", HOSTILE_TIMES)
def test_each_time_is_what_sqlite_made_of_it(value: object) -> None:
    db = sqlite3.connect(":memory:")
    try:
        (want,) = db.execute(f"SELECT json_quote({_reference_iso('?')})", (value,)).fetchone()
    finally:
        db.close()
    assert time_token(value) == want


def test_every_millisecond_and_minute_of_a_day_and_many_days() -> None:
    rng = random.Random(7)
    values = [T0 - T0 % 86_400_000 + ms for ms in range(0, 86_400_000, 997)]
    values += [rng.randrange(0, 253_402_300_800_000) for _ in range(20_000)]
    db = sqlite3.connect(":memory:")
    try:
        want = [row[0] for row in db.execute(
            f"SELECT json_quote({_reference_iso('value')}) FROM json_each(?)", (json.dumps(values),))]
    finally:
        db.close()
    assert [time_token(value) for value in values] == want
    assert time_tokens(values) == want  # the whole-column fast path
    assert time_tokens([*values, -1]) == [*want, '"1969-12-31T23:59:59.999Z"']  # and its way out


async def test_text_that_is_not_utf8_fails_as_it_did(tmp_path: Path) -> None:
    """A lone surrogate cannot be stored from Python; bytes written by something else that are not
    UTF-8 (here the WTF-8 form of U+D800) fail the export, as they did when SQLite built the line."""
    with pytest.raises(UnicodeEncodeError):
        sqlite3.connect(":memory:").execute("SELECT ?", ("\ud800",))
    path = await hostile_database(tmp_path)
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE events SET summary = CAST(X'61eda08062' AS TEXT) WHERE id = 1")
    db.close()
    with pytest.raises(sqlite3.OperationalError):
        _stored_lines(path)
    store = await Store.open(path)
    try:
        with pytest.raises(sqlite3.OperationalError):
            await export_text(store)
    finally:
        await store.close()


def test_a_blob_in_a_text_column_fails_as_it_did() -> None:
    db = sqlite3.connect(":memory:")
    try:
        with pytest.raises(sqlite3.OperationalError, match="BLOB"):
            db.execute(f"SELECT {REFERENCE_EXPORT_OBJECT} FROM (SELECT 'e' AS event_id, 1 AS ts, 1 AS received_at,"
                       " X'00' AS project, 's' AS session_id, 't' AS event_type, NULL AS tool_name, NULL AS tool_use_id,"
                       " NULL AS agent_id, NULL AS cwd, 'x' AS summary, '{}' AS payload)").fetchall()
    finally:
        db.close()
    with pytest.raises(TypeError):
        export_lines([("e", 1, 1, b"\x00", "s", "t", None, None, None, None, "x", "{}")])


@pytest.mark.parametrize("fmt", FORMATS)
async def test_export_file_is_byte_for_byte_what_it_was(tmp_path: Path, fmt: str) -> None:
    path = await hostile_database(tmp_path)
    store = await Store.open(path)
    try:
        target = tmp_path / f"out.{fmt}"
        assert await export_events(store, EventFilter(), target, fmt) == 430
        as_text = await export_text(store, fmt=fmt)
    finally:
        await store.close()
    want = reference_export(path, fmt)
    assert target.read_bytes() == want.encode()
    assert as_text == want
    assert not any(0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029" for ch in want)


async def test_get_events_lines_are_what_sqlite_built(tmp_path: Path) -> None:
    path = await hostile_database(tmp_path)
    db = sqlite3.connect(path)
    try:
        want = db.execute(f"SELECT ts, id, {REFERENCE_EXPORT_OBJECT} FROM events ORDER BY ts DESC, id DESC").fetchall()
    finally:
        db.close()
    store = await Store.open(path)
    try:
        got, before = [], None
        while True:
            page = await store.list_event_json(EventFilter(), 128, before)
            got += page
            if len(page) < 128:
                break
            before = Cursor(page[-1][0], page[-1][1])
    finally:
        await store.close()
    assert got == want


@pytest.mark.parametrize("text", [*HOSTILE_TEXTS, *HOSTILE_PAYLOADS, "\x7f" + "a" * 100, "é\x85", "\u00a0"])
def test_escape_unsafe_fast_paths_change_nothing(text: str) -> None:
    assert escape_unsafe(text) == reference_escape(text)


async def _add_copies(store: Store, n: int) -> None:
    line = sample_lines()[5]
    for base in range(0, n, 2000):
        await store.submit([normalise(line.encode(), {"X-Claude-Watch-Time": str(T0 + base + i)}, T0) for i in range(min(2000, n - base))])


def _export_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "claude-watch-export-writer"]


class _Sink(io.RawIOBase):
    """A binary stream that counts its writes and hands each to `on_write`."""

    def __init__(self, on_write) -> None:
        super().__init__()
        self.on_write = on_write
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.writes += 1
        self.on_write(data)
        return len(data)


async def test_a_failing_write_stops_the_export_and_is_raised(store: Store) -> None:
    await _add_copies(store, 6000)

    def full(data: bytes) -> None:
        raise OSError(28, "No space left on device")

    sink = _Sink(full)
    with pytest.raises(OSError, match="No space"):
        await write_events(store, EventFilter(), sink, "ndjson")
    assert sink.writes == 1
    assert not _export_threads()


async def test_cancelling_an_export_stops_its_threads_before_the_file_is_closed(store: Store, monkeypatch) -> None:
    monkeypatch.setattr(export, "BATCH_EVENTS", 100)
    await _add_copies(store, 6000)
    first_write, release = threading.Event(), threading.Event()

    def slow(data: bytes) -> None:
        first_write.set()
        release.wait()

    sink = _Sink(slow)
    task = asyncio.ensure_future(write_events(store, EventFilter(), sink, "json"))
    await asyncio.to_thread(first_write.wait)
    task.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not _export_threads()
    # "[", then at most the two batches queued and the one being handed over (2 writes each)
    assert sink.writes <= 7

"""Export matching events as JSON or NDJSON, streamed: memory stays flat however many match.

Each event's JSON line is built by `claude_watch.store.export_lines` (the one definition of the
exported form, shared with `GET /events`); this module frames the lines and makes sure no
character a terminal would act on is left raw (JSON allows C1 controls and U+2028/9 unescaped
inside strings; `cat export.json` must not repaint anyone's screen).

A worker thread reads (a plain sqlite3 connection of the export's own), builds, escapes and
encodes a batch at a time, and a second thread writes, so the writing's system calls overlap
the next batch: the event loop (the monitor's screen) stays free, and a million events cost no
million trips between threads.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import os
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from claude_watch.store import EventFilter, Store

FORMATS = ("json", "ndjson")
BATCH_EVENTS = 1000  # read, built and written at a time; a few are in flight (~2 MB each here)
_RAW_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def escape_unsafe(text: str) -> str:
    """Write C1 controls, DEL and U+2028/9 as JSON escapes (`\\u009b`): same JSON, inert text."""
    # C-speed checks first: isascii() is a flag, and every unsafe character is one isprintable()
    # rejects (categories Cc, Zl, Zp); the regex costs ~20 us a line.
    if text.isascii():
        if "\x7f" not in text:
            return text
    elif text.isprintable():
        return text
    return _RAW_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _encode_safe(lines: list[str], separator: bytes) -> bytes:
    """`separator.join` of the lines as UTF-8, with escape_unsafe applied (measured: scanning the
    joined batch for the UTF-8 of what it rewrites is slower than these per-line flag checks)."""
    return separator.join([
        line.encode() if line.isascii() and "\x7f" not in line else escape_unsafe(line).encode() for line in lines
    ])


class _Stopped(Exception):
    """The export was cancelled (the worker saw it between two batches)."""


def _byte_sink(out: IO[Any]) -> Callable[[bytes], Any]:
    """Write UTF-8 bytes to `out`: straight to its buffer when it has one (no text layer)."""
    if isinstance(out, (io.RawIOBase, io.BufferedIOBase)):
        return out.write
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is not None and encoding and codecs.lookup(encoding).name == "utf-8":
        out.flush()
        return buffer.write
    return lambda data: out.write(data.decode("utf-8"))


def _write_all(batches: Iterator[list[str]], out: IO[Any], fmt: str, stop: threading.Event) -> int:
    """In a worker thread: frame, escape and encode each batch of lines, and hand it to a writer
    thread, so the writing (system calls, without the GIL) overlaps the next batch's reading
    and building. At most a few batches are in flight: memory stays flat."""
    write = _byte_sink(out)
    as_array = fmt == "json"
    separator = b",\n" if as_array else b"\n"
    pending: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def writer() -> None:
        while (pieces := pending.get()) is not None:
            if not failed:  # after a failure: only drain, so the reader is never stuck
                try:
                    for piece in pieces:
                        write(piece)
                except BaseException as error:
                    failed.append(error)

    thread = threading.Thread(target=writer, name="claude-watch-export-writer", daemon=True)
    thread.start()
    count = 0
    try:
        with contextlib.closing(batches):
            if as_array:
                pending.put([b"["])
            for lines in batches:
                if stop.is_set():
                    raise _Stopped
                if failed:
                    break
                chunk = _encode_safe(lines, separator)
                if as_array:
                    pending.put([b"\n" if count == 0 else b",\n", chunk])
                else:
                    pending.put([chunk, b"\n"])
                count += len(lines)
            if as_array and not failed:
                pending.put([b"\n]\n" if count else b"]\n"])
    finally:
        pending.put(None)
        thread.join()
    if failed:
        raise failed[0]
    return count


async def write_events(store: Store, flt: EventFilter, out: IO[Any], fmt: str = "json") -> int:
    """Write matching events oldest first to an open stream (text or binary); returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use json or ndjson")
    stop = threading.Event()
    job = asyncio.ensure_future(asyncio.to_thread(_write_all, store.iter_event_json(flt, BATCH_EVENTS), out, fmt, stop))
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        # The worker stops at its next batch; `out` stays open until it has.
        stop.set()
        await asyncio.wait({job})
        with contextlib.suppress(_Stopped):
            job.result()
        raise


def _open_private(path: Path) -> IO[bytes]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb", buffering=1 << 20)


async def export_events(store: Store, flt: EventFilter, path: Path | str | None, fmt: str = "json") -> int:
    """Export to `path` (written under a temporary name, then renamed: never half a file), or
    to stdout when `path` is None or '-'. The file is readable by its owner only."""
    if path is None or str(path) == "-":
        count = await write_events(store, flt, sys.stdout, fmt)
        sys.stdout.flush()
        return count
    target = Path(path).expanduser()
    partial = target.with_name(f".{target.name}.partial")
    try:
        with _open_private(partial) as out:
            count = await write_events(store, flt, out, fmt)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count

"""Export matching events as JSON or NDJSON, streamed: memory stays flat however many match.

The JSON of each event is built by SQLite (`queries.EXPORT_OBJECT`); this module only frames it
and makes sure no character a terminal would act on is left raw (JSON allows C1 controls and
U+2028/9 unescaped inside strings; `cat export.json` must not repaint anyone's screen).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import IO

from claude_watch.store import EventFilter, Store

FORMATS = ("json", "ndjson")
_RAW_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def escape_unsafe(text: str) -> str:
    """Write C1 controls, DEL and U+2028/9 as JSON escapes (`\\u009b`): same JSON, inert text."""
    if text.isascii() and "\x7f" not in text:  # C-speed checks; the regex costs ~20 us a row
        return text
    return _RAW_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


async def write_events(store: Store, flt: EventFilter, out: IO[str], fmt: str = "json") -> int:
    """Write matching events oldest first to an open text stream; returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use json or ndjson")
    count = 0
    as_array = fmt == "json"
    if as_array:
        out.write("[")
    async for batch in store.iter_event_json(flt):
        lines = [escape_unsafe(text) for text in batch]
        if as_array:
            out.write(("\n" if count == 0 else ",\n") + ",\n".join(lines))
        else:
            out.write("\n".join(lines) + "\n")
        count += len(batch)
    if as_array:
        out.write("\n]\n" if count else "]\n")
    return count


def _open_private(path: Path) -> IO[str]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


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

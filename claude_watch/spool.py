"""Drain the hook's spool folder into the store, through the same ingest path as HTTP.

The hook (hooks/claude-watch-hook) writes an event here when the collector cannot take it.
File format and naming: docs/ARCHITECTURE.md ("Spool file format"). Rules kept here:

* files are drained in file-name order, which is capture order (the name starts with the
  13-digit capture time in ms);
* a file is deleted only after `Ingestor.accept_one` returned, i.e. after its event is
  committed; the capture time travels in the `X-Claude-Watch-Time` header, so drained events
  keep it, and the event id header makes a drained duplicate of an already-stored event a no-op;
* a file that is not a valid event is moved to `rejected/` and counted (`accept_one` counts a
  bad body itself, `record_rejection` is called here for a bad header block), never retried
  forever; a store failure (or any other error) ends the pass and keeps the file;
* one drainer at a time across processes: a non-blocking `flock` on `<spool>/.drain.lock`;
  a pass that cannot take it is skipped;
* file I/O runs in a worker thread (`asyncio.to_thread`), a bounded chunk at a time, so the
  event loop is never blocked for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multidict import CIMultiDict

log = logging.getLogger(__name__)

EVENT_SUFFIX = ".event"
TMP_PREFIX = ".tmp-"
LOCK_NAME = ".drain.lock"
#: Written by the hook after a failed POST: for 5 s the next hooks spool without trying. A
#: running collector removes it on every pass, so hooks go back to POSTing within one interval.
DOWN_MARKER = ".collector-down"
REJECTED_DIR = "rejected"

#: A `.tmp-*` file this old was left by a hook that died between writing and renaming (the
#: hook gives up on everything within about a second). It is drained like an event: a complete
#: one is recovered, a cut one fails to parse and goes to rejected/.
STALE_TMP_S = 300.0

#: Read at most this many files / bytes per worker-thread hop.
CHUNK_FILES = 64
CHUNK_BYTES = 16 * 1024 * 1024

_TIME_PREFIX = re.compile(rb"^(\d{13})-")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


class SpoolFormatError(ValueError):
    """A spool file whose header block cannot be read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class DrainResult:
    committed: int = 0
    rejected: int = 0
    left: int = 0  # files still waiting after the pass
    skipped: bool = False  # another drainer held the lock
    error: str | None = None  # why the pass stopped early (store unavailable, ...)


def parse_spool_file(data: bytes, name: str = "") -> tuple[CIMultiDict[str], bytes]:
    """Split a spool file into (headers, body). The body is returned exactly as stored;
    header names are case-insensitive, as they are over HTTP.

    Raises SpoolFormatError when the header block is malformed.
    """
    if data.startswith((b"\n", b"\r\n")):  # no header lines at all
        head, body = b"", data[data.index(b"\n") + 1:]
    else:
        for sep in (b"\n\n", b"\r\n\r\n"):
            head, found, body = data.partition(sep)
            if found:
                break
        else:
            raise SpoolFormatError("spool file has no blank line after its headers")
    try:
        head_text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise SpoolFormatError("spool file headers are not UTF-8") from None
    headers: CIMultiDict[str] = CIMultiDict()
    for line in head_text.splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or not _HEADER_NAME.match(key):
            raise SpoolFormatError("spool file has a malformed header line")
        headers[key] = value.strip()
    if "X-Claude-Watch-Time" not in headers:
        # Older or hand-made files: the name still carries the capture time.
        m = _TIME_PREFIX.match(name.encode())
        if m and int(m.group(1)):  # all zeros: the hook had no clock; use the time of receipt
            headers["X-Claude-Watch-Time"] = m.group(1).decode()
    return headers, body


def _list_events(spool_dir: Path) -> list[str]:
    """Names of waiting `*.event` files, in capture order."""
    try:
        with os.scandir(spool_dir) as it:
            names = [
                e.name
                for e in it
                if e.name.endswith(EVENT_SUFFIX) and not e.name.startswith(".")
            ]
    except FileNotFoundError:
        return []
    names.sort()
    return names


def _recover_stale_tmp(spool_dir: Path, now: float) -> None:
    try:
        with os.scandir(spool_dir) as it:
            entries = [e for e in it if e.name.startswith(TMP_PREFIX)]
    except FileNotFoundError:
        return
    for e in entries:
        try:
            if now - e.stat().st_mtime < STALE_TMP_S:
                continue
            target = e.name[len(TMP_PREFIX):]
            if not target.endswith(EVENT_SUFFIX):
                target += EVENT_SUFFIX
            os.replace(e.path, spool_dir / target)
        except OSError:
            continue


def _remove_down_marker(spool_dir: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(spool_dir / DOWN_MARKER)


def _read_chunk(spool_dir: Path, names: list[str]) -> list[tuple[str, bytes | None]]:
    """Read up to CHUNK_FILES / CHUNK_BYTES of files. None = vanished meanwhile."""
    out: list[tuple[str, bytes | None]] = []
    total = 0
    for name in names:
        if out and (len(out) >= CHUNK_FILES or total >= CHUNK_BYTES):
            break
        try:
            data = (spool_dir / name).read_bytes()
        except FileNotFoundError:
            data = None
        out.append((name, data))
        total += len(data or b"")
    return out


def _unlink_many(spool_dir: Path, names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(spool_dir / name)


def _move_rejected(spool_dir: Path, name: str) -> None:
    rejected = spool_dir / REJECTED_DIR
    rejected.mkdir(mode=0o700, exist_ok=True)
    target = rejected / name
    n = 1
    while target.exists():
        target = rejected / f"{name}.{n}"
        n += 1
    try:
        os.replace(spool_dir / name, target)
    except FileNotFoundError:
        pass


@contextlib.contextmanager
def _drain_lock(spool_dir: Path) -> Iterator[bool]:
    """Non-blocking exclusive flock on <spool>/.drain.lock: yields False if someone else has it."""
    import fcntl

    fd = os.open(spool_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                yield False
                return
            raise
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class SpoolDrainer:
    """Moves spooled events into the store. Used by the collector:

    ``await drainer.drain_once()`` at start, ``drainer.start()`` for a pass every
    ``interval_s``, ``await drainer.stop()``, ``drainer.backlog()`` for /health and the UI.
    """

    def __init__(self, spool_dir: Path, ingestor: Any, interval_s: float = 2.0) -> None:
        self.spool_dir = Path(spool_dir)
        self.ingestor = ingestor
        self.interval_s = interval_s
        self.committed_total = 0
        self.rejected_total = 0
        self.last_result: DrainResult | None = None
        self._task: asyncio.Task[None] | None = None
        self._pass_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._last_error: str | None = None

    # -- public -------------------------------------------------------------------------
    def backlog(self) -> int:
        """Number of events waiting in the spool (a directory scan, no file reads)."""
        try:
            with os.scandir(self.spool_dir) as it:
                return sum(
                    1
                    for e in it
                    if e.name.endswith(EVENT_SUFFIX) and not e.name.startswith(".")
                )
        except OSError:
            return 0

    async def drain_once(self) -> DrainResult:
        """One pass over the spool. Never raises for a store or file problem."""
        async with self._pass_lock:
            try:
                result = await self._drain_pass()
            except Exception as exc:  # keep the collector alive; the files stay
                result = DrainResult(error=f"{type(exc).__name__}: {exc}", left=self.backlog())
                if result.error != self._last_error:  # once per distinct error, not every 2 s
                    log.warning("spool drain failed: %s", result.error, exc_info=True)
            self._last_error = result.error
            self.last_result = result
            return result

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="claude-watch-spool-drain"
            )

    def wake(self) -> None:
        """Ask for a pass now instead of at the next interval."""
        self._wake.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    # -- internals ----------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
            self._wake.clear()
            await self.drain_once()

    async def _drain_pass(self) -> DrainResult:
        spool_dir = self.spool_dir
        if not await asyncio.to_thread(spool_dir.is_dir):
            return DrainResult()
        await asyncio.to_thread(_remove_down_marker, spool_dir)
        await asyncio.to_thread(_recover_stale_tmp, spool_dir, time.time())
        names = await asyncio.to_thread(_list_events, spool_dir)
        if not names:
            return DrainResult()
        # flock is non-blocking, so taking it on the loop is fine; it is held for the whole pass.
        with _drain_lock(spool_dir) as got:
            if not got:
                return DrainResult(skipped=True, left=len(names))
            return await self._drain_locked(names)

    async def _drain_locked(self, names: list[str]) -> DrainResult:
        from claude_watch.event import BadEvent

        spool_dir = self.spool_dir
        result = DrainResult()
        pending = names
        while pending:
            chunk = await asyncio.to_thread(_read_chunk, spool_dir, pending)
            pending = pending[len(chunk):]
            done: list[str] = []
            stop = False
            for name, data in chunk:
                if data is None:  # taken by someone else / removed by hand
                    continue
                try:
                    headers, body = parse_spool_file(data, name)
                    await self.ingestor.accept_one(body, headers)
                except (SpoolFormatError, BadEvent) as exc:
                    # accept_one counts its own BadEvent rejections; a file we cannot even
                    # parse is counted here.
                    if isinstance(exc, SpoolFormatError):
                        self._record_rejection(f"spool file {name}: {exc.reason}", data)
                    await asyncio.to_thread(_move_rejected, spool_dir, name)
                    result.rejected += 1
                    continue
                except Exception as exc:  # StoreUnavailable or anything transient: retry later
                    result.error = f"{type(exc).__name__}: {exc}"
                    stop = True
                    break
                done.append(name)
                result.committed += 1
            if done:
                await asyncio.to_thread(_unlink_many, spool_dir, done)
            if stop:
                break
        self.committed_total += result.committed
        self.rejected_total += result.rejected
        result.left = await asyncio.to_thread(self.backlog)
        if result.committed or result.rejected or (result.error and result.error != self._last_error):
            log.info(
                "spool drain: %d committed, %d rejected, %d left%s",
                result.committed,
                result.rejected,
                result.left,
                f" (stopped: {result.error})" if result.error else "",
            )
        return result

    def _record_rejection(self, reason: str, sample: bytes) -> None:
        record = getattr(self.ingestor, "record_rejection", None)
        if record is None:
            return
        try:
            out = record(reason, sample[:4096])
            if asyncio.iscoroutine(out):  # tolerate an async record_rejection
                asyncio.ensure_future(out)
        except Exception:  # counting must never stop the drain
            log.exception("record_rejection failed")

"""The event store: one writer with group commit, a separate reader, subscribers after commit.

Requests that arrive while a transaction is in flight queue up and share the next one, so the
commit cost is paid once per batch, not once per event. `submit` resolves only after the
commit, which is what lets the HTTP layer promise that an acknowledged event is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import aiosqlite

from claude_watch.clock import Clock, now_ms
from claude_watch.event import Event
from claude_watch.paths import ensure_private_dir
from claude_watch.store import queries
from claude_watch.store.export_lines import export_lines
from claude_watch.store.models import (
    IDLE_AFTER_MS,
    Cursor,
    EventFilter,
    EventPage,
    ProjectSummary,
    SessionSummary,
    StoreUnavailable,
)
from claude_watch.store.retention import delete_chunk, recount_summaries
from claude_watch.store.schema import MIGRATIONS, SCHEMA_VERSION
from claude_watch.store.writer import index_chunk, write_batch

log = logging.getLogger(__name__)

Subscriber = Callable[[list[Event]], None]

MAX_BATCH_EVENTS = 2000
CHECKPOINT_INTERVAL_S = 1.0
WAL_RESTART_FRAMES = 4096  # 16 MiB of 4 KiB pages
_SEARCH_WINDOWS_MS = (3_600_000, 6 * 3_600_000, 48 * 3_600_000)
_FEW_MATCHES = 2000
BUSY_TIMEOUT_MS = 5000
# A commit that arrives while a chunk of events is being indexed waits for it: chunks are sized
# to take about this long (a few 64 KiB payloads make 1,000 events cost 100+ ms).
INDEX_SLICE_S = 0.005
INDEX_CHUNK_RANGE = (25, 1000)
INDEX_LULL_S = 0.05
INDEX_BACKLOG_MAX = 10_000


class StoreError(RuntimeError):
    """The database cannot be opened at all; the message says why, for a person."""


def _create_private_file(path: Path) -> None:
    """Make the database file 0600 before SQLite does (SQLite copies its mode to -wal/-shm)."""
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)


async def _connect(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # NORMAL in WAL mode survives a process crash (kill -9); only power loss can drop the tail.
        await db.execute("PRAGMA synchronous = NORMAL")
        # A small page cache: the OS caches the file anyway, and a long-running collector's memory
        # must stay flat (two 16 MB caches filling up were most of a soak's growth).
        await db.execute("PRAGMA cache_size = -4000")
        # Checkpoints copy the WAL into the database and fsync: done by the writer (SQLite's
        # default) they stall every commit behind the disk. The store's own checkpointer does
        # them on a connection of its own instead (see Store._checkpoint_loop).
        await db.execute("PRAGMA wal_autocheckpoint = 0")
        await db.execute("PRAGMA journal_size_limit = 67108864")
    except BaseException:
        await db.close()  # its worker thread is not a daemon: left open, it keeps the process alive
        raise
    return db


@contextlib.asynccontextmanager
async def _setup_lock(path: Path) -> AsyncIterator[None]:
    """One process at a time sets a database up (WAL switch, migrations): SQLite answers
    "locked" without waiting when several do it at once on a new file."""
    lock_path = path.with_name(path.name + ".setup-lock")
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


async def _execute_when_free(db: aiosqlite.Connection, sql: str, attempts: int = 200) -> None:
    """While a new database is being set up by several processes at once (WAL switch, WAL
    recovery), SQLite can answer "locked" at once instead of waiting: so try again, briefly."""
    for attempt in range(attempts):
        try:
            await db.execute(sql)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.02)


async def _migrate(db: aiosqlite.Connection) -> None:
    """Bring the schema up to date. Each step reads the version inside its own write
    transaction, so two processes opening a new database at once never run a step twice."""
    await _execute_when_free(db, "PRAGMA journal_mode = WAL")
    while True:
        await _execute_when_free(db, "BEGIN IMMEDIATE")
        try:
            async with db.execute("PRAGMA user_version") as cursor:
                (version,) = await cursor.fetchone()
            if version > SCHEMA_VERSION:
                raise StoreError(f"the database was made by a newer claude-watch (schema {version} > {SCHEMA_VERSION})")
            if version == SCHEMA_VERSION:
                await db.rollback()
                return
            for statement in _statements(MIGRATIONS[version]):
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {version + 1}")
            await db.commit()
        except BaseException:
            await db.rollback()
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows where each ends)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        if not current and (not line.strip() or line.strip().startswith("--")):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


class Store:
    """Open with `await Store.open(path)`; always `await store.close()`."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection,
        checkpointer: aiosqlite.Connection, clock: Clock, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        indexing: bool = True,
    ) -> None:
        self.path = path
        # Off for a store opened only to read (export): it leaves the search index to the
        # collector instead of writing to a database someone else may be ingesting into.
        self._indexing = indexing
        self.clock = clock
        self._writer = writer
        self._reader = reader
        self._checkpointer = checkpointer
        self._checkpoint_task = asyncio.create_task(self._checkpoint_loop(), name="claude-watch-checkpoint")
        self._busy_timeout_ms = busy_timeout_ms
        # After a corruption error the writer's page cache cannot be trusted: reopen it.
        self._writer_stale = False
        self._pending: list[tuple[list[Event], asyncio.Future[list[Event]]]] = []
        self._wakeup = asyncio.Event()
        self._subscribers: list[Subscriber] = []
        self._closing = False
        # Held for each transaction on the writer connection: commits and prune chunks take turns.
        self._write_lock = asyncio.Lock()
        self._index_chunk = INDEX_CHUNK_RANGE[1]
        self._index_backlog = 0  # events committed by this store and not indexed yet
        self._last_commit = 0.0  # time.monotonic() of the last commit
        self._writer_task = asyncio.create_task(self._write_loop(), name="claude-watch-writer")
        self.write_error: str | None = None

    @classmethod
    async def open(
        cls, path: Path | str, clock: Clock = now_ms, busy_timeout_ms: int = BUSY_TIMEOUT_MS, indexing: bool = True,
    ) -> Store:
        path = Path(path).expanduser()
        try:
            ensure_private_dir(path.parent)
            _create_private_file(path)
        except OSError as error:
            raise StoreError(f"cannot create the database at {path}: {error.strerror or error}") from None
        connections: list[aiosqlite.Connection] = []
        try:
            async with _setup_lock(path):
                connections.append(await _connect(path, busy_timeout_ms))
                await _migrate(connections[0])
            connections.append(await _connect(path, busy_timeout_ms))
            connections.append(await _connect(path, busy_timeout_ms))
        except StoreError:
            for db in connections:
                await db.close()
            raise
        except (sqlite3.Error, OSError) as error:
            for db in connections:
                await db.close()
            if _read_only_file_system(path):
                raise StoreError(f"cannot open the database at {path}: it is on a read-only file system") from None
            raise StoreError(f"cannot open the database at {path}: {error}") from None
        writer, reader, checkpointer = connections
        return cls(path, writer, reader, checkpointer, clock, busy_timeout_ms, indexing)

    async def close(self) -> None:
        """Commit what is queued, then close both connections (their threads would keep us alive)."""
        self._closing = True
        self._wakeup.set()
        await self._writer_task
        self._checkpoint_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._checkpoint_task
        with contextlib.suppress(sqlite3.Error):
            async with self._checkpointer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                await cursor.fetchone()
        for db in (self._writer, self._reader, self._checkpointer):
            await db.close()

    # -- writing ------------------------------------------------------------------------------

    async def submit(self, events: list[Event]) -> list[Event]:
        """Queue events for the next group commit; returns them with ids once committed.

        Duplicates (an event_id already stored) are left out of the result. Raises
        StoreUnavailable when the database cannot take the write.
        """
        if self._closing:
            raise StoreUnavailable("the store is shutting down")
        future: asyncio.Future[list[Event]] = asyncio.get_running_loop().create_future()
        self._pending.append((events, future))
        self._wakeup.set()
        return await future

    async def _write_loop(self) -> None:
        """Commit what is queued, always first; index for search in the lulls between bursts.

        Indexing costs more than storing (~140 vs ~90 us an event here) and holds the write
        lock, so during a burst it waits, up to INDEX_BACKLOG_MAX events behind (searches
        scan that tail directly), and catches up once commits pause for INDEX_LULL_S.
        """
        unindexed = self._indexing  # there may be events to index from an earlier run
        while True:
            self._wakeup.clear()
            while self._pending:
                await self._commit(self._take_batch())
                unindexed = self._indexing
            if self._closing:
                return
            if not unindexed:
                await self._wakeup.wait()
                continue
            lull_in = self._last_commit + INDEX_LULL_S - time.monotonic()
            if lull_in <= 0 or self._index_backlog >= INDEX_BACKLOG_MAX:
                unindexed = await self._index_some()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), lull_in)

    async def _reconnect_writer(self) -> None:
        try:
            fresh = await _connect(self.path, self._busy_timeout_ms)
        except (sqlite3.Error, OSError):
            return  # keep the old one; the next batch tries again
        old, self._writer = self._writer, fresh
        self._writer_stale = False
        with contextlib.suppress(sqlite3.Error):
            await old.close()

    async def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database every second, beside the writer, without blocking it.

        A passive checkpoint never waits, but under steady writes it never catches up fully,
        and SQLite only starts the WAL over once it has: so when the WAL passes WAL_RESTART_FRAMES
        a RESTART checkpoint, between two of our commits, copies the rest and starts it over (measured:
        without this the WAL reached 280 MB after 20,000 events)."""
        while True:
            await asyncio.sleep(CHECKPOINT_INTERVAL_S)
            try:
                async with self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
                    row = await cursor.fetchone()
                if row is not None and row[1] > WAL_RESTART_FRAMES:
                    # Our commits wait on our own lock meanwhile, and go the moment it is done;
                    # blocked inside SQLite they would sleep in its busy handler's back-off.
                    async with self._write_lock, self._checkpointer.execute("PRAGMA wal_checkpoint(RESTART)") as cursor:
                        await cursor.fetchone()
            except sqlite3.Error as error:  # the next pass tries again; the WAL just grows
                log.debug("checkpoint skipped: %s", error)

    async def _index_some(self) -> bool:
        """Index one chunk of committed events; True while more may be waiting."""
        try:
            async with self._write_lock:
                started = time.perf_counter()
                count = await index_chunk(self._writer, self._index_chunk)
                self._size_next_chunk(count, time.perf_counter() - started)
                self._index_backlog = max(0, self._index_backlog - count) if count else 0
                return count > 0
        except Exception as error:  # search lags behind; storing events matters more
            log.warning("cannot update the search index (will retry with the next write): %s", error)
            return False

    def _size_next_chunk(self, count: int, seconds: float) -> None:
        if count < self._index_chunk:
            return  # a short chunk says little about the cost of a full one
        low, high = INDEX_CHUNK_RANGE
        wanted = count * INDEX_SLICE_S / max(seconds, 1e-6)
        self._index_chunk = int(min(high, max(low, (self._index_chunk + wanted) / 2)))

    async def wait_indexed(self) -> None:
        """Until every committed event is in the search index (tests, benchmarks)."""
        while await self._index_some():
            pass

    def _take_batch(self) -> list[tuple[list[Event], asyncio.Future[list[Event]]]]:
        batch, count = [], 0
        while self._pending and (count == 0 or count + len(self._pending[0][0]) <= MAX_BATCH_EVENTS):
            item = self._pending.pop(0)
            batch.append(item)
            count += len(item[0])
        return batch

    async def _commit(self, batch: list[tuple[list[Event], asyncio.Future[list[Event]]]]) -> None:
        events = [event for item, _ in batch for event in item]
        try:
            async with self._write_lock:
                if self._writer_stale:
                    await self._reconnect_writer()
                result = await write_batch(self._writer, events)
        except Exception as error:  # every database failure is answered, never raised into the loop
            reason = describe_error(error)
            if self.write_error != reason:
                log.error("cannot write events: %s", reason)
            self.write_error = reason
            if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
                self._writer_stale = True
            for _, future in batch:
                if not future.done():
                    future.set_exception(StoreUnavailable(reason))
            return
        self.write_error = None
        self._last_commit = time.monotonic()
        self._index_backlog += len(result.stored)
        for requested, future in batch:
            if not future.done():
                future.set_result(result.stored_for(requested))
        if result.stored:
            self._notify(result.stored)

    def _notify(self, stored: list[Event]) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(stored)
            except Exception:
                log.exception("a subscriber failed on a batch of %d events", len(stored))

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(events)` in the event loop after each commit; returns an unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    async def prune(self, cutoff: int, vacuum: bool = False) -> int:
        """Delete events older than `cutoff` (epoch ms) and fix the summaries; returns how many."""
        deleted = 0
        while True:
            async with self._write_lock:
                await self._writer.execute("BEGIN IMMEDIATE")
                try:
                    count = await delete_chunk(self._writer, cutoff)
                    if count == 0:
                        await recount_summaries(self._writer, cutoff)
                    await self._writer.commit()
                except BaseException:
                    await self._writer.rollback()
                    raise
            deleted += count
            if count == 0:
                break
        if vacuum:
            async with self._write_lock:
                await self._writer.execute("INSERT INTO events_search (events_search) VALUES ('optimize')")
                await self._writer.execute("VACUUM")
        return deleted

    # -- reading ------------------------------------------------------------------------------

    async def _fetchall(self, sql: str, params: list | tuple = ()) -> list:
        # One trip to the reader's thread (execute + fetch + close there), not three: a screen
        # sharing the loop waits for each trip while it draws.
        return list(await self._reader.execute_fetchall(sql, params))

    async def list_events(
        self, flt: EventFilter = EventFilter(), limit: int = 100, before: Cursor | None = None, with_payload: bool = False
    ) -> EventPage:
        rows = await self._page(
            flt, limit, before, lambda f, floor, ids: queries.page_query(f, limit, before, with_payload, floor, ids)
        )
        events = [queries.event_from_row(row) for row in rows]
        next_cursor = Cursor.of(events[-1]) if len(events) == limit else None
        return EventPage(events, next_cursor)

    async def _page(self, flt: EventFilter, limit: int, before: Cursor | None, build) -> list:
        """Run a newest-first page query; free text takes one of two fast paths.

        A word that few events hold: its matches (at most FEW_MATCHES) are looked up first and
        the page is read by id. A common word matches most of the history, and asking the index
        for all of it costs seconds at a million events; the newest page almost always lies in
        the last hours or days, so the query runs on growing windows below the page's upper
        time, each bounded in the index by the rowids stored in the window, and stops at the
        first that fills the page; the last try has no window. Either way the answer is the
        same as one unbounded query. Each step is one statement: a view waits for every trip
        to the database's thread while the loop is busy drawing.
        """
        candidates = queries.text_candidates_query(flt.text, _FEW_MATCHES + 1) if flt.text else None
        if candidates is None:
            return await self._fetchall(*build(flt, None, None))
        upper = before.ts if before is not None else flt.until
        count_sql, count_params = queries.whole_word_count_query(flt.text, _FEW_MATCHES + 1)
        # The windows start at the newest event of the project or session (asked in the same
        # trip, one index seek): a project quiet for a week has nothing in the newest hours.
        newest_sql, newest_params = queries.newest_time_query(flt, upper)
        (whole_words, upper) = (await self._fetchall(
            f"SELECT ({count_sql}), ({newest_sql})", [*count_params, *newest_params]))[0]
        if whole_words <= _FEW_MATCHES:
            ids = [row[0] for row in await self._fetchall(*candidates)]
            if len(ids) <= _FEW_MATCHES:
                return await self._fetchall(*build(flt, None, ids))
        if upper is None:  # no events at all
            return []
        for window in _SEARCH_WINDOWS_MS:
            bound = upper - window
            last_try = flt.since is not None and bound <= flt.since
            if last_try:
                bound = flt.since  # the filter's own range is the last window needed
            rows = await self._fetchall(*build(replace(flt, since=bound), queries.TimeWindow(bound, upper), None))
            if len(rows) >= limit or last_try:
                return rows
        return await self._fetchall(*build(flt, None, None))

    async def list_events_newer(
        self, flt: EventFilter, after: Cursor, limit: int = 500, oldest_first: bool = False
    ) -> list[Event]:
        """Events newer than `after`, at most `limit`: newest first (what arrived since a live
        view last looked), or `oldest_first` (the page just above `after`: a view reading
        history moves up one page at a time with it, keyset only)."""
        if oldest_first:
            rows = await self._newer_page(flt, after, limit)
        else:
            rows = await self._fetchall(*queries.newer_query(flt, after, limit))
        return [queries.event_from_row(row) for row in rows]

    async def _newer_page(self, flt: EventFilter, after: Cursor, limit: int) -> list:
        """The oldest-first page above `after`, free text by the same two paths as `_page`.

        A later event may have an earlier rowid (a spooled event is stored late), so the search
        index is bounded by the rowids of a time window above `after` (growing like `_page`'s),
        never by `after.id`. A window that reaches the newest event is the last one needed."""
        if not flt.text or queries.search_expression(flt.text) is None:
            return await self._fetchall(*queries.newer_query(flt, after, limit, oldest_first=True))
        count_sql, count_params = queries.whole_word_count_query(flt.text, _FEW_MATCHES + 1)
        newest_sql, newest_params = queries.newest_time_query(flt, None)  # as in _page
        (whole_words, newest) = (await self._fetchall(
            f"SELECT ({count_sql}), ({newest_sql})", [*count_params, *newest_params]))[0]
        if whole_words <= _FEW_MATCHES:
            ids = [row[0] for row in await self._fetchall(*queries.text_candidates_query(flt.text, _FEW_MATCHES + 1))]
            if len(ids) <= _FEW_MATCHES:
                return await self._fetchall(*queries.newer_query(flt, after, limit, oldest_first=True, ids=ids))
        if newest is None:
            return []
        for window in _SEARCH_WINDOWS_MS:
            bound = after.ts + window
            last_try = bound >= newest or (flt.until is not None and bound >= flt.until)
            if last_try:
                bound = newest if flt.until is None else min(newest, flt.until)
            until = bound + 1 if flt.until is None else min(bound + 1, flt.until)
            rows = await self._fetchall(*queries.newer_query(
                replace(flt, until=until), after, limit, oldest_first=True, id_range=queries.TimeWindow(after.ts, bound)))
            if len(rows) >= limit or last_try:
                return rows
        return await self._fetchall(*queries.newer_query(flt, after, limit, oldest_first=True, id_range=(0, 2**63 - 1)))

    async def get_event(self, row_id: int) -> Event | None:
        rows = await self._fetchall(f"SELECT {queries.EVENT_COLUMNS} FROM events WHERE id = ?", (row_id,))
        return queries.event_from_row(rows[0]) if rows else None

    async def paired_event(self, event: Event) -> Event | None:
        """The other half of a tool call: PreToolUse <-> PostToolUse / PostToolUseFailure."""
        if not event.tool_use_id:
            return None
        if event.event_type == "PreToolUse":
            wanted = ("PostToolUse", "PostToolUseFailure")
        elif event.event_type in ("PostToolUse", "PostToolUseFailure", "PermissionDenied"):
            wanted = ("PreToolUse",)
        else:
            return None
        rows = await self._fetchall(
            f"SELECT {queries.EVENT_COLUMNS} FROM events WHERE tool_use_id = ? AND session_id = ?"
            f" AND event_type IN ({', '.join('?' * len(wanted))}) ORDER BY ts, id LIMIT 1",
            (event.tool_use_id, event.session_id, *wanted),
        )
        return queries.event_from_row(rows[0]) if rows else None

    async def list_projects(self, idle_after_ms: int = IDLE_AFTER_MS) -> list[ProjectSummary]:
        active_since = self.clock() - idle_after_ms
        rows = await self._fetchall(
            """
            SELECT p.name, p.sessions, coalesce(a.active, 0), p.events, p.tool_calls, p.failures,
                   p.first_ts, p.last_ts
            FROM projects p
            LEFT JOIN (SELECT project, count(*) AS active FROM sessions
                       WHERE last_ts >= ? AND state != 'ended' GROUP BY project) a
                   ON a.project = p.name
            ORDER BY p.last_ts DESC
            """,
            (active_since,),
        )
        return [ProjectSummary(*row) for row in rows]

    async def list_sessions(self, project: str | None = None, limit: int = 500) -> list[SessionSummary]:
        columns = (
            "session_id, project, cwd, model, first_ts, last_ts, events, tool_calls, failures,"
            " last_event_type, last_tool, last_summary, state"
        )
        if project is None:
            sql, params = f"SELECT {columns} FROM sessions ORDER BY last_ts DESC LIMIT ?", (limit,)
        else:
            sql = f"SELECT {columns} FROM sessions WHERE project = ? ORDER BY last_ts DESC LIMIT ?"
            params = (project, limit)
        return [SessionSummary(*row) for row in await self._fetchall(sql, params)]

    async def total_events(self) -> int:
        rows = await self._fetchall("SELECT coalesce(sum(events), 0) FROM projects")
        return rows[0][0]

    async def list_event_json(self, flt: EventFilter, limit: int, before: Cursor | None) -> list[tuple[int, int, str]]:
        """A newest-first page as (ts, id, exported JSON text) rows."""
        rows = await self._page(
            flt, limit, before, lambda f, floor, ids: queries.export_page_query(f, limit, before, floor, ids)
        )
        lines = export_lines([row[2:] for row in rows])
        return [(row[0], row[1], line) for row, line in zip(rows, lines)]

    def iter_event_json(self, flt: EventFilter = EventFilter(), batch_size: int = 1000) -> Iterator[list[str]]:
        """Every matching event as exported JSON text, oldest first, a batch at a time.

        Blocking: run it in a worker thread (export does). It reads through a plain sqlite3
        connection of its own, read-only, in one read transaction (a consistent snapshot), so
        a long export never holds up the views and makes no trip between threads per batch.
        """
        sql, params = queries.export_query(flt)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            db.execute("PRAGMA cache_size = -4000")
            db.execute("PRAGMA query_only = ON")
            cursor = db.execute(sql, params)
            while rows := cursor.fetchmany(batch_size):
                yield export_lines(rows)
        finally:
            db.close()


def read_newest(path: Path | str, limit: int) -> tuple[EventPage, int]:
    """The newest `limit` events (as `list_events` gives them) and the total, read at once on
    a short-lived read-only connection, without opening the store.

    Blocking: for a screen that wants the database on show while the store is still opening
    (call it in a thread). Raises sqlite3.Error when the file cannot be read as it is
    (missing, or its schema not at this release's version yet): then read through the store.
    """
    from urllib.parse import quote

    db = sqlite3.connect(f"file:{quote(str(Path(path).expanduser()))}?mode=ro", uri=True, isolation_level=None,
                         check_same_thread=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema {version}, not {SCHEMA_VERSION}: open the store first")
        events = [queries.event_from_row(row) for row in db.execute(*queries.page_query(EventFilter(), limit, None))]
        (total,) = db.execute("SELECT coalesce(sum(events), 0) FROM projects").fetchone()
    finally:
        db.close()
    return EventPage(events, Cursor.of(events[-1]) if len(events) == limit else None), total


def _read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def describe_error(error: Exception) -> str:
    """A database error in words a person can act on."""
    text = str(error)
    if isinstance(error, sqlite3.OperationalError):
        lowered = text.lower()
        if "disk i/o error" in lowered:
            return "the disk refused the write (full, over a file size limit, or failing)"
        if "locked" in lowered or "busy" in lowered:
            return f"the database is locked by another process ({text})"
        if "full" in lowered:
            return "the disk is full"
        if "readonly" in lowered or "read-only" in lowered:
            return "the database is read-only"
    if isinstance(error, sqlite3.DatabaseError) and "malformed" in text.lower():
        return f"the database file is corrupt ({text})"
    return f"{type(error).__name__}: {text}"

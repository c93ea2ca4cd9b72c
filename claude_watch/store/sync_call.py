"""One trip to an aiosqlite connection's thread for a whole piece of synchronous work."""

from __future__ import annotations

import sqlite3
from typing import Callable, TypeVar

import aiosqlite

T = TypeVar("T")


async def run_sync(db: aiosqlite.Connection, work: Callable[..., T], *args: object) -> T:
    """Run `work(sqlite3_connection, *args)` on `db`'s own thread and await its result.

    aiosqlite makes one thread hop per call (execute, fetch, commit), and each hop's result waits
    for the event loop to come round to it; under load a ten-call transaction spends most of its
    time in those waits. aiosqlite has no public call for this, so it goes through `_execute`
    and `_conn`, which it has kept since 0.17 (tests/test_store.py covers it on the pinned range).
    """

    def call() -> T:
        connection: sqlite3.Connection = db._conn
        return work(connection, *args)

    return await db._execute(call)

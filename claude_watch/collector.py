"""The collector: store + ingest + HTTP server + spool drain, started and stopped as one.

`claude-watch serve` runs it alone; the TUI runs the very same object inside its own event
loop. Nothing here knows about screens.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import sqlite3
from pathlib import Path
from typing import Any

from aiohttp import web

from claude_watch.clock import Clock, now_ms
from claude_watch.config import DEFAULT_HOST, DEFAULT_PORT, CollectorConfig  # noqa: F401 (re-exported)
from claude_watch.ingest import Ingestor
from claude_watch.memory import TRIM_EVERY_S, release_memory
from claude_watch.paths import default_spool_dir
from claude_watch.server import health_report, make_app
from claude_watch.spool import SpoolDrainer
from claude_watch.store import Store, StoreError
from claude_watch.store.store import describe_error

log = logging.getLogger(__name__)

class StartError(RuntimeError):
    """The collector cannot start; the message is one line for a person."""


RETENTION_INTERVAL_S = 3600.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers a loopback collector answers; anything else is DNS rebinding."""
    names = {host.lower(), "localhost", "127.0.0.1", "[::1]"}
    if ":" in host and not host.startswith("["):
        names.add(f"[{host.lower()}]")
    with_port = {f"{name}:{port}" for name in names}
    return frozenset(with_port | names if port == 80 else with_port)


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise StartError(
            f"refusing to listen on {host} without a token: anyone who can reach this machine could read"
            " your agents' prompts and files. Set --token or CLAUDE_WATCH_TOKEN, or use 127.0.0.1."
        )


class Collector:
    def __init__(self, config: CollectorConfig, clock: Clock = now_ms) -> None:
        self.config = config
        self.clock = clock
        self.store: Store | None = None
        self.ingestor: Ingestor | None = None
        self.drainer: SpoolDrainer | None = None
        self._runner: web.AppRunner | None = None
        self._retention_task: asyncio.Task | None = None
        self._trim_task: asyncio.Task | None = None
        self.address: str | None = None
        self.server_error: str | None = None

    @property
    def db_path(self) -> Path:
        from claude_watch.paths import default_db_path

        return self.config.db_path or default_db_path()

    async def open_store(self) -> None:
        if self.store is None:
            try:
                store = await Store.open(self.db_path, clock=self.clock, busy_timeout_ms=self.config.busy_timeout_ms)
            except StoreError as error:
                raise StartError(str(error)) from None
            self.adopt_store(store)

    def adopt_store(self, store: Store) -> None:
        """Ingest into `store`, opened elsewhere (the monitor opens one for its first screen
        while this collector is being built); from here on `stop()` closes it."""
        if self.store is None:
            self.store = store
            self.ingestor = Ingestor(store, clock=self.clock)

    async def start(self) -> None:
        """Open the store, drain the spool, then listen. Raises StartError with a clear message."""
        check_bind(self.config.host, self.config.token)
        await self.open_store()
        assert self.ingestor is not None
        self.drainer = SpoolDrainer(
            self.config.spool_dir or default_spool_dir(), self.ingestor, interval_s=self.config.spool_interval_s
        )
        if self.config.serve_http:
            await self._listen()
        await self.drainer.drain_once()
        self.drainer.start()
        self._trim_task = asyncio.create_task(self._trim_forever(), name="claude-watch-trim")
        if self.config.retain_ms is not None:
            await self._prune_once(self.config.retain_ms)
            self._retention_task = asyncio.create_task(self._retain_forever(self.config.retain_ms), name="claude-watch-retention")

    async def _trim_forever(self) -> None:
        while True:
            await asyncio.sleep(TRIM_EVERY_S)
            release_memory()

    async def _prune_once(self, retain_ms: int) -> None:
        assert self.store is not None
        try:
            deleted = await self.store.prune(self.clock() - retain_ms)
        except Exception as error:  # a failed prune must never stop the collector
            log.error("retention: cannot delete old events: %s", error)
            return
        if deleted:
            log.info("retention: deleted %d events older than %s", deleted, _age(retain_ms))

    async def _retain_forever(self, retain_ms: int) -> None:
        while True:
            await asyncio.sleep(RETENTION_INTERVAL_S)
            await self._prune_once(retain_ms)

    async def _listen(self) -> None:
        assert self.ingestor is not None
        host, port = self.config.host, self.config.port
        # Filled in once bound: with port 0 the port is not known before.
        allowed: set[str] | None = set() if is_loopback(host) else None
        app = make_app(self.ingestor, self.health, token=self.config.token, allowed_hosts=allowed)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            self.server_error = _describe_bind_error(error, host, port)
            raise StartError(self.server_error) from None
        self._runner = runner
        bound_port = _bound_port(runner, port)
        if allowed is not None:
            allowed.update(loopback_hosts(host, bound_port))
        shown_host = f"[{host}]" if ":" in host else host
        self.address = f"http://{shown_host}:{bound_port}"

    async def health(self) -> dict[str, Any]:
        assert self.store is not None and self.ingestor is not None
        try:
            total = await self.store.total_events()
        except sqlite3.Error as error:
            report = health_report(self.ingestor, None, self.spool_backlog())
            report["status"] = "degraded"
            report["read_error"] = describe_error(error)
            return report
        return health_report(self.ingestor, total, self.spool_backlog())

    def spool_backlog(self) -> int:
        return self.drainer.backlog() if self.drainer is not None else 0

    async def stop(self) -> None:
        """Stop accepting, let in-flight requests finish, commit what is queued, close."""
        for task in (self._retention_task, self._trim_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._retention_task = self._trim_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.drainer is not None:
            await self.drainer.stop()
        if self.store is not None:
            await self.store.close()
            self.store = None


def _age(ms: int) -> str:
    days, rest = divmod(ms, 86_400_000)
    return f"{days}d" if days and not rest else f"{ms // 60_000}m"


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested


def _describe_bind_error(error: OSError, host: str, port: int) -> str:
    import errno

    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use (another claude-watch?); choose another with --port"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"not allowed to listen on {host}:{port}; use a port above 1023"
    if error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        return f"cannot listen on {host}: no such address on this machine"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"

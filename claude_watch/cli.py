"""Command-line entry: `claude-watch` (the monitor), `serve`, `export`, `hooks`, `prune`.

A user's mistake ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from claude_watch import __version__
from claude_watch.config import DEFAULT_HOST, DEFAULT_PORT, CollectorConfig
from claude_watch.memory import tune_allocator
from claude_watch.paths import default_db_path
from claude_watch.timeparse import BadTime, parse_time

# The server, the store and export are imported by the commands that use them: the monitor
# should be on screen before aiohttp is loaded.
EXPORT_FORMATS = ("json", "ndjson")

log = logging.getLogger("claude_watch")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, not {port}")
    return port


def _default_port() -> int:
    env = os.environ.get("CLAUDE_WATCH_PORT")
    if not env:
        return DEFAULT_PORT
    try:
        return _port(env)
    except argparse.ArgumentTypeError as error:
        raise UserError(f"CLAUDE_WATCH_PORT: {error}") from None


def _add_collector_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s)")
    parser.add_argument(
        "--port", type=_port, default=None, help=f"port to listen on; 0 picks a free one (default $CLAUDE_WATCH_PORT or {DEFAULT_PORT})"
    )
    _add_db_option(parser)
    parser.add_argument(
        "--token", default=None, help="bearer token every request must carry (default $CLAUDE_WATCH_TOKEN); required off loopback"
    )
    parser.add_argument(
        "--retain", type=_duration, default=None, metavar="AGE",
        help="delete events older than AGE (e.g. 30d) at start and hourly; default: keep everything",
    )


def _duration(text: str) -> int:
    """An age such as 30d, 12h or 90m, in milliseconds."""
    try:
        ago = parse_time(text, 0)
    except BadTime:
        ago = 1
    if ago >= 0 or not text.strip()[-1:].isalpha():
        raise argparse.ArgumentTypeError(f"not an age: {text!r} (use e.g. 30d, 12h, 90m)")
    return -ago


def _add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, help=f"database file (default $CLAUDE_WATCH_DB or {default_db_path()})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claude-watch",
        description="Watch what your Claude Code agents are doing, live. With no command, opens the monitor.",
    )
    parser.add_argument("--version", action="version", version=f"claude-watch {__version__}")
    _add_collector_options(parser)
    parser.add_argument("--demo", action="store_true", help="play realistic sample traffic (into a throwaway database unless --db)")
    parser.set_defaults(func=run_monitor)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the collector without a screen", description="Run the collector without a screen.")
    _add_collector_options(serve)
    serve.add_argument("-v", "--verbose", action="store_true", help="log every event to stderr")
    serve.set_defaults(func=run_serve)

    export = commands.add_parser(
        "export",
        help="write matching events as JSON or NDJSON",
        description="Write matching events, oldest first, as JSON (one array) or NDJSON (one object a line).",
    )
    _add_db_option(export)
    export.add_argument("--project", help="only this project")
    export.add_argument("--session", help="only this session id")
    export.add_argument("--event-type", action="append", default=[], help="only this event type (repeatable)")
    export.add_argument("--tool", action="append", default=[], help="only this tool (repeatable)")
    export.add_argument("-q", "--query", help="only events whose summary or payload has these words")
    export.add_argument("--since", help="from this time: ISO 8601 or an age such as 30m, 2h, 7d")
    export.add_argument("--until", help="before this time: ISO 8601 or an age")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="json", help="json (default) or ndjson")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    export.set_defaults(func=run_export)

    prune = commands.add_parser(
        "prune",
        help="delete old events (only when you ask)",
        description="Delete events older than an age; nothing is ever deleted otherwise.",
    )
    _add_db_option(prune)
    prune.add_argument("--older-than", type=_duration, required=True, metavar="AGE", help="e.g. 30d, 12h")
    prune.add_argument("--vacuum", action="store_true", help="give the freed space back to the file system")
    prune.set_defaults(func=run_prune)

    from claude_watch import hooks_install

    hooks_install.add_parser(commands)
    return parser


def _config(args: argparse.Namespace) -> CollectorConfig:
    return CollectorConfig(
        host=args.host,
        port=args.port if args.port is not None else _default_port(),
        db_path=args.db or default_db_path(),
        token=args.token or os.environ.get("CLAUDE_WATCH_TOKEN") or None,
        retain_ms=args.retain,
    )


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("aiohttp").setLevel(logging.WARNING)


# -- serve ----------------------------------------------------------------------------------------


def run_serve(args: argparse.Namespace) -> int:
    _setup_logging(args.verbose)
    return asyncio.run(_serve(_config(args), args.verbose))


async def _serve(config: CollectorConfig, verbose: bool) -> int:
    from claude_watch.collector import Collector, StartError

    collector = Collector(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await collector.start()
    except StartError as error:
        await collector.stop()
        raise UserError(str(error)) from None
    assert collector.store is not None
    if verbose:
        collector.store.subscribe(_log_events)
    print(collector.address, flush=True)
    log.info("claude-watch %s collecting at %s into %s", __version__, collector.address, collector.db_path)
    await stop.wait()
    log.info("stopping: no new requests; committing what is queued")
    await collector.stop()
    log.info("stopped")
    return EXIT_OK


def _log_events(events: list) -> None:
    for event in events:
        log.info("%s %s %s %s", event.project, event.session_id[:8], event.event_type, event.summary[:120])


# -- export ---------------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    db_path = (args.db or default_db_path()).expanduser()
    if not db_path.exists():
        raise UserError(f"no database at {db_path} (nothing collected yet, or pass --db)")
    from claude_watch.clock import now_ms
    from claude_watch.store import EventFilter

    now = now_ms()
    try:
        flt = EventFilter(
            project=args.project,
            session_id=args.session,
            event_types=tuple(args.event_type),
            tools=tuple(args.tool),
            since=parse_time(args.since, now) if args.since else None,
            until=parse_time(args.until, now) if args.until else None,
            text=args.query,
        )
    except BadTime as error:
        raise UserError(str(error)) from None
    return asyncio.run(_export(db_path, flt, args.output, args.format))


async def _export(db_path: Path, flt, output: str | None, fmt: str) -> int:
    from claude_watch.export import export_events
    from claude_watch.store import Store, StoreError

    try:
        store = await Store.open(db_path, indexing=False)
    except StoreError as error:
        raise UserError(str(error)) from None
    try:
        count = await export_events(store, flt, output, fmt)
    except BrokenPipeError:
        raise  # `export | head`: main() ends quietly
    except OSError as error:
        raise UserError(f"cannot write {output}: {error.strerror or error}") from None
    finally:
        await store.close()
    if output and output != "-":
        print(f"exported {count} events to {output}", file=sys.stderr)
    return EXIT_OK


# -- prune ----------------------------------------------------------------------------------------


def run_prune(args: argparse.Namespace) -> int:
    db_path = (args.db or default_db_path()).expanduser()
    if not db_path.exists():
        raise UserError(f"no database at {db_path} (pass --db)")
    return asyncio.run(_prune(db_path, args.older_than, args.vacuum))


async def _prune(db_path: Path, older_than_ms: int, vacuum: bool) -> int:
    from claude_watch.clock import now_ms
    from claude_watch.store import Store, StoreError

    try:
        store = await Store.open(db_path)
    except StoreError as error:
        raise UserError(str(error)) from None
    try:
        deleted = await store.prune(now_ms() - older_than_ms, vacuum=vacuum)
    except Exception as error:
        raise UserError(f"cannot prune {db_path}: {error}") from None
    finally:
        await store.close()
    print(f"deleted {deleted} events from {db_path}" + (" and vacuumed" if vacuum else ""), file=sys.stderr)
    return EXIT_OK


# -- the monitor ----------------------------------------------------------------------------------


def run_monitor(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.demo:
        if args.db is None:
            config.db_path = Path(tempfile.mkdtemp(prefix="claude-watch-demo-")) / "demo.db"
        if args.port is None:
            config.port = 0  # never collide with a real collector
        config.spool_dir = Path(tempfile.mkdtemp(prefix="claude-watch-demo-spool-"))
    from claude_watch.tui.app import run_tui

    return run_tui(config, demo=args.demo)


def main(argv: list[str] | None = None) -> int:
    # Before SQLite's threads, the HTTP server or the screen allocate anything (see memory.py).
    tune_allocator()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return args.func(args)
    except UserError as error:
        print(f"claude-watch: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `claude-watch export | head`: the reader left; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK

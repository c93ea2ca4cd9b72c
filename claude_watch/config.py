"""What a collector is asked to do: a plain value, cheap to import (no aiohttp, no SQLite), so
the command line and the monitor can read options before loading the server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4820


@dataclass
class CollectorConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db_path: Path | None = None
    token: str | None = None
    spool_dir: Path | None = None
    spool_interval_s: float = 2.0
    serve_http: bool = True
    # Delete events older than this (ms) at start and every hour; None keeps everything.
    retain_ms: int | None = None
    busy_timeout_ms: int = 5000

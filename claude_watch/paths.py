"""Where claude-watch keeps its data, and making those places private to the user."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "claude-watch"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    override = os.environ.get("CLAUDE_WATCH_DB")
    return Path(override).expanduser() if override else data_dir() / "events.db"


def default_spool_dir() -> Path:
    override = os.environ.get("CLAUDE_WATCH_SPOOL")
    return Path(override).expanduser() if override else data_dir() / "spool"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only: it holds prompts and file contents."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path

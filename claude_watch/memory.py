"""Giving freed heap back to the system, so a long-running collector's memory stays flat.

Python's own objects stay flat under load, but SQLite's work (search doclists, page caches,
large payloads) allocates and frees tens of MB in aiosqlite's threads, each with its own glibc
arena; glibc keeps those pages, so RSS climbs in steps that never come back down.
`malloc_trim(0)` returns them. Where there is no glibc (macOS, musl) this does nothing.
"""

from __future__ import annotations

import time
from typing import Any

TRIM_EVERY_S = 30.0

_malloc_trim: Any = None


def release_memory() -> float:
    """`malloc_trim(0)` where available; returns the seconds it took (0.0 where unavailable)."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL(None).malloc_trim
            _malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            pass
    if not _malloc_trim:
        return 0.0
    started = time.perf_counter()
    _malloc_trim(0)
    return time.perf_counter() - started

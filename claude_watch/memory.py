"""Keeping a long-running collector's memory flat on glibc.

Python's own objects stay flat under load, but SQLite's work (search doclists, page caches,
large payloads), export batches and the monitor's rendering allocate and free megabytes at a
time, in several threads, each with its own glibc arena. Two things keep glibc from holding on
to that memory:

- A fixed mmap threshold (`tune_allocator`, called first thing by the CLI's `main`). By
  default glibc serves blocks of 128 KiB and more with a mapping of their own, returned to the
  system on free, but each time such a block is freed it raises the threshold to that block's
  size (up to 32 MiB): from then on multi-MiB buffers come out of the arenas and their pages
  stay there, fragmented. Measured in the monitor's 10-minute soak: glibc's free-but-kept
  memory grew 5 -> 20 MiB with the default, and stayed at 4-6 MiB with the threshold fixed at
  128 KiB (bench/memprobe.py).
- `malloc_trim(0)` every TRIM_EVERY_S (`release_memory`, run by the collector), which hands back
  the free pages inside the arenas.

Where there is no glibc (macOS, musl) both do nothing.
"""

from __future__ import annotations

import time
from typing import Any

TRIM_EVERY_S = 30.0
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept from moving
_M_MMAP_THRESHOLD = -3  # mallopt parameter numbers from glibc's malloc.h

_libc: Any = None
_tuned = False


def _glibc() -> Any:
    """libc when it has glibc's malloc_trim and mallopt, else False."""
    global _libc
    if _libc is None:
        _libc = False
        try:
            import ctypes

            libc = ctypes.CDLL(None)
            libc.malloc_trim.argtypes = [ctypes.c_size_t]
            libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            _libc = libc
        except (OSError, AttributeError):
            pass
    return _libc


def tune_allocator() -> bool:
    """Fix glibc's mmap threshold at MMAP_THRESHOLD; True when it was set (once per process)."""
    global _tuned
    libc = _glibc()
    if libc and not _tuned:
        _tuned = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    return _tuned


def release_memory() -> float:
    """`malloc_trim(0)` where available; returns the seconds it took (0.0 where unavailable)."""
    libc = _glibc()
    if not libc:
        return 0.0
    started = time.perf_counter()
    libc.malloc_trim(0)
    return time.perf_counter() - started

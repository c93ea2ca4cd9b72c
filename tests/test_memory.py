"""The allocator settings that keep a long-running collector's memory flat (claude_watch/memory.py)."""

from __future__ import annotations

import ctypes
import platform
import subprocess
import sys

import pytest

from claude_watch import memory


def _has_glibc() -> bool:
    return platform.libc_ver()[0] == "glibc" and hasattr(ctypes.CDLL(None), "mallopt")


def test_release_memory_reports_how_long_it_took() -> None:
    seconds = memory.release_memory()
    assert 0.0 <= seconds < 5.0
    if not _has_glibc():
        assert seconds == 0.0


# Run in a fresh interpreter: in a long-lived one the arena may have room for the block already,
# and glibc serves it from there whatever the threshold.
_PROBE = """
import ctypes, sys
from claude_watch import memory
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "tuned":
    assert memory.tune_allocator() and memory.tune_allocator()
libc.free(libc.malloc(4 * 1024 * 1024))  # untuned, this raises glibc's threshold to 4 MiB
before = libc.mallinfo2().hblkhd
block = libc.malloc(1024 * 1024)
mapped = libc.mallinfo2().hblkhd - before
libc.free(block)
print(mapped, libc.mallinfo2().hblkhd - before)
"""


@pytest.mark.skipif(not _has_glibc() or not hasattr(ctypes.CDLL(None), "mallinfo2"), reason="glibc 2.33's")
def test_tune_allocator_keeps_big_blocks_in_mappings_of_their_own() -> None:
    def run(mode: str) -> tuple[int, int]:
        done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True)
        mapped, left = done.stdout.split()
        return int(mapped), int(left)

    # Left to itself, glibc serves the 1 MiB block from the arena, where its pages stay when freed.
    assert run("default")[0] == 0
    # With the threshold fixed it gets a mapping of its own, handed back to the system on free.
    mapped, left = run("tuned")
    assert mapped >= 1024 * 1024
    assert left == 0

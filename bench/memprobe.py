"""Run claude-watch with memory probes: where does a long-running process's RSS go?

    CW_PROBE_OUT=/tmp/probe.jsonl .venv/bin/python bench/memprobe.py --port 4821 --db /tmp/x.db
    kill -USR1 <pid>        # one sample now (also every CW_PROBE_EVERY seconds, default 10)

Arguments are `claude-watch`'s own (no subcommand: the monitor; `serve ...` works too).
`bench/soak.py --probe` starts the process under test through this script.

Each sample (one JSON line in CW_PROBE_OUT) holds: RSS and its anonymous/file parts
(/proc/self/status, smaps_rollup); glibc's heap (mallinfo2: bytes in use, free but kept, mmapped;
arena count from malloc_info); SQLite's own allocator (sqlite3_memory_used/highwater) and, per
open connection, its page cache and lookaside memory (sqlite3_db_status); Python's heap
(sys.getallocatedblocks, gc object counts by type, the biggest growers, functools.lru_cache and
Textual cache fill, gc collections); resident memory by kind of mapping (/proc/self/smaps).
With CW_PROBE_TRACEMALLOC=N (frames, e.g. 1) tracemalloc runs from the start: with
CW_PROBE_DUMP_DIR snapshots go to disk for offline diffs (what `soak.py --tracemalloc` uses),
without it each sample lists the sites grown since the first and the previous sample, which costs
the process seconds per sample. Either way tracemalloc slows the process and adds its own memory:
use it to find Python-level growth, not to measure RSS.

Found with it (2026-11-27): Textual's Footer keeping every FooterKey it ever showed
(Textualize/textual#6666), DataTable render caches holding dead cells, glibc's moving mmap
threshold; and that the TUI soak's typed filters were exporting the database.

Environment:
  CW_PROBE_OUT           where samples go (default: stderr, which a TUI hides)
  CW_PROBE_EVERY         seconds between automatic samples (0: only on SIGUSR1; default 10)
  CW_PROBE_TRACEMALLOC   frames to keep with tracemalloc (unset: off)
  CW_PROBE_TOP           how many allocation sites / types to list (default 15)
  CW_PROBE_PEAK_MIB      with tracemalloc: watch traced memory every 20 ms and, when it rises
                         this many MiB over the last sample, record what holds it right then
                         (transient peaks that are freed before the next sample)
  CW_PROBE_DUMP_DIR      with tracemalloc: also dump every CW_PROBE_DUMP_EVERY-th sample's snapshot
                         there (snap-<seconds>.tracemalloc) for Snapshot.load and offline diffs
  CW_PROBE_NO_TRIM       set: replace claude_watch.memory.release_memory with a no-op (A/B)
"""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import gc
import json
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import tracemalloc
from pathlib import Path

OUT = os.environ.get("CW_PROBE_OUT")
EVERY = float(os.environ.get("CW_PROBE_EVERY", "10"))
FRAMES = os.environ.get("CW_PROBE_TRACEMALLOC")
TOP = int(os.environ.get("CW_PROBE_TOP", "15"))
STARTED = time.monotonic()

_libc = ctypes.CDLL(None)
_lock = threading.Lock()


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _sqlite_lib():
    """The libsqlite3 the sqlite3 module uses (dlopen hands back the already loaded copy)."""
    import _sqlite3

    for line in Path("/proc/self/maps").read_text().splitlines():
        if "libsqlite3" in line:
            return ctypes.CDLL(line.split()[-1])
    return ctypes.CDLL(_sqlite3.__file__)  # statically linked


try:
    _sqlite = _sqlite_lib()
    _sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    _sqlite.sqlite3_memory_highwater.restype = ctypes.c_int64
    _sqlite.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
    _sqlite.sqlite3_db_status.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                                          ctypes.POINTER(ctypes.c_int), ctypes.c_int]
except (OSError, AttributeError):
    _sqlite = None

# Not SCHEMA_USED (2) or STMT_USED (3): to measure, SQLite walks the connection's schema and
# statements in a "count, do not free" mode, and when that runs from this thread while the writer's
# thread uses the connection, the writer now and then gets "bad parameter or other API misuse"
# (seen as 503s in two probed soaks; 2 in 20 s in a two-thread test, none without them).
_DBSTATUS = {"cache_used": 1, "lookaside_used": 0}


def _kib_fields(path: str, names: tuple[str, ...]) -> dict[str, int]:
    out = {}
    try:
        for line in Path(path).read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in names:
                out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


_MAPPING = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def smaps_by_kind() -> dict[str, int]:
    """Resident KiB by kind of mapping (/proc/self/smaps): glibc's main heap ([heap]) and its
    per-thread arenas (64 MiB-aligned anonymous heaps), thread stacks, other anonymous memory
    (pymalloc's 1 MiB arenas and malloc's mmapped big chunks, which the kernel merges into the
    same mappings: mallinfo's `mmapped` tells the second apart), files by name."""
    kinds: collections.Counter = collections.Counter()
    kind = None
    try:
        text = Path("/proc/self/smaps").read_text()
    except OSError:
        return {}
    guard_end = -1  # end of the last PROT_NONE page: a thread stack sits right above its guard
    for line in text.splitlines():
        match = _MAPPING.match(line)
        if match:
            start, end, perms, name = int(match[1], 16), int(match[2], 16), match[3], match[4].strip()
            after_guard, guard_end = start == guard_end, (end if perms.startswith("---") else -1)
            size_kib = (end - start) // 1024
            if name == "[heap]":
                kind = "heap(main arena)"
            elif name.startswith("["):
                kind = name
            elif name:
                base = os.path.basename(name)
                kind = "file:" + ("python+libs" if not any(k in base for k in ("sqlite", ".db", "-shm", "-wal"))
                                  else base)
            elif start % (64 << 20) == 0 and "w" in perms:
                kind = "glibc thread arenas"
            elif after_guard and size_kib <= 8192 and "w" in perms and not start % (64 << 20) == 0:
                kind = "thread stacks"
            else:  # the kernel merges neighbours: pymalloc's 1 MiB arenas and big malloc chunks
                kind = "anon other (pymalloc + mmapped chunks)"
        elif line.startswith("Rss:") and kind is not None:
            kinds[kind] += int(line.split()[1])
    return {k: v for k, v in kinds.most_common() if v}


def _arenas() -> int | None:
    """How many malloc arenas exist (malloc_info's XML, one <heap> each)."""
    try:
        size = ctypes.c_size_t()
        buf = ctypes.c_char_p()
        libc = _libc
        libc.open_memstream.restype = ctypes.c_void_p
        libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)]
        libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.fclose.argtypes = [ctypes.c_void_p]
        stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        text = ctypes.string_at(buf, size.value).decode()
        libc.free.argtypes = [ctypes.c_void_p]
        libc.free(ctypes.cast(buf, ctypes.c_void_p))
        return len(re.findall(r"<heap nr=", text))
    except Exception:
        return None


def _lru_caches() -> dict[str, list[int]]:
    """functools.lru_cache'd functions in rich, textual and claude_watch: [entries, maxsize]."""
    out = {}
    seen: set[int] = set()
    for name, module in list(sys.modules.items()):
        if not name.startswith(("rich", "textual", "claude_watch")) or module is None:
            continue
        candidates = list(vars(module).items())
        for attr, value in list(candidates):
            if isinstance(value, type) and value.__module__ == name:
                candidates += [(f"{attr}.{k}", getattr(v, "__func__", v)) for k, v in vars(value).items()]
        for attr, value in candidates:
            info = getattr(value, "cache_info", None)
            if callable(info) and id(value) not in seen:
                seen.add(id(value))
                try:
                    stats = info()
                except Exception:
                    continue
                if stats.currsize:
                    out[f"{name}.{attr}"] = [stats.currsize, stats.maxsize]
    return out


def _widget_caches() -> dict[str, list[int]]:
    """Textual's own LRUCache/FIFOCache objects, grouped by maxsize: [caches, entries]."""
    out: dict[str, list[int]] = {}
    for obj in gc.get_objects():
        kind = type(obj).__name__
        if kind in ("LRUCache", "FIFOCache") and type(obj).__module__.startswith("textual"):
            try:
                size, maxsize = len(obj), obj.maxsize if hasattr(obj, "maxsize") else obj._maxsize
            except Exception:
                continue
            entry = out.setdefault(f"{kind}({maxsize})", [0, 0])
            entry[0] += 1
            entry[1] += size
    return out


def _connections() -> list[dict]:
    """Every open sqlite3.Connection: SQLite's memory for it (sqlite3_db_status)."""
    if _sqlite is None:
        return []
    out = []
    for obj in gc.get_objects():
        if type(obj) is not sqlite3.Connection:
            continue
        try:
            obj.total_changes  # raises on a closed connection
        except sqlite3.ProgrammingError:
            continue
        # CPython 3.11 pysqlite_Connection: PyObject_HEAD, then `sqlite3 *db`.
        db = ctypes.c_void_p.from_address(id(obj) + object.__basicsize__).value
        entry = {}
        for name, op in _DBSTATUS.items():
            cur, high = ctypes.c_int(), ctypes.c_int()
            if _sqlite.sqlite3_db_status(db, op, ctypes.byref(cur), ctypes.byref(high), 0) == 0:
                entry[name] = cur.value
        out.append(entry)
    return out


_first: tracemalloc.Snapshot | None = None
_previous: tracemalloc.Snapshot | None = None
_first_types: collections.Counter | None = None
_previous_total = 0


def _top(diff: list, n: int) -> list[str]:
    return [f"{s.size_diff / 1024:+.1f} KiB {s.count_diff:+d} blocks  {s.traceback.format()[-1].strip()}"
            if len(s.traceback) == 1 else
            f"{s.size_diff / 1024:+.1f} KiB {s.count_diff:+d} blocks  " + " <- ".join(
                line.strip() for line in reversed(s.traceback.format()) if not line.startswith("    "))
            for s in diff[:n]]


def sample(reason: str) -> dict:
    global _first, _previous, _first_types, _previous_total, _samples_taken
    with _lock:
        status = _kib_fields("/proc/self/status", ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM", "Threads"))
        rollup = _kib_fields("/proc/self/smaps_rollup", ("Rss", "Anonymous", "Private_Dirty", "Shared_Clean",
                                                         "Private_Clean"))
        info = {"t": round(time.monotonic() - STARTED, 1), "reason": reason,
                "rss_kib": status.get("VmRSS"), "rss_anon_kib": status.get("RssAnon"),
                "rss_file_kib": status.get("RssFile"), "rss_shmem_kib": status.get("RssShmem"),
                "hwm_kib": status.get("VmHWM"), "threads": status.get("Threads"),
                "smaps_rollup_kib": rollup}
        try:
            _libc.mallinfo2.restype = _MallInfo2
            m = _libc.mallinfo2()
            info["malloc_kib"] = {"in_use": m.uordblks // 1024, "free_kept": m.fordblks // 1024,
                                  "mmapped": m.hblkhd // 1024, "arena_total": m.arena // 1024,
                                  "top_releasable": m.keepcost // 1024}
        except AttributeError:
            pass
        info["malloc_arenas"] = _arenas()
        info["smaps_kib"] = smaps_by_kind()
        if _sqlite is not None:
            info["sqlite_kib"] = {"used": _sqlite.sqlite3_memory_used() // 1024,
                                  "highwater": _sqlite.sqlite3_memory_highwater(0) // 1024}
            info["sqlite_connections"] = _connections()
        info["py_blocks"] = sys.getallocatedblocks()
        info["gc_counts"] = gc.get_count()
        info["gc_stats"] = [[g["collections"], g["collected"]] for g in gc.get_stats()]
        info["lru_caches"] = _lru_caches()
        types = collections.Counter() if DUMP_DIR else collections.Counter(type(o).__name__ for o in gc.get_objects())
        info["textual_caches"] = {} if DUMP_DIR else _widget_caches()
        info["gc_objects"] = sum(types.values())
        if _first_types is None:
            _first_types = types
        grown = (types - _first_types).most_common(TOP)
        info["gc_types_grown_since_first"] = grown
        if tracemalloc.is_tracing() and DUMP_DIR:
            # Snapshots to disk, compared offline: comparing here costs seconds of the app's CPU.
            current, peak = tracemalloc.get_traced_memory()
            info["traced_kib"] = {"current": current // 1024, "peak": peak // 1024}
            if _samples_taken % DUMP_EVERY == 0:
                tracemalloc.take_snapshot().dump(os.path.join(DUMP_DIR, f"snap-{info['t']:07.1f}.tracemalloc"))
            _samples_taken += 1
        elif tracemalloc.is_tracing():
            snap = tracemalloc.take_snapshot().filter_traces([
                tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)])
            current, peak = tracemalloc.get_traced_memory()
            info["traced_kib"] = {"current": current // 1024, "peak": peak // 1024}
            key = "lineno"  # cheap enough for every sample; peaks get whole tracebacks
            if _first is None:
                _first = snap
            info["traced_top_since_first"] = _top(snap.compare_to(_first, key), TOP)
            if _previous is not None:
                info["traced_top_since_previous"] = _top(snap.compare_to(_previous, key), TOP)
            _previous = snap
            _previous_total = current
        line = json.dumps(info)
        if OUT:
            with open(OUT, "a") as f:
                f.write(line + "\n")
        else:
            print(line, file=sys.stderr, flush=True)
        return info


DUMP_DIR = os.environ.get("CW_PROBE_DUMP_DIR")
DUMP_EVERY = int(os.environ.get("CW_PROBE_DUMP_EVERY", "6"))
_samples_taken = 0
_PEAK_MIB = float(os.environ.get("CW_PROBE_PEAK_MIB", "0"))


def _watch_peaks() -> None:
    """Catch transient growth in the act: a snapshot when traced memory jumps."""
    while True:
        time.sleep(0.02)
        if _previous is None:
            continue
        current, _ = tracemalloc.get_traced_memory()
        base = _previous_total
        if current - base > _PEAK_MIB * (1 << 20):
            with _lock:
                snap = tracemalloc.take_snapshot()
                key = "traceback" if int(FRAMES or 1) > 1 else "lineno"
                info = {"t": round(time.monotonic() - STARTED, 1), "reason": "peak",
                        "traced_over_previous_kib": (current - base) // 1024,
                        "rss_kib": _kib_fields("/proc/self/status", ("VmRSS",)).get("VmRSS"),
                        "peak_top": _top(snap.compare_to(_previous, key), TOP)}
                with open(OUT or "/dev/stderr", "a") as f:
                    f.write(json.dumps(info) + "\n")
            time.sleep(1.0)


def _on_signal(signum, frame) -> None:
    # In the main thread between two bytecodes: sample in a thread so the handler returns
    # at once (the GIL still makes the snapshot consistent enough for our purpose).
    threading.Thread(target=sample, args=("signal",), daemon=True).start()


def _every() -> None:
    while True:
        time.sleep(EVERY)
        try:
            sample("timer")
        except Exception as error:  # a probe must never take the process down
            print(f"memprobe: {error!r}", file=sys.stderr)


def main() -> int:
    if FRAMES:
        tracemalloc.start(int(FRAMES))
    if os.environ.get("CW_PROBE_NO_TRIM"):
        import claude_watch.collector
        import claude_watch.memory

        claude_watch.memory.release_memory = lambda: 0.0
        claude_watch.collector.release_memory = lambda: 0.0
    signal.signal(signal.SIGUSR1, _on_signal)
    if FRAMES and _PEAK_MIB > 0:
        threading.Thread(target=_watch_peaks, daemon=True, name="memprobe-peaks").start()
    if EVERY > 0:
        threading.Thread(target=_every, daemon=True, name="memprobe").start()
    from claude_watch.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

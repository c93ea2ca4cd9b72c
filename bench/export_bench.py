"""Export throughput and memory: `claude-watch export --format ndjson` on databases of different sizes.

    .venv/bin/python bench/build_db.py --events 100000 --out bench/data/100k.db   # once
    .venv/bin/python bench/export_bench.py                       # bench/data/100k.db and 1m.db
    .venv/bin/python bench/export_bench.py --db bench/data/1m.db --repeat 3 --format json
    .venv/bin/python bench/export_bench.py --filter "--project webshop" --filter "-q src"
    .venv/bin/python bench/export_bench.py --cmd "env PYTHONPATH=/tmp/old .venv/bin/python -P -m claude_watch"

`--cmd` (repeatable) runs another command in place of `.venv/bin/claude-watch`, e.g. an older
checkout of `claude_watch/` (`git archive HEAD claude_watch | tar -x -C /tmp/old`; `-P` keeps
the working tree off sys.path): every command runs in each round, so an A/B shares the load.

Each run is the real CLI under `/usr/bin/time -v`: events/s = exported lines / wall time, and the
maximum RSS of the process. Flat memory means the 100k and 1M figures are about equal.
The output goes to bench/data/export-bench.out (removed afterwards unless --keep).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLAUDE_WATCH = HERE.parent / ".venv" / "bin" / "claude-watch"


def _wall_seconds(text: str) -> float:
    value = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = 0.0
    for part in value.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def export_once(db: Path, fmt: str, extra: list[str], out: Path, command: str | None = None) -> dict:
    program = shlex.split(command) if command else [str(CLAUDE_WATCH)]
    cmd = ["/usr/bin/time", "-v", *program, "export", "--db", str(db), "--format", fmt, "-o", str(out), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"export failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    count = int(re.search(r"exported (\d+) events", proc.stderr).group(1))
    wall = _wall_seconds(proc.stderr)
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    user = float(re.search(r"User time \(seconds\): (\S+)", proc.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", proc.stderr).group(1))
    return {
        "cmd": command or "claude-watch", "db": db.name, "format": fmt, "filter": " ".join(extra) or None, "events": count,
        "wall_s": round(wall, 2), "events_per_s": round(count / wall) if wall else None,
        "cpu_pct": round(100 * (user + system) / wall) if wall else None,
        "max_rss_mib": round(rss_kib / 1024, 1), "out_mib": round(out.stat().st_size / 2**20),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, action="append", help="database(s) to export (default: data/100k.db, data/1m.db)")
    parser.add_argument("--format", choices=["ndjson", "json"], default="ndjson")
    parser.add_argument("--filter", action="append", default=[], help='extra export options, e.g. "--project webshop"')
    parser.add_argument("--cmd", action="append", help="command to run in place of .venv/bin/claude-watch (repeatable: A/B)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    dbs = args.db or [HERE / "data" / "100k.db", HERE / "data" / "1m.db"]
    out = HERE / "data" / "export-bench.out"
    filters = [shlex.split(f) for f in args.filter] or [[]]
    for _ in range(args.repeat):
        for db in dbs:
            if not db.exists():
                raise SystemExit(f"no database at {db}: run bench/build_db.py first")
            for extra in filters:
                for command in args.cmd or [None]:
                    print(json.dumps(export_once(db, args.format, extra, out, command)), flush=True)
    if not args.keep:
        out.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast can SQLite itself take events here? The floor under `POST /events`.

    .venv/bin/python bench/insert_floor.py            # 20,000 generated events, batches of 500

Measures, per event, on realistic bodies (bench/build_db.py's generator): `normalise`; a plain
`executemany` INSERT of ready-made rows into the real schema (no dedupe, no summaries, one
transaction per batch); the store's whole `write_batch` (dedupe, ids, summaries, commit); and
the search index. Each figure is one core's work; the batch path cannot beat
1e6 / (insert us/event) events a second however the Python around it is written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from build_db import generate  # noqa: E402

from claude_watch.event import normalise  # noqa: E402
from claude_watch.store import Store  # noqa: E402
from claude_watch.store import store as store_module  # noqa: E402
from claude_watch.store import writer  # noqa: E402
from claude_watch.store.sync_call import run_sync  # noqa: E402

INSERT = (
    "INSERT INTO events (id, event_id, ts, received_at, session_id, event_type, tool_name, tool_use_id,"
    " agent_id, cwd, project, summary, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def plain_insert(db, rows: list[tuple], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(INSERT, rows[start : start + batch])
        db.execute("COMMIT")
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    n = args.events
    bodies = [json.dumps(obj).encode() for _, obj in generate(n, int(time.time() * 1000), n_sessions=max(4, n // 500), seed=7)]
    headers = {"X-Claude-Project-Dir": "/home/dev/code/bench"}

    started = time.perf_counter()
    events = [normalise(body, headers, 1_795_000_000_000) for body in bodies]
    figures = {"normalise": time.perf_counter() - started}

    with tempfile.TemporaryDirectory() as tmp:
        plain = await Store.open(Path(tmp) / "plain.db")
        rows = [(i, e.event_id, e.ts, e.received_at, e.session_id, e.event_type, e.tool_name, e.tool_use_id,
                 e.agent_id, e.cwd, "bench", e.summary, e.payload) for i, e in enumerate(events, start=1)]
        figures["plain INSERT"] = await run_sync(plain._writer, plain_insert, rows, args.batch)
        await plain.close()

        # The store's own loop would index in the gaps between batches: keep it out of this figure.
        store_module.INDEX_LULL_S, store_module.INDEX_BACKLOG_MAX = 3600.0, 10**9
        store = await Store.open(Path(tmp) / "store.db")
        started = time.perf_counter()
        for start in range(0, n, args.batch):
            await store.submit(events[start : start + args.batch])
        figures["Store.submit (whole store write)"] = time.perf_counter() - started
        started = time.perf_counter()
        while await writer.index_chunk(store._writer, 1000):
            pass
        figures["search index"] = time.perf_counter() - started
        await store.close()

    print(f"{n} events, mean body {sum(map(len, bodies)) / n:.0f} B, batches of {args.batch}")
    for name, seconds in figures.items():
        per_event = seconds / n * 1e6
        print(f"  {name:34} {per_event:7.1f} us/event   ({1e6 / per_event:8,.0f} events/s on one core)")


if __name__ == "__main__":
    asyncio.run(main())

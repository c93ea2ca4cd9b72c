"""Stand-ins for `claude-watch serve` that show how fast this machine can go at all.

    .venv/bin/python bench/ingest_load.py --mode single --server-cmd ".venv/bin/python bench/ceiling_serve.py bare"
    .venv/bin/python bench/ingest_load.py --mode single --server-cmd ".venv/bin/python bench/ceiling_serve.py no-store"

`bare`: an aiohttp app that reads each body and answers `{}`: the ceiling for any aiohttp
server on this machine with these bodies. `no-store`: the real collector with `Store.submit`
answering at once without touching SQLite: the ceiling of our HTTP and normalise path.
Both take the same arguments as `claude-watch serve` and print the address the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bare(argv: list[str]) -> int:
    from aiohttp import web

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=b"{}", content_type="application/json")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/event", answer)
    app.router.add_post("/events", answer)
    host = argv[argv.index("--host") + 1] if "--host" in argv else "127.0.0.1"

    async def announce(app: web.Application) -> None:
        port = runner.addresses[0][1]
        print(f"http://{host}:{port}", flush=True)

    runner = web.AppRunner(app, access_log=None)
    import asyncio

    async def main() -> None:
        await runner.setup()
        site = web.TCPSite(runner, host, 0)
        await site.start()
        await announce(app)
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0


def no_store(argv: list[str]) -> int:
    from claude_watch.cli import main
    from claude_watch.store import store

    async def submit(self, events):  # noqa: ANN001 - stands in for Store.submit
        return events

    store.Store.submit = submit
    return main(argv)


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    sys.exit({"bare": bare, "no-store": no_store}[mode](rest))

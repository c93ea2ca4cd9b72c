"""Make the README screenshots: drive the monitor under `run_test` with sample data and a
frozen clock, and save SVGs of the main views.

    .venv/bin/python screenshots/make_screenshots.py            # writes screenshots/*.svg

Data: the two sample sessions in ../shared/samples (or $CLAUDE_WATCH_SAMPLES) plus a few
hand-made events (a session waiting for permission, a failing tool), posted through the real
HTTP path of a collector on a free port, into a throwaway database.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["TZ"] = "UTC"
time.tzset()

import aiohttp  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claude_watch.collector import CollectorConfig  # noqa: E402
from claude_watch.tui.app import ClaudeWatchApp  # noqa: E402
from claude_watch.tui.tables import EventTable, SessionsTable  # noqa: E402

FROZEN_MS = 1764241200000  # 2025-11-27 11:00:00 UTC
SIZE = (160, 45)
SHOWN_ADDRESS = "http://127.0.0.1:4820"
OUT = Path(__file__).resolve().parent
SAMPLES = Path(os.environ.get("CLAUDE_WATCH_SAMPLES", ROOT.parent / "shared" / "samples"))
if not SAMPLES.exists():
    SAMPLES = Path("/work/shared/samples")

EXTRA_SESSION = "5e55a1d0-aaaa-4bbb-8ccc-123456789abc"
EXTRA = [
    {"hook_event_name": "SessionStart", "source": "startup", "model": "claude-sonnet-4-5"},
    {"hook_event_name": "UserPromptSubmit", "prompt": "Bump the API client to v3 and fix the call sites"},
    {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_use_id": "toolu_X1",
     "tool_input": {"command": "pnpm add @acme/api-client@3", "description": "Upgrade client"}},
    {"hook_event_name": "PostToolUseFailure", "tool_name": "Bash", "tool_use_id": "toolu_X1",
     "tool_input": {"command": "pnpm add @acme/api-client@3"}, "error": "ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/@acme%2Fapi-client: Not Found"},
    {"hook_event_name": "PermissionRequest", "tool_name": "WebFetch",
     "tool_input": {"url": "https://docs.acme.dev/api-client/migrating-to-v3"}},
    {"hook_event_name": "Notification", "notification_type": "permission_prompt",
     "message": "Claude needs your permission to use WebFetch"},
]


async def post(address: str, body: dict, ts: int, event_id: str) -> None:
    headers = {"Content-Type": "application/json", "X-Claude-Watch-Time": str(ts),
               "X-Claude-Watch-Event-Id": event_id}
    if body.get("cwd"):
        headers["X-Claude-Project-Dir"] = body["cwd"]
    async with aiohttp.ClientSession() as http:
        async with http.post(address + "/event", data=json.dumps(body), headers=headers) as reply:
            reply.raise_for_status()


async def seed(address: str) -> int:
    lines: list[dict] = []
    for name in ("session-webshop.ndjson", "session-infra-subagent.ndjson"):
        lines += [json.loads(x) for x in (SAMPLES / name).read_text().splitlines() if x.strip()]
    base = {"session_id": EXTRA_SESSION, "cwd": "/home/dev/code/billing-api",
            "transcript_path": f"/home/dev/.claude/projects/-home-dev-code-billing-api/{EXTRA_SESSION}.jsonl"}
    extra = [{**base, **e} for e in EXTRA]
    start = FROZEN_MS - 15 * 60_000
    for i, body in enumerate(lines):  # the samples: a quarter of an hour ago, 20 s apart
        await post(address, body, start + 20_000 * i, f"shot-{i}")
    for i, body in enumerate(extra):  # the waiting session: the last minute
        await post(address, body, FROZEN_MS - 60_000 + 9_000 * i, f"shot-x{i}")
    return len(lines) + len(extra)


async def until(pilot, predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not reach the expected state")
        await pilot.pause(0.05)


def save(app: ClaudeWatchApp, name: str) -> None:
    app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote {OUT / name}.svg")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = CollectorConfig(host="127.0.0.1", port=0, db_path=Path(tmp) / "shots.db",
                                 spool_dir=Path(tmp) / "spool")
        app = ClaudeWatchApp(config, clock=lambda: FROZEN_MS, export_dir=tmp)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.ready)
            total = await seed(app.status.address)
            # The real port is random: show the default one so the pictures do not change.
            app.status.address = SHOWN_ADDRESS
            app.sub_title = SHOWN_ADDRESS
            events = app.query_one(EventTable)
            await until(pilot, lambda: events.row_count == total)
            # Summaries refresh at most once a second: wait for the final counts.
            await until(pilot, lambda: sum(s.events for s in app.query_one(SessionsTable).summaries) == total)
            await pilot.pause(0.3)
            save(app, "overview")

            await pilot.press("2")  # sessions: pick the webshop session
            sessions = app.query_one(SessionsTable)
            row = next(i for i in range(sessions.row_count)
                       if str(sessions.get_row_at(i)[1]) == "webshop")
            sessions.move_cursor(row=row)
            await pilot.press("enter")
            await until(pilot, lambda: events.row_count == 17)
            await pilot.pause(0.3)
            save(app, "session")

            events.move_cursor(row=11)  # a PostToolUse with a tool_response
            await pilot.press("enter")
            await until(pilot, lambda: "payload ·" in str(app.screen.query_one("#detail-payload-box").border_title))
            await pilot.pause(0.5)
            save(app, "event-detail")
            await pilot.press("escape")
            await pilot.press("a")
            await until(pilot, lambda: events.row_count == total)

            await pilot.press("slash")
            bar = app.query_one("#filter")
            bar.cursor_blink = False
            for key in "tool:Bash npm":
                await pilot.press("space" if key == " " else key)
            await until(pilot, lambda: app.view_filter.text == "npm")
            await until(pilot, lambda: events.row_count > 0 and not app._events_busy)
            await pilot.pause(0.5)
            save(app, "filter")
            await pilot.press("escape")

            await pilot.press("question_mark")
            await pilot.pause(0.3)
            save(app, "help")
            await pilot.press("escape")


if __name__ == "__main__":
    asyncio.run(main())

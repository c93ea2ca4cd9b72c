"""Shared helpers for the TUI tests: a real collector on port 0, a temp db, a frozen clock."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from claude_watch.collector import CollectorConfig
from claude_watch.tui.app import ClaudeWatchApp


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Times on screen are local: pin the zone for these tests only (and put it back)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


FROZEN_MS = 1764241200000  # 2025-11-27 11:00:00 UTC
SAMPLES = Path("/work/shared/samples")
if not SAMPLES.exists():  # pragma: no cover
    SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
SIZE = (160, 45)


def frozen_clock() -> int:
    return FROZEN_MS


@pytest.fixture
def config(tmp_path: Path) -> CollectorConfig:
    return CollectorConfig(host="127.0.0.1", port=0, db_path=tmp_path / "events.db", spool_dir=tmp_path / "spool")


@pytest.fixture
def make_app(config: CollectorConfig, tmp_path: Path) -> Callable[..., ClaudeWatchApp]:
    def factory(**kwargs) -> ClaudeWatchApp:
        kwargs.setdefault("clock", frozen_clock)
        kwargs.setdefault("export_dir", tmp_path)
        return ClaudeWatchApp(config, **kwargs)

    return factory


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until `predicate()` holds (fails the test after `timeout`)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


async def ready(pilot) -> ClaudeWatchApp:
    app = pilot.app
    await wait_for(pilot, lambda: app.ready)
    return app


async def post(app: ClaudeWatchApp, body: dict | str | bytes, ts: int, project_dir: str | None = None,
               event_id: str | None = None) -> int:
    headers = {"Content-Type": "application/json", "X-Claude-Watch-Time": str(ts)}
    if project_dir:
        headers["X-Claude-Project-Dir"] = project_dir
    if event_id:
        headers["X-Claude-Watch-Event-Id"] = event_id
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    async with aiohttp.ClientSession() as session:
        async with session.post(app.status.address + "/event", data=data, headers=headers) as reply:
            return reply.status


def sample_lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / name).read_text().splitlines() if line.strip()]


async def seed_samples(app: ClaudeWatchApp) -> int:
    """Post both sample sessions (webshop, then infra-tools) a second apart, ending at FROZEN_MS."""
    lines = sample_lines("session-webshop.ndjson") + sample_lines("session-infra-subagent.ndjson")
    start = FROZEN_MS - 1000 * len(lines) - 60_000
    for i, body in enumerate(lines):
        await post(app, body, start + 1000 * i, project_dir=body.get("cwd"), event_id=f"sample-{i}")
    return len(lines)


def table_texts(table) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def make_event(i: int, *, session: str = "sess-0001", project_dir: str = "/home/dev/code/bulk",
               event_type: str = "PreToolUse", tool: str = "Bash", ts: int | None = None, **extra):
    """An Event built through the real normaliser (for seeding the store without HTTP)."""
    from claude_watch.event import normalise

    body = {"session_id": session, "cwd": project_dir, "hook_event_name": event_type,
            "tool_name": tool, "tool_use_id": f"toolu_{i:06d}",
            "tool_input": {"command": f"echo {i}"}, **extra}
    headers = {"X-Claude-Watch-Time": str(ts if ts is not None else FROZEN_MS - 10_000_000 + i),
               "X-Claude-Watch-Event-Id": f"bulk-{session}-{i}", "X-Claude-Project-Dir": project_dir}
    return normalise(json.dumps(body).encode(), headers, FROZEN_MS)


async def submit_many(app: ClaudeWatchApp, events: list, batch: int = 500) -> None:
    for start in range(0, len(events), batch):
        await app.store.submit(events[start:start + batch])


async def with_history(pilot, count: int = 1500):
    """The app, ready, with `count` events (`echo 0` .. `echo {count-1}`) and the newest on top."""
    from claude_watch.tui.tables import EventTable

    app = await ready(pilot)
    await submit_many(app, [make_event(i) for i in range(count)])
    events = app.query_one(EventTable)
    await wait_for(pilot, lambda: events.row_count and table_texts(events)[0][5] == f"echo {count - 1}")
    return app, events


def title(app: ClaudeWatchApp, selector: str) -> str:
    """A box's border title as plain text (the public getter returns markup)."""
    content = app.query_one(selector)._border_title
    return content.plain if content is not None else ""


def subtitle(app: ClaudeWatchApp, selector: str) -> str:
    content = app.query_one(selector)._border_subtitle
    return content.plain if content is not None else ""

"""Shared fixtures: a store on a temp file, a collector on port 0, a frozen clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from claude_watch.collector import Collector, CollectorConfig
from claude_watch.store import Store

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"
LOCAL_SAMPLES = Path(__file__).resolve().parent / "data"


class FakeClock:
    """A clock tests move by hand: no real time ever reaches an assertion."""

    def __init__(self, start: int = 1_795_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def sample_lines() -> list[str]:
    """Every line of every sample file (shared/samples, or the copy under tests/data)."""
    folder = SAMPLES if SAMPLES.is_dir() else LOCAL_SAMPLES
    lines = []
    for path in sorted(folder.glob("*.ndjson")):
        lines.extend(line for line in path.read_text().splitlines() if line.strip())
    assert lines, f"no sample payloads in {folder}"
    return lines


def sample_payloads() -> list[dict]:
    return [json.loads(line) for line in sample_lines()]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "events.db", clock=clock)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def collector(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Collector]:
    config = CollectorConfig(port=0, db_path=tmp_path / "events.db", spool_dir=tmp_path / "spool")
    running = Collector(config, clock=clock)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def http(collector: Collector) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=collector.address) as session:
        yield session

"""The HTTP API: every status, large bodies, concurrency, the token, the host and type guards."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from claude_watch.collector import Collector, CollectorConfig, StartError
from tests.conftest import FakeClock, sample_lines

JSON = {"Content-Type": "application/json"}


def hook(event: str = "Stop", session: str = "s1", **fields) -> str:
    return json.dumps({"session_id": session, "hook_event_name": event, "cwd": "/code/webshop", **fields})


async def post(http: aiohttp.ClientSession, body: str | bytes, path: str = "/event", **headers: str):
    async with http.post(path, data=body, headers={**JSON, **headers}) as response:
        return response.status, await response.json(), response.headers


async def test_post_event_answers_empty_object_and_id(http, collector: Collector) -> None:
    status, body, headers = await post(http, sample_lines()[0], **{"X-Claude-Project-Dir": "/code/shop"})
    assert (status, body) == (200, {})
    stored = (await collector.store.list_events()).events[0]
    assert headers["X-Event-Id"] == stored.event_id
    assert stored.project == "shop"


async def test_client_event_id_dedupes(http, collector: Collector) -> None:
    for _ in range(3):
        status, _, headers = await post(http, hook(), **{"X-Claude-Watch-Event-Id": "fixed-1"})
        assert status == 200 and headers["X-Event-Id"] == "fixed-1"
    assert await collector.store.total_events() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{nope", "malformed JSON"),
        ("[]", "must be a JSON object"),
        ('{"hook_event_name": "Stop"}', "session_id"),
        ('{"session_id": "s", "hook_event_name": 7}', "hook_event_name"),
        (b'{"session_id": "\xc3\x28", "hook_event_name": "Stop"}', "UTF-8"),
        ("", "malformed JSON"),
    ],
)
async def test_bad_bodies_are_400_and_counted(http, collector: Collector, body, message: str) -> None:
    status, answer, _ = await post(http, body)
    assert status == 400 and message in answer["error"]
    health = await (await http.get("/health")).json()
    assert health["rejected"] == 1 and message in health["last_rejection"]["reason"]
    assert (await post(http, hook()))[0] == 200  # and the server still answers


async def test_wrong_method_is_405_json(http) -> None:
    async with http.get("/event") as response:
        assert response.status == 405 and "error" in await response.json()
    async with http.delete("/events") as response:
        assert response.status == 405


async def test_unknown_path_is_404_json(http) -> None:
    async with http.get("/nothing") as response:
        assert response.status == 404 and "error" in await response.json()


async def test_large_body_is_accepted_and_too_large_is_413(http, collector: Collector) -> None:
    big = hook("PostToolUse", tool_name="Read", tool_input={"file_path": "/big"}, tool_response={"content": "x" * (8 * 1024 * 1024)})
    status, _, _ = await post(http, big)
    assert status == 200
    assert (await collector.store.list_events()).events[0].summary == "/big"
    status, answer, _ = await post(http, b"{" + b" " * (65 * 1024 * 1024) + b"}")
    assert status == 413 and "64 MiB" in answer["error"]


async def test_content_type_is_required_on_writes(http) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        async with http.post("/event", data=hook(), headers={"Content-Type": content_type}) as response:
            assert response.status == 415


async def test_foreign_host_header_is_refused(http) -> None:
    async with http.get("/health", headers={"Host": "attacker.example:4820"}) as response:
        assert response.status == 421
    async with http.get("/health", headers={"Host": "localhost"}) as response:
        assert response.status == 421  # right name, wrong (missing) port
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_concurrent_posts_all_stored(http, collector: Collector) -> None:
    results = await asyncio.gather(*(post(http, hook(session=f"s{i % 5}")) for i in range(300)))
    assert all(status == 200 for status, _, _ in results)
    assert len({headers["X-Event-Id"] for _, _, headers in results}) == 300
    assert await collector.store.total_events() == 300


async def test_batch_endpoint_json_array_and_ndjson(http, collector: Collector) -> None:
    items = [json.loads(line) for line in sample_lines()]
    status, answer, _ = await post(http, json.dumps([*items, {"no": "session"}, 5]), "/events")
    assert status == 200
    assert answer["accepted"] == len(items) and answer["rejected"] == 2
    assert [e["index"] for e in answer["errors"]] == [len(items), len(items) + 1]
    ndjson = "\n".join([*sample_lines()[:3], "{broken", ""])
    status, answer, _ = await post(http, ndjson, "/events", **{"Content-Type": "application/x-ndjson"})
    assert (status, answer["accepted"], answer["rejected"]) == (200, 3, 1)
    assert await collector.store.total_events() == len(items) + 3
    status, answer, _ = await post(http, '{"not": "a batch"}', "/events")
    assert status == 200 and answer["rejected"] == 1


async def test_get_events_filters_and_cursor(http, collector: Collector, clock: FakeClock) -> None:
    for i, line in enumerate(sample_lines()):
        await post(http, line, **{"X-Claude-Watch-Time": str(clock() - 100_000 + i)})
    async with http.get("/events", params={"project": "webshop", "limit": "5"}) as response:
        page = await response.json()
    assert len(page["events"]) == 5 and all(e["project"] == "webshop" for e in page["events"])
    assert set(page["events"][0]) >= {"event_id", "ts", "received_at", "session_id", "event_type", "tool_name", "summary", "payload"}
    seen = [e["event_id"] for e in page["events"]]
    while page["next_cursor"]:
        async with http.get("/events", params={"project": "webshop", "limit": "5", "before": page["next_cursor"]}) as response:
            page = await response.json()
        seen += [e["event_id"] for e in page["events"]]
    assert len(seen) == len(set(seen)) == 17
    async with http.get("/events", params={"event_type": "PreToolUse,PostToolUse", "tool": "Bash", "q": "checkout"}) as response:
        events = (await response.json())["events"]
    assert events and all(e["tool_name"] == "Bash" and "checkout" in e["summary"] for e in events)
    async with http.get("/events", params={"since": "1h"}) as response:
        assert len((await response.json())["events"]) == 30
    async with http.get("/events", params={"since": "1m"}) as response:
        assert (await response.json())["events"] == []
    for bad in ({"since": "soon"}, {"limit": "0"}, {"limit": "x"}, {"before": "zzz"}):
        async with http.get("/events", params=bad) as response:
            assert response.status == 400 and "error" in await response.json()


async def test_projects_sessions_health(http, collector: Collector, clock: FakeClock) -> None:
    for line in sample_lines():
        await post(http, line)
    projects = (await (await http.get("/projects")).json())["projects"]
    assert {p["name"] for p in projects} == {"webshop", "infra-tools"}
    sessions = (await (await http.get("/sessions", params={"project": "webshop"})).json())["sessions"]
    assert [s["state"] for s in sessions] == ["ended"]
    health = await (await http.get("/health")).json()
    assert health["status"] == "ok" and health["events"] == 30 and health["database"] == str(collector.db_path)
    assert {"version", "rejected", "spool_backlog"} <= set(health)


async def test_token_is_checked_on_every_request(tmp_path: Path, clock: FakeClock) -> None:
    config = CollectorConfig(port=0, db_path=tmp_path / "t.db", spool_dir=tmp_path / "spool", token="s3cret")
    collector = Collector(config, clock=clock)
    await collector.start()
    try:
        async with aiohttp.ClientSession(base_url=collector.address) as http:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
                async with http.get("/health", headers=headers) as response:
                    assert response.status == 401
                async with http.post("/event", data=hook(), headers={**JSON, **headers}) as response:
                    assert response.status == 401
            async with http.post("/event", data=hook(), headers={**JSON, "Authorization": "Bearer s3cret"}) as response:
                assert response.status == 200
        assert await collector.store.total_events() == 1
    finally:
        await collector.stop()


async def test_non_loopback_bind_needs_a_token(tmp_path: Path) -> None:
    collector = Collector(CollectorConfig(host="0.0.0.0", port=0, db_path=tmp_path / "x.db"))
    with pytest.raises(StartError, match="without a token"):
        await collector.start()
    assert not (tmp_path / "x.db").exists()


async def test_port_in_use_is_a_clear_start_error(collector: Collector, tmp_path: Path) -> None:
    port = int(collector.address.rsplit(":", 1)[1])
    second = Collector(CollectorConfig(port=port, db_path=tmp_path / "other.db", spool_dir=tmp_path / "s2"))
    with pytest.raises(StartError, match=f"port {port} .* already in use"):
        await second.start()
    await second.stop()


async def test_store_failure_is_503(http, collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    from claude_watch.store import store as store_module

    async def failing(db, events):
        import sqlite3

        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store_module, "write_batch", failing)
    status, answer, _ = await post(http, hook())
    assert status == 503 and "read-only" in answer["error"]
    health = await (await http.get("/health")).json()
    assert health["status"] == "degraded" and "read-only" in health["write_error"]

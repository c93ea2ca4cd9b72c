"""Ingest: request bodies -> normalised events -> the store. HTTP and the spool both come here.

Rejections are counted and the latest is kept, so `/health` and the UI can say what a broken
client is sending without logging a line per bad request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from claude_watch.clock import Clock, now_ms
from claude_watch.event import BadEvent, Event, decode_body, event_from_object, normalise, one_line_json, parse_json
from claude_watch.store import Store

# Parsing a body this large would hold the event loop (and the UI) for milliseconds.
PARSE_IN_THREAD_BYTES = 256 * 1024
SAMPLE_BYTES = 120
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines")


@dataclass(frozen=True, slots=True)
class Rejection:
    at: int
    reason: str
    sample: str


@dataclass
class RejectionLog:
    count: int = 0
    latest: Rejection | None = None

    def record(self, at: int, reason: str, sample: bytes) -> None:
        self.count += 1
        self.latest = Rejection(at, reason, sample[:SAMPLE_BYTES].decode("utf-8", "backslashreplace"))


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": len(self.rejected),
            "errors": self.rejected,
            "event_ids": self.event_ids,
        }


def _item_text(item: Any) -> str:
    text = json.dumps(item, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: keep them as JSON escapes
        text = json.dumps(item)
    return text


def _split_batch(body: bytes, content_type: str) -> list[tuple[Any, str] | BadEvent]:
    """A JSON array or NDJSON -> (object, exact text) per item, or the reason an item is bad."""
    text = decode_body(body).strip()
    is_ndjson = content_type in NDJSON_TYPES or not text.startswith("[")
    if not is_ndjson:
        items = parse_json(one_line_json(text))
        if not isinstance(items, list):
            raise BadEvent("a batch must be a JSON array or NDJSON")
        return [(item, _item_text(item)) for item in items]
    parsed: list[tuple[Any, str] | BadEvent] = []
    # split("\n"), not splitlines(): that would also cut at U+2028, U+0085 and other characters
    # JSON strings may hold raw.
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        try:
            parsed.append((parse_json(line), line))
        except BadEvent as error:
            parsed.append(error)
    return parsed


class Ingestor:
    def __init__(self, store: Store, clock: Clock = now_ms) -> None:
        self.store = store
        self.clock = clock
        self.rejections = RejectionLog()

    def record_rejection(self, reason: str, sample: bytes) -> None:
        self.rejections.record(self.clock(), reason, sample)

    async def accept_one(self, body: bytes, headers: Mapping[str, str]) -> Event:
        """Store one hook event; returns it (with its row id unless it was a duplicate)."""
        received_at = self.clock()
        try:
            if len(body) > PARSE_IN_THREAD_BYTES:
                event = await asyncio.to_thread(normalise, body, headers, received_at)
            else:
                event = normalise(body, headers, received_at)
        except BadEvent as error:
            self.record_rejection(error.reason, body)
            raise
        stored = await self.store.submit([event])
        return stored[0] if stored else event

    async def accept_many(self, body: bytes, content_type: str, headers: Mapping[str, str]) -> BatchResult:
        """Store every valid item of a batch; the result says which items were rejected and why."""
        received_at = self.clock()
        try:
            if len(body) > PARSE_IN_THREAD_BYTES:
                items = await asyncio.to_thread(_split_batch, body, content_type)
            else:
                items = _split_batch(body, content_type)
        except BadEvent as error:
            self.record_rejection(error.reason, body)
            raise
        result = BatchResult()
        events: list[Event] = []
        for index, item in enumerate(items):
            try:
                if isinstance(item, BadEvent):
                    raise item
                events.append(event_from_object(item[0], item[1], headers, received_at))
            except BadEvent as error:
                result.rejected.append({"index": index, "error": error.reason})
                self.record_rejection(f"item {index}: {error.reason}", body)
        if events:
            stored = await self.store.submit(events)
            result.accepted = len(stored)
            result.duplicates = len(events) - len(stored)
            result.event_ids = [e.event_id for e in events]
        return result

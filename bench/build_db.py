"""Build a realistic 1M-event database through the real store write path.

    .venv/bin/python bench/build_db.py                       # bench/data/1m.db, 1,000,000 events
    .venv/bin/python bench/build_db.py --events 100000 --out bench/data/100k.db
    .venv/bin/python bench/build_db.py --verify               # also recompute summaries from events

Events are made by `claude_watch.event.normalise(body, headers, received_at)` exactly as the
HTTP path does, and stored with `Store.submit` in big batches (one transaction each), so the
sessions/projects summaries are the writer's own.

Synthetic traffic:

`generate(n, ...)` returns `n` events as (ts_ms, body_bytes, headers) tuples, oldest first:
~20 projects (Zipf-weighted), ~2,000 sessions spread over ~30 days, each a run of turns
(prompt -> tool calls, some with permission prompts, some failing, some in subagents -> Stop),
with a realistic mix of event types and tools. Payloads are mostly a few hundred bytes; Read and
Bash results are sometimes 10-100 KiB.

Words the query benchmark relies on:
- COMMON_WORD ("src") is in most file paths, so a large share of events match it;
- RARE_WORD appears in about one event in 100,000 (a Bash command).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COMMON_WORD = "src"
RARE_WORD = "xylophonequartz"

PROJECT_NAMES = [
    "webshop", "infra-tools", "ml-pipeline", "docs-site", "billing-api", "mobile-app", "auth-service",
    "data-warehouse", "search-indexer", "design-system", "payments", "notifications", "cli-tools",
    "analytics", "game-engine", "crm-backend", "edge-proxy", "k8s-operators", "ios-client", "blog",
]
MODELS = ["claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5"]
TOOLS = [  # (name, weight)
    ("Bash", 30), ("Read", 25), ("Edit", 12), ("Grep", 9), ("Glob", 5), ("Write", 5), ("TodoWrite", 3),
    ("WebFetch", 3), ("WebSearch", 2), ("Task", 2), ("MultiEdit", 1), ("mcp__github__list_issues", 1),
    ("mcp__github__create_pull_request", 1), ("mcp__linear__search", 1),
]
_TOOL_NAMES = [t for t, _ in TOOLS]
_TOOL_WEIGHTS = [w for _, w in TOOLS]
WORDS = (
    "the a to of and in is for return const let def class import from export function async await if else "
    "while for try except raise self this new null none true false value result error config request response "
    "user account order cart checkout discount price total item items list map filter reduce index data "
    "test tests assert expect describe mock fixture setup teardown build lint format deploy release version "
    "handler router server client cache queue worker job task retry backoff timeout logger debug info warn "
    "string number int float bool dict array object type interface struct enum module package path file dir"
).split()
DIRS = ["src", "src/lib", "src/api", "src/components", "tests", "lib", "pkg", "internal", "docs", "scripts", "app/src"]
EXTS = [".ts", ".py", ".go", ".rs", ".tsx", ".md", ".json", ".yaml"]
PROMPTS = [
    "The checkout tests fail since yesterday. Find out why and fix it.",
    "Summarise the open TODOs across the repo",
    "Add a retry with backoff to the uploader and test it",
    "Why is the nightly build 3x slower? Profile and report.",
    "Rename `UserRecord` to `Account` everywhere and keep the tests green",
    "Write integration tests for the payment webhook handler",
    "Update the README with the new install steps",
    "Migrate the config loader to pydantic settings",
]


class _Text:
    """Cheap realistic text: slices of a few pre-made blobs of code-like lines."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.blobs = []
        for _ in range(24):
            lines = []
            size = 0
            while size < 140_000:
                line = "    " * rng.randint(0, 3) + " ".join(rng.choices(WORDS, k=rng.randint(2, 12)))
                lines.append(line)
                size += len(line) + 1
            self.blobs.append("\n".join(lines))

    def take(self, size: int) -> str:
        blob = self.rng.choice(self.blobs)
        start = self.rng.randint(0, len(blob) - size - 1)
        return blob[start : start + size]


def _response_size(rng: random.Random, tool: str) -> int:
    """Bytes of tool output: mostly small, a few 10-100 KiB (whole files, long logs)."""
    r = rng.random()
    if tool == "Read":
        if r < 0.06:
            return rng.randint(10 * 1024, 100 * 1024)
        return rng.randint(200, 4000)
    if tool == "Bash":
        if r < 0.03:
            return rng.randint(10 * 1024, 100 * 1024)
        return rng.randint(0, 1500)
    if tool in ("Grep", "Glob", "WebFetch"):
        if r < 0.02:
            return rng.randint(10 * 1024, 60 * 1024)
        return rng.randint(50, 2000)
    return rng.randint(20, 300)


class _Session:
    def __init__(self, rng: random.Random, text: _Text, project: str, start_ms: int, n_events: int, seq: list[int]) -> None:
        self.rng, self.text, self.project = rng, text, project
        self.session_id = str(uuid.UUID(int=rng.getrandbits(128)))
        self.cwd = f"/home/dev/code/{project}"
        self.ts = start_ms
        self.n = n_events
        self.seq = seq
        self.out: list[tuple[int, dict[str, Any]]] = []

    def _emit(self, event: str, gap_ms: tuple[int, int], **fields: Any) -> None:
        self.ts += self.rng.randint(*gap_ms)
        body = {
            "session_id": self.session_id,
            "transcript_path": f"/home/dev/.claude/projects/-home-dev-code-{self.project}/{self.session_id}.jsonl",
            "cwd": self.cwd,
            "permission_mode": "default",
            "hook_event_name": event,
            **fields,
        }
        self.out.append((self.ts, body))

    def _path(self) -> str:
        rng = self.rng
        return f"{rng.choice(DIRS)}/{rng.choice(WORDS)}_{rng.choice(WORDS)}{rng.choice(EXTS)}"

    def _tool_input(self, tool: str) -> dict[str, Any]:
        rng = self.rng
        if tool == "Bash":
            self.seq[0] += 1
            extra = f" --tag {RARE_WORD}" if self.seq[0] % 100_000 == 7 else ""
            cmd = rng.choice(["npm test -- ", "pytest -x ", "git diff ", "cargo build ", "ls -la ", "rg "]) + self._path()
            return {"command": cmd + extra, "description": " ".join(rng.choices(WORDS, k=3))}
        if tool in ("Read", "Write"):
            d: dict[str, Any] = {"file_path": f"{self.cwd}/{self._path()}"}
            if tool == "Write":
                d["content"] = self.text.take(rng.randint(100, 3000))
            return d
        if tool in ("Edit", "MultiEdit"):
            return {"file_path": f"{self.cwd}/{self._path()}", "old_string": self.text.take(rng.randint(10, 300)),
                    "new_string": self.text.take(rng.randint(10, 300))}
        if tool in ("Grep", "Glob"):
            return {"pattern": rng.choice(WORDS) if tool == "Grep" else f"**/*{rng.choice(EXTS)}", "path": rng.choice(DIRS)}
        if tool == "WebFetch":
            return {"url": f"https://example.com/{rng.choice(WORDS)}/{rng.choice(WORDS)}", "prompt": "what changed?"}
        if tool == "WebSearch":
            return {"query": " ".join(rng.choices(WORDS, k=4))}
        if tool == "Task":
            return {"subagent_type": "Explore", "description": " ".join(rng.choices(WORDS, k=3)), "prompt": self.text.take(200)}
        if tool == "TodoWrite":
            return {"todos": [{"content": " ".join(rng.choices(WORDS, k=5)), "status": "pending"} for _ in range(rng.randint(1, 6))]}
        return {"repo": f"dev/{self.project}", "query": " ".join(rng.choices(WORDS, k=2))}

    def _response(self, tool: str) -> Any:
        size = _response_size(self.rng, tool)
        body = self.text.take(size) if size else ""
        if tool == "Bash":
            return {"stdout": body, "stderr": "", "interrupted": False}
        if tool == "Read":
            return {"type": "text", "file": {"content": body, "numLines": body.count("\n") + 1}}
        return {"output": body}

    def _tool_call(self, agent: dict[str, Any]) -> None:
        rng = self.rng
        tool = rng.choices(_TOOL_NAMES, _TOOL_WEIGHTS)[0]
        tool_input = self._tool_input(tool)
        use_id = "toolu_" + uuid.UUID(int=rng.getrandbits(128)).hex[:24]
        if rng.random() < 0.04:
            self._emit("PermissionRequest", (50, 500), tool_name=tool, tool_input=tool_input, **agent)
            self._emit("Notification", (100, 800), message=f"Claude needs your permission to use {tool}",
                       title="Permission needed", notification_type="permission_prompt", **agent)
        self._emit("PreToolUse", (200, 8000), tool_name=tool, tool_input=tool_input, tool_use_id=use_id, **agent)
        duration = rng.randint(20, 20000)
        if rng.random() < 0.06:
            self._emit("PostToolUseFailure", (20, duration), tool_name=tool, tool_input=tool_input, tool_use_id=use_id,
                       error="Exit code 1\n" + self.text.take(rng.randint(50, 800)), duration_ms=duration, **agent)
        else:
            self._emit("PostToolUse", (20, duration), tool_name=tool, tool_input=tool_input, tool_use_id=use_id,
                       tool_response=self._response(tool), duration_ms=duration, **agent)

    def play(self) -> list[tuple[int, dict[str, Any]]]:
        rng = self.rng
        self._emit("SessionStart", (0, 0), source=rng.choice(["startup", "resume"]), model=rng.choice(MODELS))
        while len(self.out) < self.n - 2:
            self._emit("UserPromptSubmit", (5_000, 300_000), prompt=rng.choice(PROMPTS))
            for _ in range(max(1, int(rng.expovariate(1 / 7)))):
                if rng.random() < 0.08:  # a subagent with its own tool calls
                    agent = {"agent_id": uuid.UUID(int=rng.getrandbits(128)).hex[:8], "agent_type": "Explore"}
                    self._emit("SubagentStart", (100, 2000), **agent)
                    for _ in range(rng.randint(1, 6)):
                        self._tool_call(agent)
                    self._emit("SubagentStop", (100, 2000), stop_hook_active=False,
                               last_assistant_message=self.text.take(rng.randint(50, 600)), **agent)
                else:
                    self._tool_call({})
            if rng.random() < 0.02:
                self._emit("PreCompact", (100, 1000), trigger="auto", custom_instructions="")
            self._emit("Stop", (500, 5000), stop_hook_active=False, last_assistant_message=self.text.take(rng.randint(50, 1200)))
            if rng.random() < 0.15:
                self._emit("Notification", (60_000, 60_000), message="Claude is waiting for your input",
                           notification_type="idle_prompt")
        if rng.random() < 0.85:
            self._emit("SessionEnd", (1000, 60_000), reason=rng.choice(["prompt_input_exit", "clear", "logout"]))
        return self.out


def generate(n_events: int, end_ms: int, days: float = 30, n_projects: int = 20, n_sessions: int = 2000,
             seed: int = 1) -> list[tuple[int, dict[str, Any]]]:
    """Exactly `n_events` hook objects, oldest first, as (ts, object); see `as_requests`."""
    rng = random.Random(seed)
    text = _Text(rng)
    projects = PROJECT_NAMES[:n_projects] + [f"project-{i}" for i in range(len(PROJECT_NAMES), n_projects)]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(projects))]
    span = int(days * 86_400_000)
    per_session = n_events / n_sessions
    seq = [0]
    raw: list[tuple[int, dict[str, Any]]] = []
    for _ in range(n_sessions):
        project = rng.choices(projects, weights)[0]
        start = end_ms - span + rng.randint(0, span - 3_600_000)
        size = max(6, int(per_session * rng.uniform(0.2, 1.8)))
        raw.extend(_Session(rng, text, project, start, size, seq).play())
    raw.sort(key=lambda item: item[0])
    # Top up or trim to exactly n_events (a top-up is another batch of sessions).
    while len(raw) < n_events:
        extra = _Session(rng, text, rng.choices(projects, weights)[0], end_ms - span + rng.randint(0, span - 3_600_000),
                         min(2000, n_events - len(raw) + 2), seq).play()
        raw.extend(extra)
        raw.sort(key=lambda item: item[0])
    raw = raw[:n_events]
    shift = end_ms - raw[-1][0]  # the newest event lands at end_ms (sessions may run past it)
    return [(ts + shift, body) for ts, body in raw]


def as_requests(raw: list[tuple[int, dict[str, Any]]]) -> Iterator[tuple[int, bytes, dict[str, str]]]:
    """(ts, body) -> (ts, request body bytes, hook headers), the way the hook script sends them."""
    for index, (ts, body) in enumerate(raw):
        headers = {
            "X-Claude-Watch-Time": str(ts),
            "X-Claude-Watch-Event-Id": f"{ts}-4242-{index:x}",
            "X-Claude-Project-Dir": body["cwd"],
        }
        yield ts, json.dumps(body).encode(), headers


# -- building -------------------------------------------------------------------------------------


async def build(out: Path, n_events: int, batch: int, seed: int, days: float, n_projects: int, n_sessions: int) -> dict:
    from claude_watch.clock import now_ms
    from claude_watch.event import normalise
    from claude_watch.store import Store

    for suffix in ("", "-wal", "-shm"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    raw = generate(n_events, now_ms() - 1000, days, n_projects, n_sessions, seed)
    t_gen = time.perf_counter() - t0
    print(f"generated {len(raw):,} hook objects in {t_gen:.1f}s", file=sys.stderr)

    store = await Store.open(out)
    t1 = time.perf_counter()
    t_norm = 0.0
    payload_bytes = 0
    stored = 0
    in_flight: asyncio.Task | None = None
    requests = as_requests(raw)
    done = False
    while not done:
        tn = time.perf_counter()
        events = []
        for ts, body, headers in requests:
            payload_bytes += len(body)
            events.append(normalise(body, headers, ts + 150))
            if len(events) >= batch:
                break
        else:
            done = True
        t_norm += time.perf_counter() - tn
        # Keep one batch committing (in the store's thread) while the next is normalised here.
        if in_flight is not None:
            stored += len(await in_flight)
        in_flight = asyncio.create_task(store.submit(events)) if events else None
        if stored and stored % (batch * 20) == 0:
            rate = stored / (time.perf_counter() - t1)
            print(f"  {stored:,} stored, {rate:,.0f} events/s", file=sys.stderr)
    if in_flight is not None:
        stored += len(await in_flight)
    t_store = time.perf_counter() - t1
    total = await store.total_events()
    sessions = len(await store.list_sessions(limit=1_000_000))
    projects = len(await store.list_projects())
    await store.close()
    del raw
    # Leave a checkpointed file: the benchmarks then start from the same state.
    con = sqlite3.connect(out)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {
        "events": total, "sessions": sessions, "projects": projects, "generate_s": round(t_gen, 1),
        "store_s": round(t_store, 1), "normalise_s": round(t_norm, 1), "events_per_s": round(stored / t_store),
        "payload_mib": round(payload_bytes / 2**20), "db_mib": round(out.stat().st_size / 2**20),
    }


def verify(path: Path) -> list[str]:
    """Recompute the sessions/projects counters from the events table; returns the differences."""
    con = sqlite3.connect(path)
    problems = []
    got = dict(((r[0]), r[1:]) for r in con.execute(
        "SELECT session_id, project, first_ts, last_ts, events, tool_calls, failures FROM sessions"))
    want = {r[0]: r[1:] for r in con.execute(
        "SELECT session_id, min(project), min(ts), max(ts), count(*), sum(event_type = 'PreToolUse'),"
        " sum(event_type IN ('PostToolUseFailure', 'StopFailure')) FROM events GROUP BY session_id")}
    if got != want:
        bad = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
        problems.append(f"{len(bad)} sessions differ, e.g. {bad[0]}: {got.get(bad[0])} vs {want.get(bad[0])}")
    got_p = {r[0]: r[1:] for r in con.execute(
        "SELECT name, sessions, events, tool_calls, failures, first_ts, last_ts FROM projects")}
    want_p = {r[0]: r[1:] for r in con.execute(
        "SELECT project, count(DISTINCT session_id), count(*), sum(event_type = 'PreToolUse'),"
        " sum(event_type IN ('PostToolUseFailure', 'StopFailure')), min(ts), max(ts) FROM events GROUP BY project")}
    if got_p != want_p:
        bad = [k for k in set(got_p) | set(want_p) if got_p.get(k) != want_p.get(k)]
        problems.append(f"{len(bad)} projects differ, e.g. {bad[0]}: {got_p.get(bad[0])} vs {want_p.get(bad[0])}")
    con.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "1m.db")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--batch", type=int, default=5000, help="events per submit (one transaction)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verify", action="store_true", help="check the summaries against a GROUP BY of events")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stats = asyncio.run(build(args.out, args.events, args.batch, args.seed, args.days, args.projects, args.sessions))
    print(json.dumps(stats))
    if args.verify:
        problems = verify(args.out)
        print("verify: " + ("summaries match the events" if not problems else "; ".join(problems)))
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

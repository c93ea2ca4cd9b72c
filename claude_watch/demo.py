"""Realistic sample traffic, posted through the real HTTP path, for `claude-watch --demo`.

Several projects, each with sessions that start, take prompts, run tools (some in parallel,
some failing), wait for permission, spawn subagents and end, the way Claude Code does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp

from claude_watch.clock import now_ms

PROJECTS = {
    "webshop": [
        ("Bash", {"command": "npm test -- checkout", "description": "Run checkout tests"}),
        ("Read", {"file_path": "src/checkout.ts"}),
        ("Grep", {"pattern": "applyDiscount", "path": "src"}),
        ("Edit", {"file_path": "src/discount.ts", "old_string": "rate * 100", "new_string": "rate"}),
        ("Bash", {"command": "npm run lint", "description": "Lint"}),
    ],
    "infra-tools": [
        ("Glob", {"pattern": "**/*.tf"}),
        ("Bash", {"command": "terraform plan -out plan.bin", "description": "Plan"}),
        ("mcp__github__list_issues", {"repo": "dev/infra-tools", "state": "open"}),
        ("WebFetch", {"url": "https://example.com/changelog", "prompt": "latest version?"}),
        ("Read", {"file_path": "modules/vpc/main.tf"}),
    ],
    "ml-pipeline": [
        ("Bash", {"command": "pytest tests/test_features.py -x", "description": "Run tests"}),
        ("Read", {"file_path": "pipeline/features.py"}),
        ("Write", {"file_path": "pipeline/normalise.py", "content": "def normalise(x):\n    return x\n"}),
        ("WebSearch", {"query": "pandas groupby rolling window performance"}),
        ("Task", {"subagent_type": "Explore", "description": "Find data loaders", "prompt": "..."}),
    ],
    "docs-site": [
        ("Read", {"file_path": "docs/index.md"}),
        ("Edit", {"file_path": "docs/install.md", "old_string": "pip install", "new_string": "pipx install"}),
        ("Bash", {"command": "mkdocs build --strict", "description": "Build docs"}),
        ("Grep", {"pattern": "TODO", "path": "docs"}),
    ],
}
PROMPTS = [
    "The checkout tests fail since yesterday. Find out why and fix it.",
    "Summarise the open TODOs across the repo",
    "Add a retry with backoff to the uploader and test it",
    "Why is the nightly build 3x slower? Profile and report.",
    "Rename `UserRecord` to `Account` everywhere and keep the tests green",
]
MODELS = ["claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5"]


def _tool_response(tool: str, failed: bool) -> Any:
    if tool == "Bash":
        return {"stdout": "ok\n" if not failed else "", "stderr": "", "interrupted": False}
    if tool == "Read":
        return {"type": "text", "file": {"content": "export function checkout() {\n  return total;\n}\n"}}
    return {"ok": True}


class _Session:
    """One scripted Claude Code session; `steps()` yields (payload, delay seconds)."""

    def __init__(self, project: str, rng: random.Random) -> None:
        self.project = project
        self.rng = rng
        self.session_id = str(uuid.UUID(int=rng.getrandbits(128)))
        self.cwd = f"/home/dev/code/{project}"

    def _base(self, event: str, **fields: Any) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "transcript_path": f"/home/dev/.claude/projects/-home-dev-code-{self.project}/{self.session_id}.jsonl",
            "cwd": self.cwd,
            "permission_mode": "default",
            "hook_event_name": event,
            **fields,
        }

    def steps(self) -> Iterator[tuple[dict[str, Any], float]]:
        rng = self.rng
        yield self._base("SessionStart", source="startup", model=rng.choice(MODELS)), 0.2
        for _ in range(rng.randint(1, 3)):
            yield self._base("UserPromptSubmit", prompt=rng.choice(PROMPTS)), 0.5
            if rng.random() < 0.3:
                agent_id = uuid.UUID(int=rng.getrandbits(128)).hex[:8]
                yield self._base("SubagentStart", agent_id=agent_id, agent_type="Explore"), 0.3
                yield self._base("SubagentStop", agent_id=agent_id, agent_type="Explore", stop_hook_active=False,
                                 last_assistant_message="Found 3 candidates."), 0.3
            for tool, tool_input in rng.sample(PROJECTS[self.project], k=min(4, len(PROJECTS[self.project]))):
                use_id = "toolu_" + uuid.UUID(int=rng.getrandbits(128)).hex[:20]
                if tool == "Bash" and rng.random() < 0.25:
                    yield self._base("Notification", message="Claude needs your permission to use Bash",
                                     title="Permission needed", notification_type="permission_prompt"), rng.uniform(1, 3)
                yield self._base("PreToolUse", tool_name=tool, tool_input=tool_input, tool_use_id=use_id), rng.uniform(0.1, 1.2)
                duration = rng.randint(20, 4000)
                if rng.random() < 0.12:
                    yield self._base("PostToolUseFailure", tool_name=tool, tool_input=tool_input, tool_use_id=use_id,
                                     error="Exit code 1\nError: command failed", duration_ms=duration), 0.3
                else:
                    yield self._base("PostToolUse", tool_name=tool, tool_input=tool_input, tool_use_id=use_id,
                                     tool_response=_tool_response(tool, False), duration_ms=duration), 0.3
            yield self._base("Stop", stop_hook_active=False, last_assistant_message="Done. All tests pass."), rng.uniform(1, 4)
        if rng.random() < 0.7:
            yield self._base("SessionEnd", reason="prompt_input_exit"), 0


class DemoTraffic:
    """Plays several concurrent sessions against a collector at `url` until stopped."""

    def __init__(self, url: str, token: str | None = None, speed: float = 1.0, concurrency: int = 5, seed: int | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.speed = speed
        self.concurrency = concurrency
        self.rng = random.Random(seed)
        self.sent = 0
        self._tasks: list[asyncio.Task] = []
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self._http = aiohttp.ClientSession(headers=headers)
        self._tasks = [asyncio.create_task(self._play_forever(lane)) for lane in range(self.concurrency)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    async def _play_forever(self, lane: int) -> None:
        projects = itertools.cycle(self.rng.sample(sorted(PROJECTS), k=len(PROJECTS)))
        for _ in range(lane):
            next(projects)
        while True:
            session = _Session(next(projects), self.rng)
            for payload, delay in session.steps():
                await self.post(payload, session.cwd)
                await asyncio.sleep(delay / self.speed)
            await asyncio.sleep(self.rng.uniform(0.5, 3) / self.speed)

    async def post(self, payload: dict[str, Any], project_dir: str) -> None:
        assert self._http is not None
        headers = {"X-Claude-Project-Dir": project_dir, "X-Claude-Watch-Time": str(now_ms())}
        try:
            async with self._http.post(f"{self.url}/event", data=json.dumps(payload), headers=headers) as response:
                await response.read()
                if response.status == 200:
                    self.sent += 1
        except aiohttp.ClientError:
            pass  # the collector is stopping; the demo just goes quiet

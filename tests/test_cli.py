"""The command line as a user meets it: help, errors as one line, exit codes, serve and export."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import sample_lines

CLI = [sys.executable, "-m", "claude_watch"]


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", [[], ["serve"], ["export"], ["hooks"], ["hooks", "install"]])
def test_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0 and "usage: claude-watch" in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("claude-watch ")


def assert_one_line_error(result: subprocess.CompletedProcess, text: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert text in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bad_since_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    serve_and_post(db, [])
    assert_one_line_error(run("export", "--db", str(db), "--since", "last tuesday"), "cannot read time")


def test_missing_database_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(run("export", "--db", str(tmp_path / "none.db")), "no database at")


def test_unwritable_database_path_is_one_line(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:
        # root ignores directory permissions; a path under a regular file fails for everyone
        target = tmp_path / "file" / "db.sqlite"
        (tmp_path / "file").write_text("")
    else:
        target = locked / "sub" / "db.sqlite"
    assert_one_line_error(run("serve", "--port", "0", "--db", str(target)), "cannot create the database")


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert_one_line_error(run("serve", "--port", str(port), "--db", str(tmp_path / "e.db")), "already in use")


def test_non_loopback_without_token_is_refused(tmp_path: Path) -> None:
    assert_one_line_error(run("serve", "--host", "0.0.0.0", "--port", "0", "--db", str(tmp_path / "e.db")), "without a token")


def test_bad_port_is_usage_error() -> None:
    result = run("serve", "--port", "99999")
    assert result.returncode == 2 and "port must be" in result.stderr
    assert_one_line_error(run("serve", env={"CLAUDE_WATCH_PORT": "nope"}), "CLAUDE_WATCH_PORT")


def serve_and_post(db: Path, lines: list[str], extra_args: tuple[str, ...] = ()) -> tuple[str, str]:
    """Start `serve` on port 0, post `lines`, stop it with SIGTERM; returns (stdout, stderr)."""
    process = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--db", str(db), *extra_args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CLAUDE_WATCH_SPOOL": str(db.parent / "spool")},
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        for line in lines:
            request = urllib.request.Request(f"{url}/event", data=line.encode(), headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    return url + "\n" + out, err


def test_serve_then_export_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    out, err = serve_and_post(db, sample_lines())
    assert "collecting at http://127.0.0.1:" in err and "stopped" in err
    assert "SessionStart" not in err  # no line per event without -v
    exported = run("export", "--db", str(db), "--project", "webshop", "--format", "ndjson")
    assert exported.returncode == 0
    assert len(exported.stdout.splitlines()) == 17
    target = tmp_path / "x.json"
    result = run("export", "--db", str(db), "--event-type", "PreToolUse", "--tool", "Bash", "--since", "1h", "-o", str(target))
    assert result.returncode == 0 and "exported 3 events" in result.stderr
    assert [e["summary"] for e in json.loads(target.read_text())] == ["npm test -- checkout", "npm run lint", "npm test -- checkout"]


def test_serve_verbose_logs_each_event(tmp_path: Path) -> None:
    _, err = serve_and_post(tmp_path / "v.db", sample_lines()[:2], ("-v",))
    assert "SessionStart" in err and "UserPromptSubmit" in err


def test_default_database_follows_env(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    process = subprocess.Popen([*CLI, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "CLAUDE_WATCH_DB": str(db), "CLAUDE_WATCH_SPOOL": str(tmp_path / "sp")})
    try:
        assert process.stdout.readline().startswith("http://")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert db.exists()


def _database_with_unindexed_events(path: Path, count: int) -> None:
    """`count` events stored by a store that leaves the search index alone, as a collector
    killed in the middle of a burst would leave them."""
    import asyncio

    from claude_watch.event import normalise
    from claude_watch.store import Store

    async def fill() -> None:
        store = await Store.open(path, indexing=False)
        try:
            payloads = [{"hook_event_name": "UserPromptSubmit", "session_id": "s1", "cwd": "/w/p",
                         "prompt": f"prompt n{i}n " + "x" * 400} for i in range(count)]
            await store.submit([normalise(json.dumps(p).encode(), {}, 1_700_000_000_000 + i) for i, p in enumerate(payloads)])
        finally:
            await store.close()

    asyncio.run(fill())


def _indexed_upto(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT indexed_upto FROM search_progress").fetchone()[0]


def test_export_reads_without_writing_the_search_index(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    _database_with_unindexed_events(db, 30)
    result = run("export", "--db", str(db), "--query", "prompt n7n", "--format", "ndjson")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["summary"].split()[:2] for line in result.stdout.splitlines()] == [["prompt", "n7n"]]
    assert _indexed_upto(db) == 0  # found by scanning the unindexed tail; the index is the collector's


def test_export_into_a_pipe_closed_early_ends_quietly(tmp_path: Path) -> None:
    """`claude-watch export | head -1`: the reader leaving is not an error."""
    db = tmp_path / "events.db"
    _database_with_unindexed_events(db, 1000)  # ~500 KB of NDJSON, far more than a pipe holds
    process = subprocess.Popen([*CLI, "export", "--db", str(db), "--format", "ndjson"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=60) == 0, err
    assert json.loads(first)["event_type"] == "UserPromptSubmit"
    assert err == ""

"""Nobody else gets in: loopback by default, a token off loopback, no way in from a web page
(content type, CORS, DNS rebinding), private files, and exports with no raw terminal controls."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_watch.cli import build_parser
from claude_watch.collector import DEFAULT_HOST, Collector, CollectorConfig, StartError
from claude_watch.event import normalise
from claude_watch.export import export_events
from claude_watch.store import EventFilter, Store
from tests.conftest import FakeClock

CLI = [sys.executable, "-m", "claude_watch"]
JSON = {"Content-Type": "application/json"}
HOOK = json.dumps({"session_id": "s1", "hook_event_name": "Stop", "cwd": "/code/webshop"})


def count_events(collector: Collector) -> int:
    with sqlite3.connect(collector.db_path) as db:
        return db.execute("SELECT count(*) FROM events").fetchone()[0]


def port_of(collector: Collector) -> int:
    return int(collector.address.rsplit(":", 1)[1])


# -- binding -------------------------------------------------------------------------------------


def test_default_bind_is_loopback() -> None:
    assert DEFAULT_HOST == "127.0.0.1" and CollectorConfig().host == "127.0.0.1"
    for argv in ([], ["serve"]):
        assert build_parser().parse_args(argv).host == "127.0.0.1"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.com", "0", "127.0.0.1.nip.io", "::ffff:127.0.0.1"])
async def test_non_loopback_bind_without_token_is_refused_before_listening(tmp_path: Path, host: str) -> None:
    collector = Collector(CollectorConfig(host=host, port=0, db_path=tmp_path / "e.db", spool_dir=tmp_path / "spool"))
    with pytest.raises(StartError, match="without a token"):
        await collector.start()
    assert collector.address is None
    await collector.stop()


async def test_non_loopback_bind_with_token_checks_it_on_every_route(tmp_path: Path) -> None:
    collector = Collector(
        CollectorConfig(host="0.0.0.0", port=0, token="s3cret", db_path=tmp_path / "e.db", spool_dir=tmp_path / "spool")
    )
    await collector.start()
    try:
        url = f"http://127.0.0.1:{port_of(collector)}"
        async with aiohttp.ClientSession(base_url=url) as http:
            for method, path in [("POST", "/event"), ("POST", "/events"), ("GET", "/events"), ("GET", "/health"),
                                 ("GET", "/projects"), ("GET", "/sessions"), ("GET", "/nope")]:
                for auth in (None, "Bearer nope", "Bearer s3cre", "Bearer s3cret2", "s3cret", "Basic czNjcmV0"):
                    headers = {**JSON, **({"Authorization": auth} if auth else {})}
                    async with http.request(method, path, data=HOOK, headers=headers) as response:
                        assert response.status == 401, (method, path, auth)
                        assert "token" in (await response.json())["error"]
            assert count_events(collector) == 0
            async with http.post("/event", data=HOOK, headers={**JSON, "Authorization": "Bearer s3cret"}) as response:
                assert response.status == 200
            assert count_events(collector) == 1
    finally:
        await collector.stop()


def test_serve_listens_on_loopback_by_default(tmp_path: Path) -> None:
    process = subprocess.Popen([*CLI, "serve", "--port", "0", "--db", str(tmp_path / "e.db")], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "CLAUDE_WATCH_SPOOL": str(tmp_path / "sp")})
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        port = int(url.rsplit(":", 1)[1])
        listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
        local = [line.split()[1] for line in listening if line.split()[3] == "0A"]  # LISTEN
        assert f"0100007F:{port:04X}" in local and f"00000000:{port:04X}" not in local
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


# -- a web page in the user's browser ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", None],
)
@pytest.mark.parametrize("path", ["/event", "/events"])
async def test_cross_site_form_or_simple_fetch_cannot_write(http, collector: Collector, content_type, path: str) -> None:
    headers = {"Origin": "https://evil.example", **({"Content-Type": content_type} if content_type else {})}
    async with http.post(path, data=HOOK.encode(), headers=headers, skip_auto_headers=["Content-Type"]) as response:
        assert response.status == 415
        assert "Content-Type" in (await response.json())["error"]
        assert not any(h.lower().startswith("access-control-") for h in response.headers)
    assert count_events(collector) == 0


@pytest.mark.parametrize("path", ["/event", "/events", "/health"])
async def test_cors_preflight_is_never_granted(http, collector: Collector, path: str) -> None:
    headers = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    async with http.options(path, headers=headers) as response:
        assert not 200 <= response.status < 300
        assert not any(h.lower().startswith("access-control-") for h in response.headers), dict(response.headers)
    assert count_events(collector) == 0


@pytest.mark.parametrize(("method", "path"), [("GET", "/events"), ("GET", "/health"), ("GET", "/projects"),
                                              ("GET", "/sessions"), ("POST", "/event"), ("POST", "/events")])
async def test_no_permissive_cors_headers_anywhere(http, method: str, path: str) -> None:
    for origin in ("https://evil.example", "null", "http://127.0.0.1"):
        async with http.request(method, path, data=HOOK, headers={**JSON, "Origin": origin}) as response:
            assert response.status < 500
            assert not any(h.lower().startswith("access-control-") for h in response.headers), dict(response.headers)


def rebinding_hosts(port: int) -> list[str]:
    return [
        f"evil.example:{port}", "evil.example", f"127.0.0.1.nip.io:{port}", f"localhost.:{port}", f"127.0.0.1:{port + 1}",
        f"evil.example@127.0.0.1:{port}", f"127.0.0.1:{port}.evil.example", "", f"0.0.0.0:{port}", f"[::ffff:127.0.0.1]:{port}",
    ]


@pytest.mark.parametrize(("method", "path"), [("GET", "/events"), ("GET", "/health"), ("GET", "/sessions"),
                                              ("GET", "/projects"), ("POST", "/event"), ("POST", "/events")])
async def test_dns_rebinding_host_is_refused(http, collector: Collector, method: str, path: str) -> None:
    for host in rebinding_hosts(port_of(collector)):
        async with http.request(method, path, data=HOOK, headers={**JSON, "Host": host}) as response:
            assert response.status == 421, (host, response.status)
            body = await response.json()
            assert "Host" in body["error"] and "events" not in body
    assert count_events(collector) == 0


async def test_own_addresses_are_answered(http, collector: Collector) -> None:
    port = port_of(collector)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        async with http.post("/event", data=HOOK, headers={**JSON, "Host": host}) as response:
            assert response.status == 200, host
    assert count_events(collector) == 4


# -- private files -------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_private_even_with_umask_0(tmp_path: Path) -> None:
    """Default paths (XDG data dir), a permissive umask, a real serve, a spool with a bad file,
    an export: every file 0600, every folder claude-watch makes 0700."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    env.pop("CLAUDE_WATCH_DB", None)
    env.pop("CLAUDE_WATCH_SPOOL", None)
    spool = tmp_path / "xdg" / "claude-watch" / "spool"

    def umask0() -> None:
        os.umask(0)

    process = subprocess.Popen([*CLI, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, preexec_fn=umask0)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if not url else url
        request = urllib.request.Request(f"{url}/event", data=HOOK.encode(), headers=JSON)
        assert urllib.request.urlopen(request, timeout=10).status == 200
        data_dir = tmp_path / "xdg" / "claude-watch"
        db = data_dir / "events.db"
        assert mode(data_dir) == 0o700
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert path.exists() and mode(path) == 0o600, (path, oct(mode(path)))
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    # a spool folder as the hook makes it, with a file the drainer must move aside
    os.umask(old := os.umask(0))
    try:
        spool.mkdir(mode=0o700)
        (spool / "1764241200123-1-ab.event").write_bytes(b"no headers, no blank line")
        exported = tmp_path / "out" / "export.json"
        exported.parent.mkdir()
        process = subprocess.Popen([*CLI, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=env, preexec_fn=umask0)
        try:
            assert process.stdout.readline().startswith("http://")  # the first drain ran before this line
            deadline = time.monotonic() + 10
            while not (spool / "rejected").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
        result = subprocess.run([*CLI, "export", "-o", str(exported)], env=env, preexec_fn=umask0, capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
    finally:
        os.umask(old)
    assert mode(spool / "rejected") == 0o700
    assert mode(spool / ".drain.lock") == 0o600
    assert mode(exported) == 0o600
    assert json.loads(exported.read_text())[0]["event_type"] == "Stop"


def test_explicit_db_path_folders_are_private(tmp_path: Path) -> None:
    db = tmp_path / "new" / "deeper" / "e.db"
    process = subprocess.Popen([*CLI, "serve", "--port", "0", "--db", str(db)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "CLAUDE_WATCH_SPOOL": str(tmp_path / "sp")},
                               preexec_fn=lambda: os.umask(0))
    try:
        assert process.stdout.readline().startswith("http://")
        assert mode(db.parent) == 0o700 and mode(db) == 0o600
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


# -- export: no raw terminal controls ------------------------------------------------------------

UNSAFE = {chr(c) for c in range(0x20) if c != 0x0A} | {chr(c) for c in range(0x7F, 0xA0)} | {"\u2028", "\u2029"}
nasty = st.text(st.sampled_from(sorted(UNSAFE) + ["a", " ", "[", "]", "\\", '"', "\u202e", "\ufeff", "é", "😀"]), max_size=30)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=nasty, key=nasty)
async def test_export_leaves_no_terminal_control_raw(store: Store, tmp_path: Path, text: str, key: str) -> None:
    payload = {"session_id": "s" + text, "hook_event_name": "PreToolUse", "tool_name": text or "Bash", "cwd": f"/x/{text}",
               "tool_input": {"command": text, key: [text]}, "prompt": text}
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    await store.submit([normalise(body, {"X-Claude-Watch-Project": text}, 1_795_000_000_000)])
    for fmt in ("json", "ndjson"):
        target = tmp_path / f"out.{fmt}"
        await export_events(store, EventFilter(), target, fmt)
        out = target.read_text(encoding="utf-8")
        assert not (set(out) & UNSAFE), sorted({hex(ord(c)) for c in set(out) & UNSAFE})
        rows = [json.loads(line) for line in out.splitlines()] if fmt == "ndjson" else json.loads(out)
        assert rows[-1]["payload"] == payload

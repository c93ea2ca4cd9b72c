"""`claude-watch hooks install | uninstall | status`: merging into realistic settings files.

Nothing here touches the real ~/.claude: home and project folders are tmp_path, passed as
parameters (or as HOME in the subprocess test).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from claude_watch import hooks_install as hi

REPO = Path(__file__).resolve().parents[1]

REALISTIC = {
    "$schema": "https://json.schemastore.org/claude-code-settings.json",
    "model": "claude-sonnet-4-5",
    "permissions": {
        "allow": ["Bash(npm test:*)", "Read(~/.zshrc)"],
        "deny": ["Read(./.env)", "Read(./secrets/**)"],
        "defaultMode": "acceptEdits",
    },
    "env": {"DISABLE_TELEMETRY": "1", "MAX_THINKING_TOKENS": "8000"},
    "statusLine": {"type": "command", "command": "~/.claude/statusline.sh", "padding": 0},
    "hooks": {
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [
                    {"type": "command", "command": "~/.claude/hooks/guard.py", "timeout": 10}
                ],
            }
        ],
        "PostToolUse": [
            {
                "matcher": "Edit|Write|MultiEdit",
                "hooks": [
                    {
                        "type": "command",
                        "command": "npx prettier --write \"$(jq -r .tool_input.file_path)\"",
                    }
                ],
            }
        ],
        "Stop": [{"hooks": [{"type": "command", "command": "afplay /System/Library/Sounds/Glass.aiff"}]}],
        "Notification": [
            {"matcher": "", "hooks": [{"type": "http", "url": "http://localhost:9000/notify"}]}
        ],
        "WorktreeCreate": [
            {"hooks": [{"type": "command", "command": "~/.claude/hooks/make-worktree.sh"}]}
        ],
    },
    "enabledPlugins": {"formatter@acme-tools": True},
    "includeCoAuthoredBy": False,
    "cleanupPeriodDays": 30,
    "alwaysThinkingEnabled": True,
    "outputStyle": "Explanatory",
    "spinnerTipsEnabled": None,
    "feedbackSurveyRate": 0.05,
    "companyAnnouncements": ["Bienvenue, café ✓ — 日本語"],
}


def write_json(path: Path, data: object, indent: int | None = 4) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data, indent=indent, ensure_ascii=False).encode()
    path.write_bytes(raw)
    return raw


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".bak-*"))


def our_groups(settings: dict, event: str) -> list[dict]:
    return [
        g
        for g in settings["hooks"].get(event, [])
        if any(hi.is_ours(h) for h in g.get("hooks", []))
    ]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "code" / "webshop"
    p.mkdir(parents=True)
    return p


@pytest.fixture(autouse=True)
def _no_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("CLAUDE_WATCH_URL", raising=False)


def test_scope_paths(home: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert hi.settings_path("user", home=home) == home / ".claude/settings.json"
    assert hi.settings_path("project", project_dir=project) == project / ".claude/settings.json"
    assert hi.settings_path("local", project_dir=project) == project / ".claude/settings.local.json"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(home / "cfg"))
    assert hi.settings_path("user") == home / "cfg/settings.json"


def test_hook_script_path_exists_and_is_the_shipped_script() -> None:
    path = hi.hook_script_path()
    assert path.is_file() and path.name == "claude-watch-hook"
    assert path.read_text().startswith("#!/bin/sh")


@pytest.mark.parametrize("scope", hi.SCOPES)
def test_install_again_uninstall_round_trip(
    scope: str, home: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hi.settings_path(scope, home=home, project_dir=project)
    original_bytes = write_json(path, REALISTIC)

    assert hi.install(scope, home=home, project_dir=project) == 0
    installed_bytes = path.read_bytes()
    installed = json.loads(installed_bytes)
    # the previous file was saved beside it, byte for byte
    [bak] = backups(path)
    assert bak.read_bytes() == original_bytes

    # every other setting untouched, in the same order
    for key, value in REALISTIC.items():
        if key != "hooks":
            assert installed[key] == value
    assert list(installed) == list(REALISTIC)
    # every other hook still there, first in its event, unchanged
    for event, groups in REALISTIC["hooks"].items():
        assert installed["hooks"][event][: len(groups)] == groups

    command = hi.hook_command()
    for event in hi.EVENTS:
        [group] = our_groups(installed, event)
        assert group["hooks"] == [
            {"type": "command", "command": command, "timeout": 5, "async": True}
        ]
        if event in hi.MATCHER_EVENTS:
            assert group["matcher"] == "*"
        else:
            assert "matcher" not in group
    # the observer never registers where a hook replaces Claude's own behaviour
    assert our_groups(installed, "WorktreeCreate") == []
    assert command.startswith("/bin/sh /") and command.endswith("/claude-watch-hook")

    # again: nothing changes, not even the bytes, and no new backup
    assert hi.install(scope, home=home, project_dir=project) == 0
    assert path.read_bytes() == installed_bytes
    assert len(backups(path)) == 1
    assert "no change" in capsys.readouterr().out

    assert hi.uninstall(scope, home=home, project_dir=project) == 0
    assert json.loads(path.read_bytes()) == REALISTIC
    assert list(json.loads(path.read_bytes())) == list(REALISTIC)
    assert len(backups(path)) == 2

    # uninstall again: nothing to do
    before = path.read_bytes()
    assert hi.uninstall(scope, home=home, project_dir=project) == 0
    assert path.read_bytes() == before


def test_install_into_missing_file_and_folder(home: Path) -> None:
    path = home / ".claude" / "settings.json"
    assert hi.install("user", home=home) == 0
    data = json.loads(path.read_text())
    assert set(data) == {"hooks"}
    assert set(data["hooks"]) == set(hi.EVENTS)
    assert backups(path) == []  # nothing to back up
    assert hi.uninstall("user", home=home) == 0
    assert json.loads(path.read_text()) == {}


def test_settings_without_hooks_key_round_trip(home: Path) -> None:
    original = {"model": "opus", "permissions": {"allow": []}}
    path = home / ".claude" / "settings.json"
    write_json(path, original)
    assert hi.install("user", home=home) == 0
    assert hi.uninstall("user", home=home) == 0
    assert json.loads(path.read_text()) == original


@pytest.mark.parametrize(
    "text",
    ['{"model": "opus",}', "{'model': 'opus'}", '["not", "an", "object"]', '{"hooks": []}', "\x00"],
)
def test_invalid_settings_left_untouched(
    text: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / ".claude" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    for op in (lambda: hi.install("user", home=home), lambda: hi.uninstall("user", home=home)):
        assert op() == 1
        err = capsys.readouterr().err
        assert err.startswith("claude-watch: error: ") and err.count("\n") == 1
        assert str(path) in err
        assert path.read_text() == text
    assert backups(path) == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_dry_run_prints_diff_and_writes_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / ".claude" / "settings.json"
    original = write_json(path, REALISTIC)
    assert hi.install("user", dry_run=True, home=home) == 0
    out = capsys.readouterr().out
    assert "dry run" in out
    assert "+++ " in out and "claude-watch-hook" in out
    assert sum(1 for line in out.splitlines() if line.startswith("+") and '"async": true' in line) == len(hi.EVENTS)
    assert path.read_bytes() == original
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]

    # dry-run uninstall shows the removal only
    hi.install("user", home=home)
    installed = path.read_bytes()
    capsys.readouterr()
    assert hi.uninstall("user", dry_run=True, home=home) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("-") and "claude-watch-hook" in line for line in out.splitlines())
    assert not any(line.startswith("+") and "claude-watch-hook" in line for line in out.splitlines())
    assert path.read_bytes() == installed

    # dry run on a file that does not exist
    other = home / "proj"
    other.mkdir()
    assert hi.install("local", dry_run=True, project_dir=other) == 0
    assert "/dev/null" in capsys.readouterr().out
    assert not (other / ".claude").exists()


def test_reinstall_with_new_url_replaces_ours_only(home: Path) -> None:
    path = home / ".claude" / "settings.json"
    write_json(path, REALISTIC)
    assert hi.install("user", home=home) == 0
    assert hi.install("user", url="http://10.0.0.5:4820/", home=home) == 0
    data = json.loads(path.read_text())
    for event in hi.EVENTS:
        [group] = our_groups(data, event)
        [handler] = group["hooks"]
        assert handler["command"].startswith("CLAUDE_WATCH_URL=http://10.0.0.5:4820 /bin/sh ")
        assert hi.url_of_command(handler["command"]) == "http://10.0.0.5:4820"
    assert hi.uninstall("user", home=home) == 0
    assert json.loads(path.read_text()) == REALISTIC


def test_uninstall_keeps_foreign_handlers_sharing_a_group(home: Path) -> None:
    """Someone hand-added our handler into their own group: only ours goes."""
    ours = hi.hook_handler(hi.hook_command())
    theirs = {"type": "command", "command": "~/bin/log-tool"}
    settings = {"hooks": {"PostToolUse": [{"matcher": "*", "hooks": [theirs, ours]}]}}
    path = home / ".claude" / "settings.json"
    write_json(path, settings)
    assert hi.uninstall("user", home=home) == 0
    assert json.loads(path.read_text()) == {
        "hooks": {"PostToolUse": [{"matcher": "*", "hooks": [theirs]}]}
    }


def test_install_removes_duplicates_of_ours(home: Path) -> None:
    cmd = hi.hook_command()
    dup = {"matcher": "*", "hooks": [hi.hook_handler(cmd)]}
    path = home / ".claude" / "settings.json"
    write_json(path, {"hooks": {"PreToolUse": [dup, dup]}})
    assert hi.install("user", home=home) == 0
    data = json.loads(path.read_text())
    assert len(our_groups(data, "PreToolUse")) == 1


def test_symlinked_settings_written_through(home: Path, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "claude-settings.json"
    write_json(dotfiles, REALISTIC)
    os.chmod(dotfiles, 0o600)
    link = home / ".claude" / "settings.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(dotfiles)
    assert hi.install("user", home=home) == 0
    assert link.is_symlink()
    assert set(json.loads(dotfiles.read_text())["hooks"]) >= set(hi.EVENTS)
    assert dotfiles.stat().st_mode & 0o777 == 0o600
    assert hi.uninstall("user", home=home) == 0
    assert json.loads(dotfiles.read_text()) == REALISTIC


def test_status_reports_scopes_url_collector_and_spool(
    home: Path, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool = tmp_path / "spool"
    (spool / "rejected").mkdir(parents=True)
    for i in range(3):
        (spool / f"176424120012{i}-1-{i}.event").write_text("x")
    (spool / ".tmp-1-1.event").write_text("x")
    (spool / "rejected" / "1-1-1.event").write_text("x")
    write_json(hi.settings_path("project", project_dir=project), REALISTIC)
    hi.install("local", url="http://127.0.0.1:4999", project_dir=project)
    capsys.readouterr()

    checked: list[str] = []

    def check(url: str) -> tuple[bool, str]:
        checked.append(url)
        return False, "not answering (connection refused)"

    assert hi.status(home=home, project_dir=project, spool_dir=spool, check=check) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("user") and "no file" in line for line in lines)
    assert any(line.startswith("project") and "not installed" in line for line in lines)
    assert any(
        line.startswith("local") and "installed on" in line and "http://127.0.0.1:4999" in line
        for line in lines
    )
    assert checked == ["http://127.0.0.1:4999"]
    assert "collector http://127.0.0.1:4999: not answering" in out
    assert f"spool {spool}: 3 event(s) waiting, 1 rejected" in out


def test_check_collector_down() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ok, desc = hi.check_collector(f"http://127.0.0.1:{port}", timeout=0.5)
    assert not ok and desc.startswith("not answering")


def test_argparse_wiring(home: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser(prog="claude-watch")
    sub = parser.add_subparsers(dest="command")
    hi.add_parser(sub)
    monkeypatch.setenv("HOME", str(home))
    args = parser.parse_args(
        ["hooks", "install", "--scope", "local", "--project-dir", str(project), "--url", "http://127.0.0.1:5000"]
    )
    assert args.func(args) == 0
    data = json.loads((project / ".claude/settings.local.json").read_text())
    assert set(data["hooks"]) == set(hi.EVENTS)
    args = parser.parse_args(["hooks", "uninstall", "--scope", "local", "--project-dir", str(project)])
    assert args.func(args) == 0
    assert json.loads((project / ".claude/settings.local.json").read_text()) == {}
    with pytest.raises(SystemExit):
        parser.parse_args(["hooks", "install", "--scope", "global"])
    with pytest.raises(SystemExit):
        parser.parse_args(["hooks"])


def test_cli_subprocess_uses_home(home: Path, tmp_path: Path) -> None:
    """`claude-watch hooks install` end to end, with HOME pointing at a scratch folder."""
    path = home / ".claude" / "settings.json"
    write_json(path, REALISTIC)
    env = {**os.environ, "HOME": str(home), "CLAUDE_WATCH_SPOOL": str(tmp_path / "spool")}
    env.pop("CLAUDE_CONFIG_DIR", None)

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "claude_watch", "hooks", *argv],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=30,
        )

    r = cli("install")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(path.read_text())["hooks"]) >= set(hi.EVENTS)
    r = cli("status")
    assert r.returncode == 0, r.stderr
    assert "user" in r.stdout and "installed on" in r.stdout
    r = cli("uninstall")
    assert r.returncode == 0, r.stderr
    assert json.loads(path.read_text()) == REALISTIC

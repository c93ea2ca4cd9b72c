"""`claude-watch hooks install | uninstall | status`: register the hook in Claude Code settings.

The hook we register, for every event type Claude Code sends (see EVENTS):

    {"type": "command", "command": "/bin/sh '/abs/.../claude-watch-hook'", "timeout": 5, "async": true}

inside its own matcher group (``"matcher": "*"`` on events that take matchers). Our entries are
recognised by their command, which always runs a file named ``claude-watch-hook``, so uninstall
removes exactly those and nothing else.

Settings files are merged, never rewritten wholesale: every other key and every other hook keeps
its value and order; installing twice changes nothing (the file is not even rewritten); a file
that is not a JSON object is left untouched with a one-line error (exit 1); before a change, the
previous file is copied beside it (``settings.json.bak-YYYYmmdd-HHMMSS``) and the new one is
written to a temporary file in the same folder and renamed over it.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARKER = "claude-watch-hook"
DEFAULT_URL = "http://127.0.0.1:4820"
HOOK_TIMEOUT_S = 5
SCOPES = ("user", "project", "local")

#: Every hook event in the reference (../shared/reference/claude-code-hooks.md), except
#: WorktreeCreate: a WorktreeCreate command hook *replaces* Claude Code's own `git worktree`
#: step and must print the new worktree's path, so registering an observer there would break
#: worktree creation -- the one thing an observer must never do.
EVENTS: tuple[str, ...] = (
    "SessionStart",
    "SessionEnd",
    "Setup",
    "UserPromptSubmit",
    "UserPromptExpansion",
    "PreToolUse",
    "PermissionRequest",
    "PermissionDenied",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "Notification",
    "SubagentStart",
    "SubagentStop",
    "Stop",
    "StopFailure",
    "PreCompact",
    "PostCompact",
    "TaskCreated",
    "TaskCompleted",
    "TeammateIdle",
    "InstructionsLoaded",
    "MessageDisplay",
    "ConfigChange",
    "CwdChanged",
    "DirectoryAdded",
    "FileChanged",
    "WorktreeRemove",
    "Elicitation",
    "ElicitationResult",
)
SKIPPED_EVENTS = ("WorktreeCreate",)

#: Events whose matcher group takes a `matcher` (tool events, SessionStart, SessionEnd,
#: Notification, PreCompact and the few others that filter on a field); `*` = all.
#: FileChanged is left out on purpose: its matcher names the files to watch.
MATCHER_EVENTS = frozenset(
    {
        "PreToolUse",
        "PermissionRequest",
        "PermissionDenied",
        "PostToolUse",
        "PostToolUseFailure",
        "SessionStart",
        "SessionEnd",
        "Notification",
        "PreCompact",
        "PostCompact",
        "SubagentStart",
        "SubagentStop",
        "StopFailure",
        "ConfigChange",
        "InstructionsLoaded",
        "Elicitation",
        "ElicitationResult",
    }
)


class SettingsError(Exception):
    """A settings file we must not touch (not JSON, not an object, unexpected shape)."""


# --------------------------------------------------------------------------------------------
# Where things are
# --------------------------------------------------------------------------------------------
def hook_script_path() -> Path:
    """The hook script: inside the installed package, else `<repo>/hooks/` in a source checkout."""
    here = Path(__file__).resolve().parent
    candidates = (here / "_hook" / MARKER, here.parent / "hooks" / MARKER)
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"hook script not found (looked at {', '.join(str(p) for p in candidates)})"
    )


def settings_path(
    scope: str, *, home: Path | None = None, project_dir: Path | None = None
) -> Path:
    """The settings file of a scope. `home`/`project_dir` default to $HOME and the cwd.

    The user scope honours CLAUDE_CONFIG_DIR, as Claude Code does.
    """
    if scope == "user":
        config_dir = os.environ.get("CLAUDE_CONFIG_DIR")
        if config_dir and home is None:
            return Path(config_dir).expanduser() / "settings.json"
        return (home if home is not None else Path.home()) / ".claude" / "settings.json"
    root = project_dir if project_dir is not None else Path.cwd()
    if scope == "project":
        return root / ".claude" / "settings.json"
    if scope == "local":
        return root / ".claude" / "settings.local.json"
    raise ValueError(f"unknown scope {scope!r} (choose from {', '.join(SCOPES)})")


def normalise_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url.rstrip("/")


def hook_command(url: str | None = None, script: Path | None = None) -> str:
    """The shell command Claude Code runs: `/bin/sh <abs script>`, with the URL when given."""
    script = script if script is not None else hook_script_path()
    cmd = f"/bin/sh {shlex.quote(str(Path(script).resolve()))}"
    if url:
        cmd = f"CLAUDE_WATCH_URL={shlex.quote(normalise_url(url))} {cmd}"
    return cmd


def hook_handler(command: str) -> dict[str, Any]:
    return {"type": "command", "command": command, "timeout": HOOK_TIMEOUT_S, "async": True}


def is_ours(handler: Any) -> bool:
    return (
        isinstance(handler, dict)
        and handler.get("type", "command") == "command"
        and isinstance(handler.get("command"), str)
        and MARKER in handler["command"]
    )


def url_of_command(command: str) -> str | None:
    """The CLAUDE_WATCH_URL assignment baked into a command, if any."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    for word in words:
        name, eq, value = word.partition("=")
        if not eq or not name.isidentifier():
            break
        if name == "CLAUDE_WATCH_URL":
            return value
    return None


def script_of_command(command: str) -> str | None:
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    for word in words:
        if word.endswith(MARKER):
            return word
    return None


# --------------------------------------------------------------------------------------------
# Reading, merging, writing
# --------------------------------------------------------------------------------------------
def load_settings(path: Path) -> tuple[dict[str, Any], str | None]:
    """(settings, original text). A missing or empty file is `{}`; anything else must be an object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from None
    if not text.strip():
        return {}, text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "left untouched, fix it and run again"
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path} does not hold a JSON object; left untouched")
    hooks = data.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise SettingsError(f'{path}: "hooks" is not an object; left untouched')
    return data, text


def _strip_ours(groups: list[Any]) -> bool:
    """Remove our handlers from an event's matcher groups (in place). True if any removed.

    A group is removed only when it held nothing but ours.
    """
    changed = False
    for group in list(groups):
        if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
            continue
        kept = [h for h in group["hooks"] if not is_ours(h)]
        if len(kept) == len(group["hooks"]):
            continue
        changed = True
        if kept:
            group["hooks"] = kept
        else:
            groups.remove(group)
    return changed


def _desired_group(event: str, command: str) -> dict[str, Any]:
    group: dict[str, Any] = {}
    if event in MATCHER_EVENTS:
        group["matcher"] = "*"
    group["hooks"] = [hook_handler(command)]
    return group


def merge_install(
    settings: dict[str, Any], command: str, events: tuple[str, ...] = EVENTS
) -> dict[str, Any]:
    """A copy of `settings` with our hook on every event; unchanged if it is already there."""
    new = copy.deepcopy(settings)
    hooks = new.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise SettingsError('"hooks" is not an object')
    for event in events:
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise SettingsError(f'"hooks.{event}" is not a list')
        want = _desired_group(event, command)
        ours = [g for g in groups if isinstance(g, dict) and any(map(is_ours, g.get("hooks") or []))]
        if len(ours) == 1 and ours[0] == want:
            continue
        _strip_ours(groups)
        groups.append(want)
    return new


def merge_uninstall(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of `settings` without any of our handlers; containers we emptied are removed."""
    new = copy.deepcopy(settings)
    hooks = new.get("hooks")
    if not isinstance(hooks, dict):
        return new
    removed_any = False
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        if _strip_ours(groups):
            removed_any = True
            if not groups:
                del hooks[event]
    if removed_any and not hooks:
        del new["hooks"]
    return new


def installed_events(settings: dict[str, Any]) -> dict[str, list[str]]:
    """event -> our commands registered on it."""
    out: dict[str, list[str]] = {}
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return out
    for event, groups in hooks.items():
        if not isinstance(groups, list):
            continue
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                for h in group["hooks"]:
                    if is_ours(h):
                        out.setdefault(event, []).append(h["command"])
    return out


def render(settings: dict[str, Any]) -> str:
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def diff_text(path: Path, old_text: str | None, new_text: str) -> str:
    old_lines = (old_text or "").splitlines(keepends=True)
    if old_lines and not old_lines[-1].endswith("\n"):
        old_lines[-1] += "\n"
    return "".join(
        difflib.unified_diff(
            old_lines,
            new_text.splitlines(keepends=True),
            fromfile=f"{path} (now)" if old_text is not None else "/dev/null",
            tofile=f"{path} (after)",
        )
    )


def backup_file(path: Path, clock: Callable[[], float] = time.time) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
    target = path.with_name(f"{path.name}.bak-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.bak-{stamp}-{n}")
        n += 1
    shutil.copy2(path, target)
    return target


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, fsync, then rename over it.

    A symlinked settings file (dotfile managers) is written through to its target; the
    previous file's permission bits are kept.
    """
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode if mode is not None else 0o644 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------
def _apply(path: Path, change: Callable[[dict[str, Any]], dict[str, Any]], dry_run: bool,
           verb: str) -> int:
    try:
        settings, old_text = load_settings(path)
        new = change(settings)
    except SettingsError as exc:
        print(f"claude-watch: error: {exc}", file=sys.stderr)
        return 1
    if new == settings:
        print(f"{path}: no change (already {verb})")
        return 0
    new_text = render(new)
    if dry_run:
        print(f"{path}: would change (dry run, nothing written):")
        sys.stdout.write(diff_text(path, old_text, new_text))
        return 0
    try:
        backup = backup_file(path) if old_text is not None else None
        write_atomic(path, new_text)
    except OSError as exc:
        print(f"claude-watch: error: cannot write {path}: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: {verb}" + (f" (previous file saved as {backup})" if backup else ""))
    return 0


def install(
    scope: str = "user",
    url: str | None = None,
    dry_run: bool = False,
    *,
    home: Path | None = None,
    project_dir: Path | None = None,
    script: Path | None = None,
) -> int:
    try:
        command = hook_command(url, script)
    except (ValueError, FileNotFoundError) as exc:
        print(f"claude-watch: error: {exc}", file=sys.stderr)
        return 1
    path = settings_path(scope, home=home, project_dir=project_dir)
    rc = _apply(path, lambda s: merge_install(s, command), dry_run, "installed")
    if rc == 0 and not dry_run:
        print(f"hook command ({len(EVENTS)} events, async, timeout {HOOK_TIMEOUT_S}s): {command}")
    return rc


def uninstall(
    scope: str = "user",
    dry_run: bool = False,
    *,
    home: Path | None = None,
    project_dir: Path | None = None,
) -> int:
    path = settings_path(scope, home=home, project_dir=project_dir)
    return _apply(path, merge_uninstall, dry_run, "uninstalled")


def check_collector(url: str, timeout: float = 1.0) -> tuple[bool, str]:
    """(answers?, description) for GET <url>/health."""
    req = urllib.request.Request(url.rstrip("/") + "/health")
    token = os.environ.get("CLAUDE_WATCH_TOKEN")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return True, f"up (HTTP {resp.status})"
    except urllib.error.HTTPError as exc:
        return True, f"answers, but /health said HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"not answering ({reason})"


def spool_backlog(spool_dir: Path) -> tuple[int, int]:
    """(events waiting, rejected files) in a spool folder."""

    def count(folder: Path) -> int:
        try:
            with os.scandir(folder) as it:
                return sum(1 for e in it if e.name.endswith(".event") and not e.name.startswith("."))
        except OSError:
            return 0

    return count(spool_dir), count(spool_dir / "rejected")


def status(
    *,
    home: Path | None = None,
    project_dir: Path | None = None,
    spool_dir: Path | None = None,
    check: Callable[[str], tuple[bool, str]] = check_collector,
) -> int:
    default_url = normalise_url(os.environ.get("CLAUDE_WATCH_URL") or DEFAULT_URL)
    try:
        print(f"hook script: {hook_script_path()}")
    except FileNotFoundError as exc:
        print(f"hook script: MISSING ({exc})")
    urls: dict[str, None] = {}
    for scope in SCOPES:
        path = settings_path(scope, home=home, project_dir=project_dir)
        try:
            settings, text = load_settings(path)
        except SettingsError as exc:
            print(f"{scope:<8} {path}: unreadable: {exc}")
            continue
        if text is None:
            print(f"{scope:<8} {path}: no file")
            continue
        found = installed_events(settings)
        if not found:
            print(f"{scope:<8} {path}: not installed")
            continue
        commands = {c for cmds in found.values() for c in cmds}
        scope_urls = sorted({url_of_command(c) or default_url for c in commands})
        urls.update(dict.fromkeys(scope_urls))
        missing = [e for e in EVENTS if e not in found]
        where = f"{len(found)} event types" + (f" (missing: {', '.join(missing)})" if missing else "")
        print(f"{scope:<8} {path}: installed on {where} -> {', '.join(scope_urls)}")
        for c in sorted(commands):
            script = script_of_command(c)
            if script and not Path(script).is_file():
                print(f"         warning: {script} does not exist; run `claude-watch hooks install` again")
    if not urls:
        urls[default_url] = None
    for url in urls:
        _, desc = check(url)
        print(f"collector {url}: {desc}")
    if spool_dir is None:
        from claude_watch.paths import default_spool_dir

        spool_dir = default_spool_dir()
    waiting, rejected = spool_backlog(spool_dir)
    print(f"spool {spool_dir}: {waiting} event(s) waiting" + (f", {rejected} rejected" if rejected else ""))
    return 0


# --------------------------------------------------------------------------------------------
# CLI wiring (cli.py calls add_parser; the parser's func(args) returns the exit code)
# --------------------------------------------------------------------------------------------
def _project_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        help="project root for the project/local scopes (default: current directory)",
    )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "hooks",
        help="install, remove or inspect the Claude Code hook",
        description="Register the claude-watch hook in Claude Code settings (merging, reversibly).",
    )
    sub = parser.add_subparsers(dest="hooks_command", metavar="{install,uninstall,status}")
    sub.required = True

    p = sub.add_parser("install", help="register the hook for every event type")
    p.add_argument("--scope", choices=SCOPES, default="user",
                   help="user: ~/.claude/settings.json; project: .claude/settings.json; "
                        "local: .claude/settings.local.json (default: user)")
    p.add_argument("--url", default=None,
                   help=f"collector URL baked into the command (default: $CLAUDE_WATCH_URL or {DEFAULT_URL} at run time)")
    p.add_argument("--dry-run", action="store_true", help="print the change, write nothing")
    _project_dir_arg(p)

    p = sub.add_parser("uninstall", help="remove exactly the hooks install added")
    p.add_argument("--scope", choices=SCOPES, default="user")
    p.add_argument("--dry-run", action="store_true", help="print the change, write nothing")
    _project_dir_arg(p)

    p = sub.add_parser("status", help="where the hook is installed, collector and spool state")
    _project_dir_arg(p)

    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    cmd = getattr(args, "hooks_command", None)
    project_dir = getattr(args, "project_dir", None)
    if cmd == "install":
        return install(args.scope, args.url, args.dry_run, project_dir=project_dir)
    if cmd == "uninstall":
        return uninstall(args.scope, args.dry_run, project_dir=project_dir)
    if cmd == "status":
        return status(project_dir=project_dir)
    print("claude-watch: error: hooks needs one of install, uninstall, status", file=sys.stderr)
    return 2

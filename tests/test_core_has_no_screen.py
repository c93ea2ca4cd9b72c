"""The core knows no screen: importing every module outside claude_watch/tui/ loads no Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import claude_watch

CORE_MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages([str(Path(claude_watch.__file__).parent)], prefix="claude_watch.")
    if not module.name.startswith("claude_watch.tui") and module.name != "claude_watch.__main__"
)


def test_core_modules_import_without_textual() -> None:
    assert "claude_watch.store.store" in CORE_MODULES and "claude_watch.cli" in CORE_MODULES
    code = (
        "import sys, importlib\n"
        f"for name in {CORE_MODULES!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"core imported Textual: {result.stdout}"

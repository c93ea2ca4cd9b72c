"""Make text that came from agents safe to put on a terminal.

Prompts, commands and file contents can carry ANSI colour codes, OSC sequences (terminal title,
hyperlinks, clipboard writes) and bare control characters. Shown raw they would repaint, retitle
or even write to the user's clipboard, so every path from outside text to a screen or an export
goes through `clean`. Rich markup escaping is the UI's job on top of this.
"""

from __future__ import annotations

import re

# OSC, DCS, SOS, PM and APC strings run until BEL or ST (ESC \); an unterminated one runs to the end.
_STRING_SEQUENCE = re.compile(r"\x1b[\]PX^_].*?(?:\x07|\x1b\\|\x9c|$)", re.DOTALL)
_CSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?")
_OTHER_ESCAPE = re.compile(r"\x1b[ -/]*[0-~]?")
# Every C0 control but tab and newline, DEL, and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WHITESPACE_RUN = re.compile(r"\s+")


def clean(text: str, tab_size: int = 4) -> str:
    """Strip escape sequences and control characters; keep newlines, expand tabs."""
    if not text:
        return ""
    if text.isprintable():  # the common case: nothing to strip (str.isprintable is C-fast)
        return text
    text = _STRING_SEQUENCE.sub("", text)
    text = _CSI.sub("", text)
    text = _OTHER_ESCAPE.sub("", text)
    text = text.replace("\r\n", "\n")
    text = _CONTROL.sub("", text)
    if "\t" in text:
        text = text.expandtabs(tab_size)
    return text


def one_line(text: str, limit: int = 300) -> str:
    """Clean text folded onto one line (runs of whitespace become one space) and cut to `limit`."""
    folded = text.strip() if text.isprintable() else _WHITESPACE_RUN.sub(" ", clean(text)).strip()
    if len(folded) > limit:
        folded = folded[: limit - 1] + "…"
    return folded

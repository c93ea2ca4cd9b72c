"""Times as people and clients write them: ISO 8601, epoch milliseconds, or `30m` ago."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


class BadTime(ValueError):
    pass


def _from_iso(text: str) -> int | None:
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        # A time without a zone is the user's local time, as `date` would show it.
        moment = moment.astimezone()
    return int(moment.astimezone(timezone.utc).timestamp() * 1000)


def parse_time(text: str, now: int) -> int:
    """A user's time (`--since`, `?since=`): ISO 8601, `30m`/`2h`/`7d` ago, or epoch ms."""
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = relative.groups()
        return now - int(float(amount) * _UNIT_MS[unit.lower()])
    if text.strip().isdigit():
        return int(text.strip())
    parsed = _from_iso(text)
    if parsed is None:
        raise BadTime(
            f"cannot read time {text!r}: use ISO 8601 (2026-11-27T10:00:00Z) or an age such as 30m, 2h, 7d"
        )
    return parsed


def parse_header_time(text: str) -> int | None:
    """The hook's capture time: epoch ms digits (or ISO 8601). None when absent or unreadable."""
    if not text:
        return None
    if text.isdigit():
        return int(text) if len(text) <= 16 else None
    return _from_iso(text)

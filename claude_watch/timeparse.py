"""Times as people and clients write them: ISO 8601, epoch milliseconds, or `30m` ago."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


# Times outside years 1970-9999 are typing mistakes, and Python's datetime cannot hold them anyway.
MAX_MS = 253_402_300_799_999


class BadTime(ValueError):
    pass


def _in_range(ms: int | None) -> int | None:
    return ms if ms is not None and 0 <= ms <= MAX_MS else None


def _from_iso(text: str) -> int | None:
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
        if moment.tzinfo is None:
            # A time without a zone is the user's local time, as `date` would show it.
            moment = moment.astimezone()
        return _in_range(int(moment.astimezone(timezone.utc).timestamp() * 1000))
    except (ValueError, OverflowError, OSError):
        return None


def parse_time(text: str, now: int) -> int:
    """A user's time (`--since`, `?since=`): ISO 8601, `30m`/`2h`/`7d` ago, or epoch ms."""
    relative = _RELATIVE.match(text)
    parsed: int | None
    if relative:
        amount, unit = relative.groups()
        ago = float(amount) * _UNIT_MS[unit.lower()]
        parsed = now - int(ago) if ago <= MAX_MS else None
        if parsed is None:
            raise BadTime(f"age {text!r} reaches before 1970")
        return parsed
    if text.strip().isdigit():
        parsed = _in_range(int(text.strip())) if len(text.strip()) <= 16 else None
    else:
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
        return _in_range(int(text)) if len(text) <= 16 else None
    return _from_iso(text)

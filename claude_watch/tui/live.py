"""Arrival bookkeeping between store commits and the next repaint.

The store calls back after each commit (in the loop); this only counts and remembers a little,
so a burst of thousands of events a second costs a few integer additions. The app drains it
on a timer (a few times a second) and repaints once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from claude_watch.tui.query import ViewFilter


@dataclass
class Arrivals:
    """What arrived since the last drain."""

    events: int = 0
    matching: int = 0  # of those, how many the current view filter keeps
    oldest_ts: int | None = None  # to notice late (spooled) events older than the view's top


class RateMeter:
    """Events per second, in one-second buckets over the last `span_s` seconds."""

    def __init__(self, clock: Callable[[], int], span_s: int = 180) -> None:
        self.clock = clock
        self.span_s = span_s
        self.buckets: deque[int] = deque([0] * span_s, maxlen=span_s)
        self.current_second = clock() // 1000

    def _advance(self) -> None:
        second = self.clock() // 1000
        gap = second - self.current_second
        if gap > 0:
            for _ in range(min(gap, self.span_s)):
                self.buckets.append(0)
            self.current_second = second

    def add(self, n: int) -> None:
        self._advance()
        self.buckets[-1] += n

    def series(self) -> list[float]:
        self._advance()
        return [float(b) for b in self.buckets]

    def per_second(self, window_s: int = 5) -> float:
        """Average over the last `window_s` complete seconds plus the current one."""
        self._advance()
        recent = list(self.buckets)[-(window_s + 1) :]
        return sum(recent) / max(1, len(recent))


class LiveFeed:
    def __init__(self, clock: Callable[[], int]) -> None:
        self.rate = RateMeter(clock)
        self.pending = Arrivals()
        self.view_filter = ViewFilter()

    def on_commit(self, events: list[Any]) -> None:
        """Store subscriber: called in the loop after each commit."""
        n = len(events)
        if not n:
            return
        self.rate.add(n)
        pending = self.pending
        pending.events += n
        matches = self.view_filter.matches
        for event in events:
            if matches(event):
                pending.matching += 1
                if pending.oldest_ts is None or event.ts < pending.oldest_ts:
                    pending.oldest_ts = event.ts

    def drain(self) -> Arrivals:
        taken, self.pending = self.pending, Arrivals()
        return taken

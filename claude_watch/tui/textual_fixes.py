"""A fix to Textual's rendering for a long-running, always-repainting app.

`Strip.divide` keeps its answer in the strip's own cache; when the only cut is the strip's
end the answer is `[self]`, and the strip refers to itself. The compositor divides every
line of every widget it draws that way, so each repaint left its lines as reference cycles
with their segments and caches (seven per strip) for the cycle collector: ~140 strips a
second in a burst of 1,000 events/s, each a few dozen objects, making full collections more
frequent and slower, and they hold the loop, and the HTTP server in it, while they run.
Answering that case before the cache keeps the same result without the cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.strip import Strip

_divide = Strip.divide


def _divide_without_self_reference(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    cuts = list(cuts)
    length = self.cell_length
    if [cut for cut in cuts if cut <= length] == [length]:
        return [self]  # what Strip.divide answers, not kept in the strip's own cache
    return _divide(self, cuts)


def apply() -> None:
    """Install the fix (idempotent). The TUI calls it on import."""
    Strip.divide = _divide_without_self_reference  # type: ignore[method-assign]

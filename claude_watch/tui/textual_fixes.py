"""Fixes to Textual for a long-running, always-repainting app: no reference cycles per repaint.

Python's cycle collector holds the loop, and the HTTP server in it, while it walks the heap;
Textual left two kinds of cycles behind on every repaint, and they made those walks frequent
and slow (full collections of 150-215 ms during a burst of 1,000 events/s). Both fixes keep
the results exactly as they were:

- `Strip.divide` keeps its answer in the strip's own cache; when the only cut is the strip's
  end the answer is `[self]`, and the strip refers to itself. The compositor divides every
  line of every widget it draws that way (~140 strips a second in that burst, each a few dozen
  objects with its segments and seven caches). That case is answered before the cache.
- `LRUCache.clear()` drops its ring of `[previous, next, key, value]` entries whole: a cycle
  with everything cached in it. DataTable clears its render caches that way, and the monitor's
  tables clear them on every update (~17,000 objects a second in that burst). The entries are
  unlinked first, so they are freed at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.cache import LRUCache
from textual.strip import Strip

_divide = Strip.divide
_lru_clear = LRUCache.clear


def _divide_without_self_reference(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    cuts = list(cuts)
    length = self.cell_length
    if [cut for cut in cuts if cut <= length] == [length]:
        return [self]  # what Strip.divide answers, not kept in the strip's own cache
    return _divide(self, cuts)


def _clear_without_cycle(self: LRUCache) -> None:
    for entry in self._cache.values():
        entry.clear()
    _lru_clear(self)


def apply() -> None:
    """Install the fixes (idempotent). The TUI calls it on import."""
    Strip.divide = _divide_without_self_reference  # type: ignore[method-assign]
    LRUCache.clear = _clear_without_cycle  # type: ignore[method-assign]

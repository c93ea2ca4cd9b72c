"""Textual's Footer without its leak: each focus change left a dozen widgets behind for good.

The Footer rebuilds its keys (`recompose`) whenever the screen's bindings change: every focus
change, every `/` and Esc. Each new FooterKey is bound to `Footer.compact` (`data_bind`), which
stores a watcher holding the key *on the Footer*; Textual drops watchers of removed widgets only
when the watched value changes, and `compact` never does, so every FooterKey ever shown stayed
reachable with its styles, message queue and rendered lines (Textualize/textual#6666, open in
textual 8.2.8). Measured: the monitor grew about 1 MiB a minute while filters and panes changed
(a 10-minute soak +17 %, a 25-minute one +32 %). Here the Footer drops those watchers itself
after each rebuild, with the test Textual uses when it prunes them.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer as TextualFooter


def prune_watchers(observed: Any) -> int:
    """Forget the watchers on `observed` whose owner has been removed; returns how many."""
    watchers = getattr(observed, "__watchers", None)  # where textual.reactive._watch keeps them
    dropped = 0
    for entries in (watchers or {}).values():
        alive = [(owner, callback) for owner, callback in entries if not getattr(owner, "_closing", False)]
        dropped += len(entries) - len(alive)
        entries[:] = alive
    return dropped


class Footer(TextualFooter):
    """Also: rebuilt only when the keys it shows change. Textual's rebuilds on every focus
    change (moving between the tables: the same keys), and a rebuild is a layout of the
    screen and a repaint of the footer: ~15-25 ms a time on a 160x45 screen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown_keys: tuple | None = None

    def _keys(self) -> tuple:
        """What the footer would show (as Footer.compose reads it), for comparing."""
        app = self.app
        shown = tuple(
            (binding.key, app.get_key_display(binding), binding.description, binding.action, enabled, tooltip,
             binding.group)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        palette = self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
        palette_key = palette[1:] if palette is not None and self.show_command_palette else None
        return shown, palette_key, self.compact, app.ENABLE_COMMAND_PALETTE

    async def recompose(self) -> None:
        later = getattr(self.app, "after_held_frames", None)
        if later is not None and later(lambda: self.call_later(self._recompose_after_refresh)):
            return  # the rows of a filter change first (see ClaudeWatchApp.set_filter)
        if self._bindings_ready and self.is_attached:
            keys = self._keys()
            if keys == self._shown_keys:
                return
            self._shown_keys = keys
        await super().recompose()
        prune_watchers(self)

    def _recompose_after_refresh(self) -> None:
        # Here, on the footer's own queue: composing binds its keys to what is running.
        self.call_after_refresh(self.recompose)

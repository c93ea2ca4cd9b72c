"""A bordered box whose title and subtitle can change without repainting what is inside.

Textual repaints a whole widget when its border title is set: for the events box that is
every line of the box and every row of the table in it, ~10 ms a filter change on a 160x45
screen, for a title that lives on one line. Here a change repaints that line only.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import Vertical
from textual.geometry import Region

from claude_watch.tui.safe import same_text


class Box(Vertical):
    """A `Vertical` that shows its title and subtitle on its border (see the module)."""

    def __init__(self, *children: Any, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._edge: str | None = None  # "top" or "bottom" while a border text is being set
        self._shown: dict[str, Text | None] = {"border_title": None, "border_subtitle": None}

    def show_title(self, text: Text | None) -> None:
        self._set_edge_text("border_title", "top", text)

    def show_subtitle(self, text: Text | None) -> None:
        self._set_edge_text("border_subtitle", "bottom", text)

    def _set_edge_text(self, which: str, edge: str, text: Text | None) -> None:
        if same_text(self._shown[which], text):
            return
        self._shown[which] = text
        self._edge = edge
        try:
            setattr(self, which, text)  # Textual calls refresh(): see below
        finally:
            self._edge = None

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Any:
        edge = self._edge
        if edge is not None and not regions and repaint and not layout and not recompose and self.is_mounted:
            width, height = self.outer_size
            if width and height:
                # Regions are given from the content's corner; the border is outside it.
                left, top = self.content_offset
                y = 0 if edge == "top" else height - 1
                regions = (Region(-left, y - top, width, 1),)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

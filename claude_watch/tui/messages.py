"""Messages the widgets post to the app: small dataclasses, no behaviour.

Textual's `Message` initialises itself from `__post_init__`, so plain `@dataclass` works."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class ProjectChosen(Message):
    """A project row was selected (None: all projects)."""

    project: str | None


@dataclass
class SessionChosen(Message):
    """A session row was selected (None: all sessions of the project)."""

    session_id: str | None
    project: str | None = None


@dataclass
class EventChosen(Message):
    """Open this event in the detail view."""

    event_id: int


@dataclass
class NeedOlder(Message):
    """The events table reached the bottom of its window: page back through SQLite."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, NeedOlder)


@dataclass
class NeedNewer(Message):
    """The events table is at the top of a window that is not at the head."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, NeedNewer)

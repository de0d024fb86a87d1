"""Undo/redo: every change a user makes is a command that can apply and revert itself.

Commands call the session's low-level operations, which move the files and tell the views.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .session import Session


class Command(Protocol):
    indices: tuple[int, ...]          # the images it touches (the UI selects them after undo/redo)

    def describe(self) -> str: ...
    def apply(self, session: "Session") -> None: ...
    def revert(self, session: "Session") -> None: ...


def _label(category: str | None) -> str:
    return "Unlabelled" if category is None else repr(category)


@dataclass
class Assign:
    indices: tuple[int, ...]
    category: str | None
    previous: tuple[str | None, ...]

    def describe(self) -> str:
        count = len(self.indices)
        return f"{'un-assign' if self.category is None else 'assign'} {count} image{'s' * (count != 1)}" + (
            "" if self.category is None else f" to {_label(self.category)}")

    def apply(self, session):
        session._set_categories(self.indices, [self.category] * len(self.indices))

    def revert(self, session):
        session._set_categories(self.indices, list(self.previous))


@dataclass
class Review:
    """Decisions on reviewed pseudo-labels: categories and review records, set together."""
    indices: tuple[int, ...]
    categories: tuple[str | None, ...]
    reviews: tuple[dict, ...]
    previous: tuple[tuple[str | None, dict | None], ...]

    def describe(self) -> str:
        decisions = sorted({r["decision"] for r in self.reviews})
        count = len(self.indices)
        return f"{'/'.join(decisions)} {count} pseudo-label{'s' * (count != 1)}"

    def apply(self, session):
        session._set_categories(self.indices, list(self.categories))
        session._set_reviews(self.indices, list(self.reviews))

    def revert(self, session):
        session._set_categories(self.indices, [category for category, _ in self.previous])
        session._set_reviews(self.indices, [review for _, review in self.previous])


@dataclass
class AddCategory:
    name: str
    position: int
    indices: tuple[int, ...] = ()

    def describe(self) -> str:
        return f"add category {_label(self.name)}"

    def apply(self, session):
        session._insert_category(self.position, self.name)

    def revert(self, session):
        session._remove_category(self.name)


@dataclass
class RenameCategory:
    old: str
    new: str
    indices: tuple[int, ...] = ()

    def describe(self) -> str:
        return f"rename category {_label(self.old)} to {_label(self.new)}"

    def apply(self, session):
        session._rename_category(self.old, self.new)

    def revert(self, session):
        session._rename_category(self.new, self.old)


@dataclass
class DeleteCategory:
    name: str
    position: int
    indices: tuple[int, ...]          # its images, which go back to unlabelled

    def describe(self) -> str:
        return f"delete category {_label(self.name)}"

    def apply(self, session):
        session._check_removable(self.name)
        session._set_categories(self.indices, [None] * len(self.indices))
        session._remove_category(self.name)

    def revert(self, session):
        session._insert_category(self.position, self.name)
        session._set_categories(self.indices, [self.name] * len(self.indices))


class History:
    """A linear undo/redo stack of applied commands."""

    def __init__(self, limit: int = 10_000):
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._limit = limit

    def run(self, command: Command, session: "Session") -> Command:
        command.apply(session)                  # raises before anything is recorded
        self._done.append(command)
        del self._done[:-self._limit]
        self._undone.clear()
        return command

    def undo(self, session: "Session") -> Command | None:
        if not self._done:
            return None
        command = self._done[-1]
        command.revert(session)
        self._undone.append(self._done.pop())
        return command

    def redo(self, session: "Session") -> Command | None:
        if not self._undone:
            return None
        command = self._undone[-1]
        command.apply(session)
        self._done.append(self._undone.pop())
        return command

    def undo_text(self) -> str | None:
        return self._done[-1].describe() if self._done else None

    def redo_text(self) -> str | None:
        return self._undone[-1].describe() if self._undone else None

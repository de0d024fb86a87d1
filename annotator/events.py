"""A minimal event: callbacks connected to it are called, in order, on every emit.

The annotation core tells its views what changed through these (napari-style), so it never
needs to know about Qt.
"""
from __future__ import annotations

from typing import Callable


class Event:
    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)

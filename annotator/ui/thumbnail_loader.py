"""Thumbnails decoded in worker threads, the most recently asked-for first.

The grid asks for the rows it paints (`request`, urgent, newest first: what the user scrolled
to); `prefetch` queues the rest behind them, so their disk cache is warm before the user
scrolls there. Results come back to the UI thread in batches through `loaded`.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Callable, Iterable

import numpy as np
from PySide6.QtCore import QObject, QThread, QThreadPool, QTimer, Qt, Signal
from PySide6.QtGui import QImage

from atlass_runtime.errors import ImageReadError

MAX_URGENT = 600          # older urgent requests are dropped (asked again if painted again)
BATCH = 150               # results handed to the UI thread per event-loop turn


def to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an HxWx3 uint8 RGB array (safe to make in any thread)."""
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class ThumbnailLoader(QObject):
    loaded = Signal(list)                # [(index, QImage | None, error | None)], in the UI thread
    _results_waiting = Signal()

    def __init__(self, make: Callable[[int], np.ndarray], threads: int | None = None, parent=None):
        super().__init__(parent)
        self._make = make
        self._lock = threading.Lock()
        self._urgent: deque[int] = deque()
        self._urgent_set: set[int] = set()
        self._background: deque[int] = deque()
        self._finished: set[int] = set()
        self._results: list = []
        self._stopped = False
        self._workers = 0
        self._max_workers = threads or max(2, min(4, QThread.idealThreadCount() - 1))
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(self._max_workers)
        self._results_waiting.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def request(self, index: int) -> None:
        """Make this thumbnail soon (it is on screen)."""
        with self._lock:
            if self._stopped or index in self._urgent_set:
                return
            self._urgent.append(index)
            self._urgent_set.add(index)
            while len(self._urgent) > MAX_URGENT:
                self._urgent_set.discard(self._urgent.popleft())
        self._start_workers()

    def prefetch(self, indices: Iterable[int]) -> None:
        """Make these thumbnails (into the disk cache) when nothing urgent is waiting."""
        with self._lock:
            if self._stopped:
                return
            self._background.extend(i for i in indices if i not in self._finished)
        self._start_workers()

    def pending(self) -> int:
        with self._lock:
            return len(self._urgent) + len(self._background) + self._workers

    def finished_count(self) -> int:
        """How many different thumbnails were made (or failed) so far."""
        with self._lock:
            return len(self._finished)

    def forget(self, index: int) -> None:
        """The file changed: make this thumbnail again next time it is asked for."""
        with self._lock:
            self._finished.discard(index)

    def shutdown(self) -> None:
        """Drop the queue and wait for the images being decoded now."""
        with self._lock:
            self._stopped = True
            self._urgent.clear()
            self._urgent_set.clear()
            self._background.clear()
        self._pool.waitForDone()

    def _start_workers(self) -> None:
        with self._lock:
            wanted = min(self._max_workers, len(self._urgent) + len(self._background)) - self._workers
            self._workers += max(0, wanted)
        for _ in range(wanted):
            self._pool.start(self._work)

    def _next(self) -> tuple[int, bool] | None:
        """The next (index, deliver) to make, or None when nothing is left (the worker ends)."""
        with self._lock:
            while not self._stopped:
                if self._urgent:
                    index = self._urgent.pop()
                    self._urgent_set.discard(index)
                    return index, True
                if not self._background:
                    break
                index = self._background.popleft()
                if index not in self._finished:
                    return index, False
            self._workers -= 1
            return None

    def _work(self) -> None:
        while (job := self._next()) is not None:
            index, deliver = job
            image = error = None
            try:
                rgb = self._make(index)
                image = to_qimage(rgb) if deliver else None
            except ImageReadError as exc:
                error = exc.reason
            except Exception as exc:          # a decoder bug must not kill the worker or the app
                error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._finished.add(index)
                if not (deliver or error) or self._stopped:
                    continue
                self._results.append((index, image, error))
                first = len(self._results) == 1
            if first:
                self._results_waiting.emit()

    def _deliver(self) -> None:
        with self._lock:
            batch, self._results = self._results[:BATCH], self._results[BATCH:]
            more = bool(self._results)
        if more:
            QTimer.singleShot(0, self._deliver)
        if batch:
            self.loaded.emit(batch)

"""Work off the UI thread: the dataset inspection, the transform previews and the zip.

A `Task` runs `work(progress, cancelled)` in the wizard's QThreadPool and reports through Qt
signals, which arrive on the UI thread: `progress(done, total)` (Python ints: a zip's byte
counts pass 2**31), then exactly one of
`finished(result)`, `cancelled()` or `failed(message)`. `cancel()` asks the work to stop; the core
functions check `cancelled()` between files and raise ExportCancelled.
"""
from __future__ import annotations

import threading
import traceback
from typing import Callable

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal

from atlass_runtime.errors import AtlassError

from atlass_project.errors import ExportCancelled

Work = Callable[[Callable[[int, int], None], Callable[[], bool]], object]
STEPS = 200          # progress is reported at most this many times (every 0.5 %)


class Task(QObject):
    progress = Signal(object, object)     # not int: Qt's int is 32-bit and zips pass 2 GiB
    finished = Signal(object)
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, work: Work, parent: QObject | None = None):
        super().__init__(parent)
        self._work = work
        self._stop = threading.Event()
        self._done = threading.Event()
        self._shown = -1

    def connect(self, progress=None, finished=None, cancelled=None, failed=None) -> "Task":
        """Connect handlers; queued, so they run on the UI thread whatever they are."""
        queued = Qt.ConnectionType.QueuedConnection
        for signal, handler in ((self.progress, progress), (self.finished, finished),
                                (self.cancelled, cancelled), (self.failed, failed)):
            if handler is not None:
                signal.connect(handler, queued)
        return self

    def start(self, pool: QThreadPool) -> "Task":
        pool.start(self._run)
        return self

    def cancel(self) -> None:
        self._stop.set()

    @property
    def is_cancelled(self) -> bool:
        return self._stop.is_set()

    @property
    def is_done(self) -> bool:
        return self._done.is_set()

    def silence(self) -> None:
        """Stop and report nothing more (the window is closing)."""
        self.cancel()
        self.blockSignals(True)

    # ------------------------------------------------------------------ worker thread
    def _progress(self, done: int, total: int) -> None:
        step = STEPS * done // max(total, 1)
        if step != self._shown:
            self._shown = step
            self.progress.emit(int(done), int(total))

    def _run(self) -> None:
        try:
            result = self._work(self._progress, self._stop.is_set)
        except ExportCancelled:
            self.cancelled.emit()
        except AtlassError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:          # shown to the user; the traceback goes to the terminal
            traceback.print_exc()
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:                             # done is done, even if a cancel came too late
            self.finished.emit(result)
        finally:
            self._done.set()

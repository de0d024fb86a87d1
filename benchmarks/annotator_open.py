"""Benchmark: open a generated 10,000-image folder in the annotator (offscreen) and measure

1. the time from start (creating the session) until the first screen of thumbnails is painted,
2. the longest UI-thread stall while the other thumbnails load (a timer ticks every 5 ms; the
   largest gap between ticks, minus 5 ms, is the stall), and the same after jumping far down,
3. peak memory (maximum resident set size of the process).

    QT_QPA_PLATFORM=offscreen python benchmarks/annotator_open.py [--images 10000] [--work DIR]

Aims (issue 4): under 1 s, under 100 ms, under 1 GB. The image folder is generated once into
--work (default: a temporary folder) and reused; every run makes a new output folder, so the
thumbnail cache starts cold.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
from PySide6.QtCore import QPoint  # noqa: E402
import numpy as np  # noqa: E402


def generate(folder: Path, count: int, size: int) -> Path:
    """`count` PNGs (size x size, 8-bit grey 'cells'), 100 per sub-folder; reused if present."""
    done = folder / f".complete-{count}-{size}"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    for i in range(count):
        cy, cx, r = rng.uniform(size * 0.3, size * 0.7, 2).tolist() + [rng.uniform(size * 0.15, size * 0.3)]
        cell = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r)) * rng.uniform(80, 200)
        image = np.clip(cell + rng.normal(30, 8, (size, size)), 0, 255).astype(np.uint8)
        path = folder / f"well_{i // 100:03d}" / f"cell_{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cv2.imencode(".png", image)[1].tobytes())
    done.touch()
    return folder


class Probe:
    """Watches the grid's paints and ticks a 5 ms timer in the UI thread."""

    def __init__(self, window, start: float):
        from PySide6.QtCore import QEvent, QObject, QTimer

        self.window, self.start = window, start
        self.complete_at: float | None = None
        self.want_complete = True
        self.gaps: list[float] = []
        self.last_tick = time.perf_counter()
        probe = self

        class PaintWatcher(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint and probe.want_complete and probe.screen_loaded():
                    probe.want_complete = False
                    QTimer.singleShot(0, probe.painted)          # runs once this paint is done
                return False
        self.watcher = PaintWatcher()
        window.grid.viewport().installEventFilter(self.watcher)
        self.timer = QTimer(interval=5, timeout=self.tick)
        self.timer.start()

    def visible_rows(self) -> list[int]:
        """Session rows of the cells inside the grid's viewport (laid out left to right, top down)."""
        grid, shown = self.window.grid, self.window.shown
        rect = grid.viewport().rect()
        first = grid.indexAt(rect.topLeft() + QPoint(4, 4))
        rows = []
        for row in range(first.row() if first.isValid() else 0, shown.rowCount()):
            cell = grid.visualRect(shown.index(row, 0))
            if cell.top() > rect.bottom():
                break
            if cell.intersects(rect):
                rows.append(shown.mapToSource(shown.index(row, 0)).row())
        return rows

    def screen_loaded(self) -> bool:
        rows = self.visible_rows()
        return bool(rows) and all(self.window.images.thumbnail(row) is not None for row in rows)

    def painted(self) -> None:
        self.complete_at = time.perf_counter()

    def tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self.last_tick)
        self.last_tick = now

    def reset(self) -> None:
        self.gaps.clear()
        self.last_tick = time.perf_counter()
        self.complete_at, self.want_complete = None, True


def wait(app, condition, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        app.processEvents()
        time.sleep(0.001)
    return True


def run(images: int, size: int, work: Path, threads: int | None = None) -> dict:
    from PySide6.QtWidgets import QApplication

    from annotator import Session
    from annotator.ui.main_window import MainWindow

    source = generate(work / "images", images, size)
    output = work / f"out-{os.getpid()}-{time.time_ns()}"
    app = QApplication.instance() or QApplication([])
    results = {}

    start = time.perf_counter()
    session = Session.create(source, output, ["G1", "S", "G2/M".replace("/", "-")])
    results["session created (scan, names, manifest)"] = time.perf_counter() - start
    window = MainWindow(session, threads=threads)
    window.show()
    results["window shown"] = time.perf_counter() - start
    probe = Probe(window, start)
    if not wait(app, lambda: probe.complete_at is not None, 60):
        raise SystemExit("the first screen of thumbnails was never painted")
    results["first screen of thumbnails painted"] = probe.complete_at - start
    results["thumbnails on the first screen"] = len(probe.visible_rows())
    probe.reset()
    wait(app, lambda: window.loader.finished_count() == len(session) and window.loader.pending() == 0
         and not session.storage.filling(), 900)
    results["all thumbnails made and images linked"] = time.perf_counter() - start
    results["longest UI stall while the rest loaded"] = max(probe.gaps) - 0.005

    probe.reset()
    jump = time.perf_counter()
    window.select_rows([len(session) // 2])                # jump half-way down: the disk cache is warm
    wait(app, lambda: probe.complete_at is not None, 60)
    results["screen painted after jumping to the middle"] = probe.complete_at - jump
    wait(app, lambda: time.perf_counter() - jump > 0.5, 1)
    results["longest UI stall after the jump"] = max(probe.gaps) - 0.005
    window.close()
    results["peak memory (max RSS)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    shutil.rmtree(output, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (default: 64)")
    parser.add_argument("--work", type=Path, help="folder for the generated images (kept for reuse)")
    parser.add_argument("--threads", type=int, help="thumbnail worker threads (default: the window's choice)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.gettempdir()) / "atlass-annotator-benchmark"
    work.mkdir(parents=True, exist_ok=True)
    results = run(args.images, args.size, work, args.threads)
    aims = {"first screen of thumbnails painted": 1.0, "longest UI stall while the rest loaded": 0.1,
            "peak memory (max RSS)": 2 ** 30}
    print(f"\nannotator_open: {args.images:,} images of {args.size}x{args.size} px, "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}")
    print(f"{'measure':<45} {'value':>12}  aim")
    for name, value in results.items():
        shown = (f"{value / 2 ** 20:,.0f} MB" if "memory" in name else f"{value:,}" if isinstance(value, int)
                 else f"{value * 1000:,.0f} ms")
        aim = aims.get(name)
        verdict = "" if aim is None else ("< " + (f"{aim / 2 ** 30:.0f} GB" if "memory" in name else f"{aim * 1000:.0f} ms")
                                          + (" ok" if value < aim else " MISSED"))
        print(f"{name:<45} {shown:>12}  {verdict}")


if __name__ == "__main__":
    main()

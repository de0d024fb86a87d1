"""Decode each image once: a run keeps every image as a size x size x 3 uint8 array in memory,
so no epoch, round or transform ever re-reads a file (design 5; the fast data path of issue 6)."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .errors import ImageReadError
from .imageio import network_image


def default_workers() -> int:
    return max(1, min(16, os.cpu_count() or 1))


def decode_images(paths: list[Path], size: int, workers: int | None = None,
                  progress=None) -> tuple[np.ndarray, dict[Path, str]]:
    """Decode and resize `paths` in parallel (OpenCV releases the GIL).

    Returns the array (len(paths), size, size, 3) uint8, with zeros where a file failed, and
    {path: reason} for the files that failed. `progress(done, total)` is called as files finish.
    """
    array = np.zeros((len(paths), size, size, 3), dtype=np.uint8)
    failures: dict[Path, str] = {}

    def load(index: int):
        try:
            array[index] = network_image(paths[index], size)
        except ImageReadError as exc:
            failures[paths[index]] = exc.reason
        except Exception as exc:  # a decoder bug must not stop a 10,000-image run
            failures[paths[index]] = f"cannot be decoded ({type(exc).__name__}: {exc})"

    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        for done, _ in enumerate(pool.map(load, range(len(paths))), start=1):
            if progress is not None and (done % 256 == 0 or done == len(paths)):
                progress(done, len(paths))
    return array, failures


class ImageStore:
    """Every image of a run, decoded once, addressed by path."""

    def __init__(self, paths: list[Path], size: int, workers: int | None = None, progress=None):
        self.size = size
        pixels, self.failures = decode_images(paths, size, workers, progress)
        keep = [i for i, p in enumerate(paths) if p not in self.failures]
        self.paths = [paths[i] for i in keep]
        self.pixels = pixels[keep] if len(keep) != len(paths) else pixels
        self._row = {p: i for i, p in enumerate(self.paths)}

    def __len__(self) -> int:
        return len(self.paths)

    def rows(self, paths) -> np.ndarray:
        return np.array([self._row[p] for p in paths], dtype=np.int64)

    def take(self, paths) -> np.ndarray:
        """(n, size, size, 3) uint8 for the given paths, in that order."""
        return self.pixels[self.rows(paths)]

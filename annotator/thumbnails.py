"""Thumbnails and previews, auto-contrasted so 16-bit and dim images show; Qt-free.

Thumbnails are cached as small JPEG files in `<output>/.atlass/thumbnails/`, keyed by the
image's name in the dataset (unique), its file size and modification time: a changed file gets
a new thumbnail, a renamed category keeps them all.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from atlass_runtime.errors import ImageReadError
from atlass_runtime.imageio import read_image

from .display import DisplaySettings

THUMBNAIL_SIZE = 128            # longest side, pixels
PREVIEW_SIZE = 2048             # longest side of the preview; larger images are shrunk for display
_CACHE_VERSION = "1"


def shrink(image: np.ndarray, longest_side: int) -> np.ndarray:
    """Shrink (never enlarge) keeping the aspect ratio; works on 8/16-bit and float data."""
    if image.ndim == 3 and image.shape[2] > 4:
        image = np.ascontiguousarray(image[:, :, :3])
    height, width = image.shape[:2]
    scale = longest_side / max(height, width)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def make_thumbnail(image: np.ndarray, size: int = THUMBNAIL_SIZE, display: DisplaySettings | None = None) -> np.ndarray:
    """A small 8-bit RGB version for the grid, shown as `display` says (default: auto-contrast)."""
    return (display or DisplaySettings()).render(shrink(image, size))


@dataclass
class Preview:
    rgb: np.ndarray                 # 8-bit RGB, at most PREVIEW_SIZE on its longest side
    description: str                # e.g. "1392 x 1040, 16-bit grey"


def make_preview(path: Path, longest_side: int = PREVIEW_SIZE, display: DisplaySettings | None = None) -> Preview:
    """Decode a file for the large preview; raises ImageReadError with the reason."""
    image = read_image(path)
    height, width = image.shape[:2]
    depth = {np.dtype(np.uint8): "8-bit", np.dtype(np.uint16): "16-bit"}.get(image.dtype, "32-bit float")
    channels = 1 if image.ndim == 2 else image.shape[2]
    kind = {1: "grey", 3: "RGB", 4: "RGBA"}.get(channels, f"{channels} channels")
    return Preview((display or DisplaySettings()).render(shrink(image, longest_side)),
                   f"{width} x {height}, {depth} {kind}")


class ThumbnailStore:
    """Makes thumbnails, reusing the ones cached on disk. Safe to call from several threads."""

    def __init__(self, cache_folder: Path | None, size: int = THUMBNAIL_SIZE):
        self.cache_folder = Path(cache_folder) if cache_folder else None
        self.size = size
        self.display = DisplaySettings()

    def thumbnail(self, name: str, paths: list[Path]) -> np.ndarray:
        """The thumbnail of the image `name`, read from the first of `paths` that exists."""
        for path in paths:
            try:
                stat = os.stat(path)
            except OSError:
                continue
            cached = self._cache_file(name, stat)
            if cached is not None:
                thumbnail = _read_cached(cached)
                if thumbnail is not None:
                    return thumbnail
            try:
                thumbnail = make_thumbnail(read_image(path), self.size, self.display)
            except ImageReadError:
                if os.path.exists(path):
                    raise
                continue                          # moved while we read it: try the next path
            if cached is not None:
                _write_cached(cached, thumbnail)
            return thumbnail
        raise ImageReadError(paths[0] if paths else name, "file not found")

    def _cache_file(self, name: str, stat: os.stat_result) -> Path | None:
        if self.cache_folder is None:
            return None
        key = f"{_CACHE_VERSION}\0{self.size}\0{name}\0{stat.st_size}\0{stat.st_mtime_ns}"
        if self.display.key():
            key += f"\0{self.display.key()}"
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
        return self.cache_folder / digest[:2] / f"{digest}.jpg"


def _read_cached(path: Path) -> np.ndarray | None:
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return None if image is None else np.ascontiguousarray(image[:, :, ::-1])


def _write_cached(path: Path, thumbnail: np.ndarray) -> None:
    """Write next to the target, then rename: a kill never leaves half a thumbnail. No fsync:
    a lost cache file is only made again."""
    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(thumbnail[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{id(thumbnail)}.tmp")
        temporary.write_bytes(data.tobytes())
        os.replace(temporary, path)
    except OSError:
        pass                                     # a read-only output folder just means no cache

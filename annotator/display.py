"""How images are shown (never how they are stored or trained on): each image auto-contrasted on
its own, or one intensity range for all so that intensities can be compared across images; then
brightness and contrast. Qt-free."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atlass_runtime.errors import ImageReadError
from atlass_runtime.imageio import _colour_channels, read_image, stretch_to_uint8

SAMPLE = 64                     # images read to find the shared range


@dataclass(frozen=True)
class DisplaySettings:
    shared: tuple[float, float] | None = None   # one range (low, high) for all images; None: per image
    brightness: int = 0                         # -100..100, added in 8-bit steps
    contrast: float = 1.0                       # 0.25..4, around mid-grey

    def key(self) -> str:
        """Names the settings in the thumbnail cache ('' for the defaults: old caches stay valid)."""
        if self == DisplaySettings():
            return ""
        shared = "each" if self.shared is None else f"{self.shared[0]:g}-{self.shared[1]:g}"
        return f"{shared}/{self.brightness}/{self.contrast:g}"

    def render(self, image: np.ndarray) -> np.ndarray:
        """8-bit RGB for the eye."""
        colour = _colour_channels(image)
        if self.shared is None:
            rgb = stretch_to_uint8(colour)
        else:
            low, high = self.shared
            rgb = np.clip((colour.astype(np.float32) - low) * (255.0 / max(high - low, 1e-6)), 0, 255)
        if self.brightness or self.contrast != 1.0:
            rgb = np.clip((np.asarray(rgb, np.float32) - 127.5) * self.contrast + 127.5 + self.brightness, 0, 255)
        return np.ascontiguousarray(np.asarray(rgb).astype(np.uint8))


def shared_range(paths: list[Path], sample: int = SAMPLE) -> tuple[float, float]:
    """The 0.1th-99.9th percentile of the intensities of up to `sample` images spread over `paths`."""
    chosen = paths if len(paths) <= sample else [paths[i] for i in np.linspace(0, len(paths) - 1, sample).astype(int)]
    values = []
    for path in chosen:
        try:
            image = _colour_channels(read_image(path)).astype(np.float32)
        except (ImageReadError, OSError):
            continue
        step = max(1, image.size // 20000)               # a few thousand values of each is plenty
        values.append(image.reshape(-1)[::step])
    if not values:
        return 0.0, 255.0
    low, high = np.percentile(np.concatenate(values), [0.1, 99.9])
    return float(low), float(max(high, low + 1))

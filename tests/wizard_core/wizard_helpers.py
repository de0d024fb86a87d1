"""Small helpers shared by the wizard's tests (a module of its own: `conftest` is ambiguous when
several test folders have one)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"


def write_image(path: Path, image: np.ndarray) -> Path:
    """Write an RGB (or grey, 8/16-bit) array with the format of the file's extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if image.ndim == 3:
        image = image[:, :, ::-1]
    ok, data = cv2.imencode(path.suffix or ".png", image)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def random_image(rng: np.random.Generator, size: int = 12, level: int | None = None) -> np.ndarray:
    if level is None:
        return rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    return np.clip(rng.normal(level, 12, (size, size, 3)), 0, 255).astype(np.uint8)

"""Small helpers shared by the wizard's tests (a module of its own: `conftest` is ambiguous when
several test folders have one)."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"

# tests/ is on sys.path (for the shared conftest and fakes), so tests/wizard, a folder named like
# the package it tests, could be imported as a namespace package `wizard` instead of the
# project's. With the repository on sys.path the real package wins (a regular package beats a
# namespace portion wherever it sits on the path). Test modules import this module first.
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))
if "wizard" in sys.modules and getattr(sys.modules["wizard"], "__file__", None) is None:
    for _name in [m for m in sys.modules if m == "wizard" or m.startswith("wizard.")]:
        del sys.modules[_name]


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

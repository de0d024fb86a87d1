"""Shared fixtures: small generated datasets, and the real ones in ../shared/data when present."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/fakes.py


def shared_dataset(name: str) -> Path:
    """A dataset from ../shared/data, or skip the test when that folder is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not available (real datasets live beside the project checkout)")
    return path


def write_png(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if image.ndim == 3:
        image = image[:, :, ::-1] if image.shape[2] == 3 else image[:, :, [2, 1, 0, 3]]
    ok, data = cv2.imencode(path.suffix or ".png", image)
    assert ok
    path.write_bytes(data.tobytes())
    return path


@pytest.fixture
def colour_dataset(tmp_path) -> Path:
    """3 classes told apart by brightness (alphabetical = dark to bright): 8 labelled each,
    12 unlabelled; 16 x 16 px."""
    rng = np.random.default_rng(0)
    root = tmp_path / "dataset"
    levels = {"a_dark": 40, "b_mid": 128, "c_bright": 215}
    for name, level in levels.items():
        for i in range(8):
            write_png(root / name / f"{name}_{i}.png",
                      np.clip(rng.normal(level, 12, (16, 16, 3)), 0, 255).astype(np.uint8))
    for i in range(12):
        level = list(levels.values())[i % 3]
        write_png(root / "unlabelled" / f"u_{i:02d}.png",
                  np.clip(rng.normal(level, 12, (16, 16, 3)), 0, 255).astype(np.uint8))
    return root

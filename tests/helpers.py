"""Helpers shared by the test folders: the real datasets in ../shared/data (skipping when absent),
writing small images, the environment of a Python a test starts, and an awkward dataset.
Imported as `from helpers import ...` (pytest puts tests/ on sys.path: `pythonpath` in
pyproject.toml)."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a Python that a test starts: it imports this checkout (installed or
    not) without editing its own sys.path."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


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


def make_awkward_dataset(root):
    """Every kind of file the issue names: some readable, some not."""
    rng = np.random.default_rng(0)
    write_png(root / "A" / "plain.png", rng.integers(0, 255, (20, 20, 3), dtype=np.uint8))
    (root / "A" / "zero.png").write_bytes(b"")
    ok, jpeg = cv2.imencode(".jpg", rng.integers(0, 255, (40, 40, 3), dtype=np.uint8))
    (root / "A" / "truncated.jpg").write_bytes(jpeg.tobytes()[: len(jpeg) // 2])
    (root / "B" / "readme.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "B" / "readme.txt").write_text("hello")
    (root / "B" / "fake.png").write_text("this is text with an image name")
    cv2.imwrite(str(root / "B" / "deep.tif"), (rng.integers(150, 1700, (20, 20))).astype(np.uint16))
    write_png(root / "B" / "alpha.png", rng.integers(0, 255, (20, 20, 4), dtype=np.uint8))
    ok, png = cv2.imencode(".png", rng.integers(0, 255, (20, 20), dtype=np.uint8))
    png.tofile(str(root / "B" / "célula_µm_細胞.png"))
    return {"zero.png", "truncated.jpg", "readme.txt", "fake.png"}

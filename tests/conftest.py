"""Fixtures shared by every test folder. Plain helpers live in tests/helpers.py (a conftest of
another folder would shadow `from conftest import ...`)."""
from __future__ import annotations

import os
from pathlib import Path

# On shared or small CPUs, OpenMP threads that spin while waiting slow every other process down
# (the notebook kernels and `atlass` subprocesses the tests start inherit this).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np
import pytest

from helpers import write_png     # tests/ is on the path (pyproject's pythonpath): helpers.py, fakes.py


def make_colour_dataset(root: Path) -> Path:
    """3 classes told apart by brightness (alphabetical = dark to bright): 8 labelled each,
    12 unlabelled; 16 x 16 px."""
    rng = np.random.default_rng(0)
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


@pytest.fixture
def colour_dataset(tmp_path) -> Path:
    return make_colour_dataset(tmp_path / "dataset")


@pytest.fixture(scope="module")
def module_colour_dataset(tmp_path_factory) -> Path:
    """The same, once per test module (for a trained model several tests share)."""
    return make_colour_dataset(tmp_path_factory.mktemp("colours") / "dataset")

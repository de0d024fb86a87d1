"""Helpers of the Qt wizard's tests (a module of its own: several test folders have a conftest).
Qt is imported inside the helpers that need it, so the Qt-free tests run without it."""
from __future__ import annotations

import zipfile
from pathlib import Path

import cv2
import numpy as np


def write_image(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if image.ndim == 3:
        image = image[:, :, ::-1]
    ok, data = cv2.imencode(path.suffix, image)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def make_dataset(root: Path, counts: dict[str, int], unlabelled: int) -> Path:
    """An organised dataset of 20 x 20 colour PNGs (the first unlabelled one a 16-bit grey TIFF)."""
    rng = np.random.default_rng(len(counts) * 100 + unlabelled)
    for index, (name, count) in enumerate(counts.items()):
        level = 40 + 60 * index
        for i in range(count):
            write_image(root / name / f"{name}_{i:02d}.png",
                        np.clip(rng.normal(level, 15, (20, 20, 3)), 0, 255).astype(np.uint8))
    for i in range(unlabelled):
        if i == 0:
            image = rng.integers(200, 1800, (20, 20), dtype=np.uint16)
            write_image(root / "unlabelled" / "u_00.tif", image)
        else:
            write_image(root / "unlabelled" / f"u_{i:02d}.png", rng.integers(0, 255, (20, 20, 3), dtype=np.uint8))
    if not unlabelled:
        (root / "unlabelled").mkdir(parents=True, exist_ok=True)
    return root


def click(qtbot, widget) -> None:
    """A left click on the middle of the button's label (a check box or radio button stretched
    wider than its label does not react to clicks beyond it)."""
    from PySide6.QtCore import QPoint, Qt

    assert widget.isEnabled(), f"{widget.text()!r} is disabled"
    x = min(widget.sizeHint().width(), widget.width()) // 2
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(x, widget.height() // 2))


def click_next(qtbot, wizard) -> None:
    from PySide6.QtWidgets import QWizard

    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))


def next_enabled(wizard) -> bool:
    from PySide6.QtWidgets import QWizard

    return wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def zip_texts(path: Path) -> dict[str, bytes]:
    """The generated members of a project zip (everything but the dataset and the runtime copy)."""
    with zipfile.ZipFile(path) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()
                if name.count("/") == 1 and not name.endswith("/")}


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


# The pages each process walks through, in order (what pages.pages_for and the window must agree on).
EXPECTED_PAGES = {
    "ND": ["dataset", "process", "networks", "training", "summary"],
    "DD": ["dataset", "process", "transforms", "networks", "training", "summary"],
    "IDD": ["dataset", "process", "transforms", "networks", "threshold", "training", "summary"],
    "MD": ["dataset", "process", "networks", "training", "summary"],
    "IMD": ["dataset", "process", "networks", "threshold", "training", "summary"],
    "MDD": ["dataset", "process", "transforms", "networks", "training", "summary"],
    "IMDD": ["dataset", "process", "transforms", "networks", "threshold", "training", "summary"],
}

"""Screenshots of every page of the wizard on a real dataset, for docs/wizard.md.

    xvfb-run -s "-screen 0 1400x900x24" python -m wizard.ui.screenshots DATASET OUT_DIR [LABELLED_ONLY]

DATASET should have unlabelled images (so that every page shows: the process is set to IMDD);
LABELLED_ONLY, a dataset without any, gives the process page where only ND can be chosen. The
zip is written to a temporary folder. Files: OUT_DIR/wizard_<page>.png.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from .window import AtlassWizard

SIZE = (960, 760)


def _wait(app: QApplication, done, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the wizard did not get there in time")
        app.processEvents()
        time.sleep(0.02)
    for _ in range(10):
        app.processEvents()


def _grab(app: QApplication, wizard: AtlassWizard, out: Path, name: str) -> None:
    _wait(app, lambda: True)
    path = out / f"wizard_{name}.png"
    wizard.grab().save(str(path))
    print(path)


def _open(app: QApplication, dataset: Path, zip_path: Path) -> AtlassWizard:
    wizard = AtlassWizard(dataset, zip_path)
    wizard.resize(*SIZE)
    wizard.show()
    page = wizard.page_named("dataset")
    _wait(app, lambda: wizard.model.report is not None and page.task is None)
    return wizard


def take(dataset: Path, out: Path, labelled_only: Path | None = None) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        wizard = _open(app, dataset, Path(scratch) / f"{dataset.name}.zip")
        _grab(app, wizard, out, "dataset")
        wizard.next()
        wizard.page_named("process").buttons["IMDD"].setChecked(True)
        _grab(app, wizard, out, "process")
        wizard.next()
        transforms = wizard.page_named("transforms")
        _wait(app, lambda: transforms.task is None and transforms.shown_key is not None)
        _grab(app, wizard, out, "transforms")
        wizard.next()
        _grab(app, wizard, out, "networks")
        wizard.next()
        _grab(app, wizard, out, "threshold")
        wizard.next()
        _grab(app, wizard, out, "training")
        wizard.page_named("training").set_expanded(True)
        _grab(app, wizard, out, "training_advanced")
        wizard.page_named("training").set_expanded(False)
        wizard.next()
        _grab(app, wizard, out, "summary")
        summary = wizard.page_named("summary")
        summary.validatePage()
        _wait(app, lambda: summary.task is None)
        _grab(app, wizard, out, "summary_written")
        wizard.close()
        if labelled_only is not None:
            wizard = _open(app, labelled_only, Path(scratch) / "labelled.zip")
            _grab(app, wizard, out, "dataset_labelled_only")
            wizard.next()
            _grab(app, wizard, out, "process_labelled_only")
            wizard.close()


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    take(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) == 4 else None)

"""Screenshots of every page of the wizard on a real dataset, for docs/wizard.md.

    xvfb-run -s "-screen 0 1400x900x24" python -m wizard.ui.screenshots DATASET OUT_DIR \
        [--labelled-only DATASET2] [--sixteen-bit DATASET3]

DATASET should have unlabelled images (so that every page shows: the process is set to IMDD);
DATASET2, a dataset without any, gives the process page where only ND can be chosen; DATASET3,
one of 16-bit images with unlabelled ones, gives its dataset page and transform previews. The
zip is written beside DATASET (its default place) and removed afterwards. To show the progress
bar, the writing is held at about 40 % for one screenshot, then cancelled; the zip is then
written for real. Files: OUT_DIR/wizard_<page>.png.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from . import summary_page
from .window import AtlassWizard

SIZE = (1000, 760)


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


def _held_build_zip(held: threading.Event, release: threading.Event):
    """build_zip that waits at 40 % until `release` is set (to photograph the progress bar)."""
    real = summary_page.build_zip

    def build_zip(*args, progress, cancel, **kwargs):
        def progress_then_hold(done, total):
            progress(done, total)
            if done >= 0.4 * total and not release.is_set():
                held.set()
                release.wait(60)
        return real(*args, progress=progress_then_hold, cancel=cancel, **kwargs)
    return build_zip


def take(dataset: Path, out: Path, labelled_only: Path | None = None, sixteen_bit: Path | None = None) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    zip_path = dataset.resolve().parent / f"{dataset.name}.zip"
    if zip_path.exists():
        raise SystemExit(f"{zip_path} exists; move it away first")
    try:
        wizard = _open(app, dataset, zip_path)
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
        networks = wizard.page_named("networks").several.buttons
        ticked = [name for name, button in networks.items() if button.isChecked()]
        for name in ticked:
            networks[name].setChecked(False)
        _grab(app, wizard, out, "networks_error")         # the error next to the field, Next disabled
        for name in ticked:
            networks[name].setChecked(True)
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
        held, release = threading.Event(), threading.Event()
        real = summary_page.build_zip
        summary_page.build_zip = _held_build_zip(held, release)
        try:
            summary.validatePage()
            _wait(app, held.is_set)
            _grab(app, wizard, out, "summary_writing")
            summary.cancel_writing()
            release.set()
            _wait(app, lambda: summary.task is None)
        finally:
            release.set()
            summary_page.build_zip = real
        _grab(app, wizard, out, "summary_cancelled")
        summary.validatePage()
        _wait(app, lambda: summary.task is None)
        _grab(app, wizard, out, "summary_written")
        wizard.close()
        if labelled_only is not None:
            wizard = _open(app, labelled_only, None)
            _grab(app, wizard, out, "dataset_labelled_only")
            wizard.next()
            _grab(app, wizard, out, "process_labelled_only")
            wizard.close()
        if sixteen_bit is not None:
            wizard = _open(app, sixteen_bit, None)
            _grab(app, wizard, out, "dataset_16bit")
            wizard.next()
            wizard.page_named("process").buttons["IDD"].setChecked(True)
            wizard.next()
            transforms = wizard.page_named("transforms")
            _wait(app, lambda: transforms.task is None and transforms.shown_key is not None)
            _grab(app, wizard, out, "transforms_16bit")
            wizard.close()
    finally:
        zip_path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Screenshots of every page of the wizard.")
    parser.add_argument("dataset", type=Path, help="a dataset with unlabelled images")
    parser.add_argument("out", type=Path, help="folder for wizard_<page>.png")
    parser.add_argument("--labelled-only", type=Path, help="a dataset without unlabelled images")
    parser.add_argument("--sixteen-bit", type=Path, help="a dataset of 16-bit images")
    args = parser.parse_args(argv)
    take(args.dataset, args.out, args.labelled_only, args.sixteen_bit)


if __name__ == "__main__":
    main()

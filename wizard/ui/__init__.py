"""The Qt wizard over the headless core: configure a run step by step and write the zip.

    open_wizard(dataset_dir, parent)   show the wizard over a window (the annotator's Train…)
    atlass wizard [DATASET]            the same from the shell (wizard/ui/cli.py)

Qt is imported only when a wizard is opened, so `import wizard.ui` stays cheap. The decisions
(pages per process, cost, the RunConfig from the pages' values) live in `plan.py`, free of Qt.
"""
from __future__ import annotations

from pathlib import Path


def open_wizard(dataset_dir: str | Path | None = None, parent=None):
    """Show the wizard on `dataset_dir` (prefilled and inspected at once) and return it.

    Over `parent` it is window-modal: the parent (the annotator) waits while the dataset is being
    configured and packed, so the zip holds the dataset as it was inspected. The call returns at
    once; the wizard deletes itself when closed.
    """
    from PySide6.QtCore import Qt

    from .window import AtlassWizard

    wizard = AtlassWizard(dataset_dir, parent=parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is not None:
        wizard.setWindowModality(Qt.WindowModality.WindowModal)
    wizard.show()
    wizard.raise_()
    wizard.activateWindow()
    return wizard


__all__ = ["open_wizard"]

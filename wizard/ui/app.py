"""`atlass wizard`: the Qt application around one wizard window."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from .window import AtlassWizard


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ATLASS wizard")
    app.setOrganizationName("ATLASS")
    return app


def run_wizard(dataset_dir: Path | None = None, zip_path: Path | None = None) -> int:
    """Show the wizard until it is closed; 0 when a zip was written, 1 when none was."""
    app = application()
    wizard = AtlassWizard(dataset_dir, zip_path)
    wizard.show()
    app.exec()
    written = wizard.written_zip
    # Deleted now, while the application exists (left to Python it goes at exit, after it: a crash).
    wizard.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if written is not None:
        print(f"Wrote {written}")
        return 0
    print("The wizard was closed without writing a zip.")
    return 1

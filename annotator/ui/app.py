"""Starting the Qt app: the start dialog when the command line did not say enough, then the
main window."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QDialog

from ..cli import StartRequest
from ..session import Session
from .main_window import MainWindow
from .start_dialog import StartDialog


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ATLASS annotator")
    app.setOrganizationName("ATLASS")
    return app


def run_app(session: Session | None, request: StartRequest | None = None) -> int:
    """Show the window (after the start dialog when `session` is None); returns the exit code."""
    app = application()
    if session is None:
        request = request or StartRequest()
        dialog = StartDialog(request.images, request.output, request.categories)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.session is None:
            return 0
        session = dialog.session
    window = MainWindow(session)
    window.show()
    return app.exec()

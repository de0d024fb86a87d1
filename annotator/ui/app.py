"""Starting the Qt app: the start dialog when the command line did not say enough, then the
main window."""
from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QDialog

from ..start_request import StartRequest
from ..session import Session
from .main_window import MainWindow
from .start_dialog import StartDialog


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ATLASS annotator")
    app.setOrganizationName("ATLASS")
    return app


def binding_problem() -> str | None:
    """A known defect of the installed Qt binding that can crash the app, or None."""
    import PySide6

    if tuple(PySide6.__version_info__[:2]) == (6, 12) and sys.version_info < (3, 12):
        return (f"PySide6 {PySide6.__version__} loses references to None/True on Python "
                f"{sys.version_info.major}.{sys.version_info.minor}, which can abort the annotator after a "
                "few hundred actions (your work is saved). Install PySide6-Essentials<6.12 to avoid it.")
    return None


def dispose(widget) -> None:
    """Delete a top-level widget now, while the application still exists. Left to Python, a
    dialog or window kept alive by its own signal connections is deleted at interpreter exit,
    after the QApplication: "shared QObject was deleted directly", then a crash (bus error)."""
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def run_app(session: Session | None, request: StartRequest | None = None) -> int:
    """Show the window (after the start dialog when `session` is None); returns the exit code."""
    problem = binding_problem()
    if problem:
        print(f"Warning: {problem}", file=sys.stderr, flush=True)
    app = application()
    if session is None:
        request = request or StartRequest()
        dialog = StartDialog(request.images, request.output, request.categories)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted and dialog.session is not None
        session = dialog.session
        dispose(dialog)
        if not accepted:
            return 0
    window = MainWindow(session)
    window.show()
    if request is not None and request.review is not None:
        window.reviewing.start(request.review)
    code = app.exec()
    for widget in QApplication.topLevelWidgets():       # this one, and those opened from its menu
        dispose(widget)
    return code

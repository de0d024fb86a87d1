"""Opening another session from the menu, and the recent sessions (remembered in QSettings)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog

from ..errors import AnnotatorError, RearrangeNeeded
from ..session import Session
from . import dialogs

RECENT = 8
WINDOWS: list = []            # windows opened from the menu, kept alive until the app ends


def recent_folders() -> list[Path]:
    found = QSettings().value("recent_sessions", []) or []
    return [Path(f) for f in (found if isinstance(found, list) else [found]) if Path(f).is_dir()][:RECENT]


def remember(folder: Path) -> None:
    folders = [str(folder)] + [str(f) for f in recent_folders() if f != folder]
    QSettings().setValue("recent_sessions", folders[:RECENT])


def open_other(window, folder: Path | None = None) -> None:
    """The chosen session in a new window; the current one is saved and closed first."""
    from .main_window import MainWindow
    from .start_dialog import StartDialog

    session = None
    if folder is None:
        dialog = StartDialog(output=window.session.output.parent, parent=window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            session = dialog.session
        dialog.deleteLater()
    else:
        try:
            session = Session.open(folder)
        except RearrangeNeeded as needed:
            if dialogs.ask_rearrange(window, needed.folder, needed.moves) == dialogs.REARRANGE:
                session = Session.open(folder, rearrange=True)
        except AnnotatorError as exc:
            dialogs.show_error(window, "Open", str(exc))
    if session is None:
        return
    if session.output == window.session.output:          # the same one: nothing to switch
        if session is not window.session:
            session.close()
        return
    remember(session.output)
    new = MainWindow(session)
    WINDOWS.append(new)
    new.show()
    window.close()

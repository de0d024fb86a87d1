"""Fixtures of the annotator tests: generated image folders, sessions closed after each test."""
from __future__ import annotations

import pytest

from annotator import Session
from annotator_helpers import make_flat_folder, make_image_folder


@pytest.fixture
def image_folder(tmp_path):
    return make_image_folder(tmp_path / "images")


@pytest.fixture
def flat_folder(tmp_path):
    return make_flat_folder(tmp_path / "flat", 12)


@pytest.fixture
def sessions():
    """Call it like Session.create/open/start; every session made is closed at the end."""
    made = []

    class Factory:
        def create(self, *args, **kwargs):
            return self._keep(Session.create(*args, **kwargs))

        def open(self, *args, **kwargs):
            return self._keep(Session.open(*args, **kwargs))

        def start(self, *args, **kwargs):
            return self._keep(Session.start(*args, **kwargs))

        def _keep(self, session):
            made.append(session)
            return session

    yield Factory()
    for session in made:
        session.close()


@pytest.fixture
def open_window(qtbot):
    """Show a MainWindow on a session, active (so keyboard shortcuts work); closed at the end,
    and its worker threads checked to be gone."""
    from annotator.ui.main_window import MainWindow
    windows = []

    def show(session, **options):
        options.setdefault("prefetch", False)
        window = MainWindow(session, **options)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        windows.append(window)
        return window

    yield show
    for window in windows:
        window.close()
        assert window.loader._pool.activeThreadCount() == 0
        assert window.preview._pool.activeThreadCount() == 0


@pytest.fixture(autouse=True)
def fresh_settings(tmp_path_factory):
    """The app's remembered settings (thumbnail size, recent sessions) in a folder of the tests',
    empty at the start of each test: the user's own are never read or changed."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path_factory.getbasetemp() / "qt-settings"))
    QSettings().clear()
    yield

"""Train…: the wizard when the wizard package provides one, else `atlass export` in a process."""
import sys
import types

import pytest
from PySide6.QtWidgets import QMessageBox

from annotator.ui import dialogs, train_launcher

pytestmark = pytest.mark.gui


def test_the_wizard_opens_on_the_output_folder_when_it_exists(flat_folder, tmp_path, sessions, open_window,
                                                              monkeypatch):
    opened = []
    fake = types.ModuleType("wizard.ui")
    fake.open_wizard = lambda dataset, parent: opened.append((dataset, parent))
    monkeypatch.setitem(sys.modules, "wizard.ui", fake)
    window = open_window(sessions.create(flat_folder, tmp_path / "out", ["G1"]))
    window.train_action.trigger()
    assert opened == [(window.session.output, window)]
    assert len(list((tmp_path / "out" / "unlabelled").iterdir())) == 12      # dataset complete first


def test_without_the_wizard_atlass_export_runs_in_a_process(flat_folder, tmp_path, sessions, open_window,
                                                           monkeypatch, qtbot):
    command = train_launcher.export_command(tmp_path / "out", tmp_path / "out.zip")
    assert command == [sys.executable, "-m", "atlass_cli.main", "export", str(tmp_path / "out"),
                       "-o", str(tmp_path / "out.zip")]
    monkeypatch.setattr(train_launcher, "find_wizard", lambda: None)
    monkeypatch.setattr(train_launcher, "ask_zip_path", lambda parent, dataset: tmp_path / "project.zip")
    monkeypatch.setattr(train_launcher, "export_command",
                        lambda dataset, zip_path: [sys.executable, "-c", f"print('export', {str(dataset)!r})"])
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    window = open_window(sessions.create(flat_folder, tmp_path / "out", ["G1"]))
    window.train_action.trigger()
    with qtbot.waitSignal(window._export.done, timeout=30000) as finished:
        pass
    code, output = finished.args
    assert code == 0 and output == f"export {tmp_path / 'out'}"
    assert "project.zip" in shown[0]

    monkeypatch.setattr(train_launcher, "export_command",
                        lambda dataset, zip_path: [sys.executable, "-c", "import sys; sys.exit('no export command')"])
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: errors.append(text))
    window.train_action.trigger()
    with qtbot.waitSignal(window._export.done, timeout=30000):
        pass
    assert "no export command" in errors[0]

"""Ways in without a window: `atlass wizard [DATASET]` (Qt imported only when a window opens). Opening the window: test_wizard_ui_open.py."""
from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path


from atlass_cli.main import build_parser, main

REPO_ROOT = str(Path(__file__).resolve().parents[2])


def test_importing_the_cli_wizard_ui_and_its_plan_does_not_import_qt():
    check = ("import sys; import wizard.ui, wizard.ui.cli, wizard.plan, atlass_cli.main as m; m.build_parser(); "
             "print('PySide6' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=REPO_ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_wizard_command_is_listed_and_opens_the_window_on_its_arguments(monkeypatch, tmp_path, capsys):
    assert "wizard" in build_parser().format_help()
    calls = []
    app = types.ModuleType("wizard.ui.app")                 # the window, replaced (no Qt needed)
    app.run_wizard = lambda dataset, zip_path: calls.append((dataset, zip_path)) or 0
    monkeypatch.setitem(sys.modules, "wizard.ui.app", app)
    assert main(["wizard", str(tmp_path / "cells"), "-o", str(tmp_path / "cells.zip")]) == 0
    assert main(["wizard"]) == 0
    assert calls == [(tmp_path / "cells", tmp_path / "cells.zip"), (None, None)]


def test_without_qt_the_command_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "wizard.ui.app", raising=False)     # imported again...
    monkeypatch.setitem(sys.modules, "PySide6.QtWidgets", None)          # ...without Qt
    assert main(["wizard"]) == 1
    assert "pip install 'atlass[gui]'" in capsys.readouterr().err

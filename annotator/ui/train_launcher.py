"""The Train… button, kept here so it is easy to switch: the Qt wizard on the dataset when the
`wizard` package provides one, else `atlass export` with its defaults in a separate process."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from . import dialogs


def find_wizard():
    """`wizard.ui.open_wizard(dataset_dir, parent)` when it exists, else None."""
    try:
        from wizard.ui import open_wizard
    except ImportError as exc:
        if exc.name in ("wizard", "wizard.ui"):
            return None
        raise
    return open_wizard


def export_command(dataset: Path, zip_path: Path) -> list[str]:
    return [sys.executable, "-m", "atlass_cli.main", "export", str(dataset), "-o", str(zip_path)]


def ask_zip_path(parent: QWidget, dataset: Path) -> Path | None:
    suggested = str(dataset.parent / f"{dataset.name}.zip")
    path, _ = QFileDialog.getSaveFileName(parent, "Save the training project as", suggested, "Zip files (*.zip)")
    return Path(path) if path else None


class ExportRun(QObject):
    """Runs `atlass export` without blocking the window; says how it ended."""
    done = Signal(int, str)                       # exit code, what it printed

    def __init__(self, dataset: Path, zip_path: Path, parent: QWidget):
        super().__init__(parent)
        self.command = export_command(dataset, zip_path)
        self.zip_path = zip_path
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        self.progress = QProgressDialog("Writing the training project…", "Cancel", 0, 0, parent)
        self.progress.setWindowTitle("Train")
        self.progress.canceled.connect(self.process.kill)

    def start(self) -> None:
        self.progress.show()
        self.process.start(self.command[0], self.command[1:])

    def _failed_to_start(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._finished(-1, None)

    def _finished(self, code: int, status) -> None:
        self.progress.close()
        output = bytes(self.process.readAll()).decode("utf-8", "replace").strip()
        parent = self.parent()
        if code == 0:
            QMessageBox.information(parent, "Train", f"The training project is ready:\n{self.zip_path}\n\n"
                                    "Open its notebook in Google Colab or run it with `atlass run`.")
        else:
            tail = "\n".join(output.splitlines()[-12:]) or "the export command could not be started"
            dialogs.show_error(parent, "Train", f"Writing the training project failed:\n\n{tail}")
        self.done.emit(code, output)


def open_training(dataset: Path, parent: QWidget) -> ExportRun | None:
    """What the Train… button does once the dataset on disk is complete."""
    open_wizard = find_wizard()
    if open_wizard is not None:
        open_wizard(dataset, parent)
        return None
    zip_path = ask_zip_path(parent, dataset)
    if zip_path is None:
        return None
    run = ExportRun(dataset, zip_path, parent)
    run.start()
    return run

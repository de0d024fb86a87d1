"""Page 7: what will run, its rough cost, where the zip goes; writing the zip with progress and
Cancel (a cancelled zip leaves no file behind)."""
from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QThreadPool, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLineEdit, QMessageBox, QProgressBar, QPushButton,
                               QVBoxLayout, QWizard)

from atlass_project.zip_builder import beside_notebook, build_zip
from ..plan import WizardModel, shell_text, zip_path_problem
from .tasks import Task
from .widgets import ERROR_STYLE, ConfigPage, error_label, finding_html, hint_style, show_error, text_label

WRITE_TEXT = "Write zip"
CLOSE_TEXT = "Close"
DONE_STYLE = "color: #1b5e20;"


def zip_job(model: WizardModel):
    """The work of writing the zip, with everything it needs taken from the model now (on the UI
    thread): the files the inspection could not read are left out, as `atlass export` does."""
    dataset, config, zip_path = model.dataset_dir, model.config, model.zip_path
    exclude = [path for path, _ in model.report.unreadable]

    def work(progress, cancelled) -> Path:
        return build_zip(dataset, config, zip_path, progress=progress, cancel=cancelled, exclude=exclude)
    return work


class SummaryPage(ConfigPage):
    name = "summary"
    written = Signal(str)       # the zip's path, once it is complete
    stopped = Signal(str)       # writing ended without a zip: "cancelled" or the error

    def __init__(self, model: WizardModel, pool: QThreadPool):
        super().__init__(model, "Summary and output",
                         "Check what will run, choose where the zip goes, and write it. The notebook is "
                         "written next to it: open that in Google Colab, which then asks for the zip.")
        self.pool = pool
        self.task: Task | None = None
        self.done_key = None
        self.summary = text_label(rich=True, selectable=True)
        self.summary.setObjectName("summary")
        self.findings = text_label(rich=True)
        self.findings.setObjectName("summary_findings")
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("zip_path")
        self.path_edit.textChanged.connect(self._path_changed)
        self.path_edit.textEdited.connect(self._path_chosen)
        self.choose = QPushButton("Choose…")
        self.choose.clicked.connect(self.choose_path)
        self.path_error = error_label("zip_path")
        self.replace_note = text_label()
        self.progress = QProgressBar()
        self.progress.setObjectName("zip_progress")
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel writing")
        self.cancel_button.setObjectName("cancel_writing")
        self.cancel_button.clicked.connect(self.cancel_writing)
        self.cancel_button.hide()
        self.status = text_label(selectable=True)
        self.status.setObjectName("zip_status")
        self.command = text_label(selectable=True)
        self.command.setObjectName("export_command")
        hint_style(self.command)

        row = QHBoxLayout()
        row.addWidget(text_label("Save the zip as:"))
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.choose)
        writing = QHBoxLayout()
        writing.addWidget(self.progress, 1)
        writing.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.findings)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.path_error)
        layout.addWidget(self.replace_note)
        layout.addLayout(writing)
        layout.addWidget(self.status)
        layout.addWidget(self.command)

    # ------------------------------------------------------------------ Qt hooks
    def initializePage(self) -> None:
        model = self.model
        rows = "".join(f"<tr><td style='padding-right:12px; vertical-align:top'><b>{html.escape(what)}</b></td>"
                       f"<td>{html.escape(value)}</td></tr>" for what, value in model.summary())
        self.summary.setText(f"<table>{rows}</table>")
        self.findings.setText(finding_html(model.findings()))
        self.path_edit.blockSignals(True)
        self.path_edit.setText(str(model.zip_path) if model.zip_path else "")
        self.path_edit.blockSignals(False)
        if self.done_key != self._key():        # a zip written with these very settings stays said
            self.status.clear()
        self._path_changed(self.path_edit.text())

    def isComplete(self) -> bool:
        return (self.task is None and self.model.error is None and not self.model.blocking()
                and self.model.report is not None
                and zip_path_problem(self.path_edit.text(), self.model.dataset_dir) is None)

    def validatePage(self) -> bool:
        """Finish: the first click writes the zip (asking before replacing one); once it is
        written, Close closes."""
        if self.done_key == self._key():
            return True
        if self.task is None and self._may_write():
            self.start_writing()
        return False

    def _may_write(self) -> bool:
        path = self.model.zip_path
        if path is None or not path.exists():
            return True
        stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        return ask_replace(self, f"{path} already exists ({path.stat().st_size / 2**20:.1f} MB, written {stamp}). "
                                 "Replace it with the new project zip?")

    # ------------------------------------------------------------------ path
    def choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the project zip as", self.path_edit.text(),
                                              "Zip files (*.zip)")
        if path:
            self.path_edit.setText(path if path.lower().endswith(".zip") else path + ".zip")
            self._path_chosen(self.path_edit.text())

    def _path_chosen(self, text: str) -> None:
        """Typed or chosen by the user: from now on the path stays when the dataset changes."""
        self.model.zip_path_chosen = True

    def _path_changed(self, text: str) -> None:
        problem = zip_path_problem(text, self.model.dataset_dir)
        show_error(self.path_error, problem)
        path = Path(text.strip()).expanduser() if text.strip() else None
        if problem is None:
            self.model.zip_path = path
            self.command.setText("The same zip from the command line:\n"
                                 + shell_text(self.model.export_command()))
        self.replace_note.setText(f"{path.name} exists: writing asks before replacing it." if problem is None
                                  and path.exists()
                                  and self.done_key != self._key() else "")
        self.replace_note.setVisible(bool(self.replace_note.text()))
        self._set_finish_text()
        self.completeChanged.emit()

    def _key(self):
        return (self.model.config.to_json(), str(self.model.zip_path), str(self.model.dataset_dir))

    def _set_finish_text(self) -> None:
        """Once the zip is written, one button (Close) and the next step above it."""
        wizard = self.wizard()
        if wizard is not None:
            done = self.done_key == self._key()
            wizard.setButtonText(QWizard.WizardButton.FinishButton, CLOSE_TEXT if done else WRITE_TEXT)
            for button in (QWizard.WizardButton.BackButton, QWizard.WizardButton.CancelButton):
                wizard.button(button).setVisible(not done)

    # ------------------------------------------------------------------ writing
    @property
    def writing(self) -> bool:
        return self.task is not None

    def start_writing(self) -> None:
        zip_path = self.model.zip_path
        self.done_key = None
        self.task = Task(zip_job(self.model), self)
        self.task.connect(progress=self._progress, finished=self._finished, cancelled=self._cancelled,
                          failed=self._failed)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.path_edit.setEnabled(False)
        self.choose.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(f"Writing {zip_path}…")
        self.task.start(self.pool)
        self.completeChanged.emit()
        self.wizard().button(QWizard.WizardButton.BackButton).setEnabled(False)

    def cancel_writing(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")

    def _progress(self, done: int, total: int) -> None:
        if self.sender() is self.task:
            self.progress.setRange(0, 1000)
            self.progress.setValue(1000 * done // max(total, 1))

    def _ended(self) -> None:
        self.task = None
        self.progress.hide()
        self.cancel_button.hide()
        self.path_edit.setEnabled(True)
        self.choose.setEnabled(True)
        self.completeChanged.emit()

    def _finished(self, path) -> None:
        if self.sender() is not self.task:
            return
        self._ended()
        self.done_key = self._key()
        size = Path(path).stat().st_size / 2**20
        self.replace_note.hide()
        self.status.setStyleSheet(DONE_STYLE)
        notebook = beside_notebook(path)
        self.status.setText(f"Wrote {path} ({size:.1f} MB) and, next to it, the notebook {notebook.name}.\n"
                            f"Next, in Google Colab: 1. File > Upload notebook: {notebook.name}. 2. Runtime > "
                            f"Change runtime type: a GPU. 3. Runtime > Run all, and pick {Path(path).name} when "
                            f"the notebook asks for it.\nOr run it on this computer: atlass run {path}")
        self._set_finish_text()
        self.written.emit(str(path))

    def _cancelled(self) -> None:
        if self.sender() is not self.task:
            return
        self._ended()
        self.status.setStyleSheet("")
        self.status.setText("Cancelled: no zip was written.")
        self.stopped.emit("cancelled")

    def _failed(self, message: str) -> None:
        if self.sender() is not self.task:
            return
        self._ended()
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(f"The zip could not be written: {message}")
        self.stopped.emit(message)


def ask_replace(parent, text: str) -> bool:
    """Yes to replace (a module function, so tests can answer it)."""
    answer = QMessageBox.question(parent, "Replace the zip?", text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                  QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes

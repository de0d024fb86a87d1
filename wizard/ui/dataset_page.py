"""Page 1: the organised dataset, inspected off the UI thread: categories, counts, unlabelled
images and what the user should fix first.

A folder is inspected when the user says so (Enter, Choose…, leaving the field), never while
typing: a pause after `/home/` must not read a whole home folder. The inspections run in a pool
of their own, so one still reading a wrong folder does not hold up the next, and only the latest
one's result is shown."""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QThreadPool, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLineEdit,
                               QProgressBar, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from atlass_runtime.dataset import UNLABELLED
from atlass_runtime.split import class_split_sizes

from atlass_project.inspection import category_order, inspect_dataset
from ..pages import NO_UNLABELLED
from ..plan import WizardModel
from .tasks import Task
from .widgets import ConfigPage, error_label, finding_html, show_error, text_label

MAX_TABLE_HEIGHT = 330     # more categories than fit scroll


def ordered_counts(report) -> list[tuple[str, int]]:
    """The categories in the annotator's order (its manifest), the others by name, any case."""
    order = {name: i for i, name in enumerate(category_order(report.root))}
    return sorted(report.counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0].casefold()))


def image_kinds(report) -> str:
    """'All 800 images are 8-bit colour.' or the counts of each kind when they are mixed."""
    total = sum(report.bit_depths.values())
    if not total:
        return ""
    if len(report.bit_depths) == 1 and len(report.colours) == 1:
        return f"All {total} images are {next(iter(report.bit_depths))} {next(iter(report.colours))}."
    depths = ", ".join(f"{n} {kind}" for kind, n in sorted(report.bit_depths.items()))
    colours = ", ".join(f"{n} {kind}" for kind, n in sorted(report.colours.items()))
    return f"Images: {depths}; {colours}."


def split_note() -> str:
    """Why a category can be too small to split."""
    return ("Each category is split into training, validation and test images, at least one of each, "
            "so it needs at least 3 labelled images. The zip cannot be written until this is fixed.")


class DatasetPage(ConfigPage):
    name = "dataset"
    inspected = Signal()      # an inspection ended (report shown or error shown)

    def __init__(self, model: WizardModel, pool: QThreadPool):
        super().__init__(model, "Your dataset",
                         f"The organised dataset: one folder per category, plus {UNLABELLED}/ for the "
                         "images you have not sorted. The annotator writes it for you.")
        self.pool = pool
        self.task: Task | None = None
        self.path_edit = QLineEdit(str(model.dataset_dir) if model.dataset_dir else "")
        self.path_edit.setPlaceholderText("folder with one sub-folder per category")
        self.path_edit.setObjectName("dataset_path")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_folder)
        self.path_error = error_label("dataset")
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = text_label()
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Category", "Images", "Training", "Validation", "Test"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, 5):
            self.table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.hide()
        self.unlabelled_label = text_label(rich=True)
        self.unlabelled_label.setObjectName("unlabelled_summary")
        self.findings_label = text_label(rich=True)
        self.findings_label.setObjectName("findings")

        self.path_edit.textEdited.connect(self._typed)
        self.path_edit.editingFinished.connect(self.inspect)

        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(choose)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.path_error)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(self.unlabelled_label)
        layout.addWidget(self.findings_label)
        layout.addStretch(1)

    # ------------------------------------------------------------------ Qt hooks
    def initializePage(self) -> None:
        if self.model.report is None and self.path_edit.text().strip():
            self.inspect()

    def isComplete(self) -> bool:
        report = self.model.report
        # Stops here on any problem, also one the settings cause (a category too small to split):
        # the user is not walked to the last page to learn it there.
        return (report is not None and not self.model.blocking() and self.task is None
                and self._typed_path() == self.model.dataset_dir)

    def cleanupPage(self) -> None:      # the first page: nothing to go back to
        pass

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._show_findings()          # back from the Training page: the split may have changed

    # ------------------------------------------------------------------ actions
    def choose_folder(self) -> None:
        start = self.path_edit.text().strip() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose the organised dataset", start)
        if folder:
            self.path_edit.setText(folder)
            self.inspect()

    def _typed(self, _text: str) -> None:
        if self.task is None:
            typed_another = self._typed_path() != self.model.dataset_dir
            self.status.setText("Press Enter or click Choose… to read this folder." if typed_another
                                else self._summary(self.model.report))
        self.completeChanged.emit()

    def _typed_path(self) -> Path | None:
        text = self.path_edit.text().strip()
        return Path(text).expanduser() if text else None

    def inspect(self) -> None:
        """Inspect the folder in the path field (again only if it changed)."""
        path = self._typed_path()
        if path == self.model.dataset_dir and (self.model.report is not None or self.task is not None):
            return
        self.stop()
        self.model.set_dataset(path)
        self._show_report(None)
        if path is None:
            show_error(self.path_error, "choose the folder of the organised dataset")
        elif not path.is_dir():
            show_error(self.path_error, f"{path} is not a folder")
        else:
            show_error(self.path_error, None)
            self.progress.setRange(0, 0)
            self.progress.show()
            self.status.setText(f"Reading every image of {path.name}…")
            self.task = Task(lambda progress, cancelled: inspect_dataset(path, progress, cancelled), self)
            self.task.connect(progress=self._progress, finished=self._finished, failed=self._failed,
                              cancelled=self._cancelled)
            self.task.start(self.pool)
        self.completeChanged.emit()
        if self.task is None:
            self.inspected.emit()

    def stop(self) -> None:
        """Cancel a running inspection: it reports nothing more, and its thread is not waited
        for (reading the file list of a big folder cannot be interrupted)."""
        if self.task is not None:
            self.task.silence()
            self.task = None

    # ------------------------------------------------------------------ results
    def _progress(self, done: int, total: int) -> None:
        if self.sender() is self.task:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _finished(self, report) -> None:
        if self.sender() is not self.task:
            return
        self.task = None
        self.model.set_report(report)
        self._show_report(report)
        self.completeChanged.emit()
        self.inspected.emit()

    def _failed(self, message: str) -> None:
        if self.sender() is not self.task:
            return
        self.task = None
        self._show_report(None)
        show_error(self.path_error, message)
        self.completeChanged.emit()
        self.inspected.emit()

    def _cancelled(self) -> None:
        if self.sender() is self.task:
            self.task = None
            self._show_report(None)
            self.completeChanged.emit()

    @staticmethod
    def _summary(report) -> str:
        if report is None:
            return ""
        reviewed = f" {report.review_text()[:1].upper()}{report.review_text()[1:]}." if report.review_text() else ""
        return (f"{len(report.counts)} categories, {report.labelled} labelled and "
                f"{report.unlabelled} unlabelled images. {image_kinds(report)}{reviewed}")

    def _show_report(self, report) -> None:
        self.progress.hide()
        if report is None:
            self.status.clear()
            self.table.hide()
            self.unlabelled_label.clear()
            self._show_findings()
            return
        self.status.setText(self._summary(report))
        config = self.model.config
        rows = [(name, str(count), *(str(n) for n in class_split_sizes(count, config.valid_fraction,
                                                                       config.test_fraction)))
                if count >= 3 else (name, str(count), "too few", "", "")
                for name, count in ordered_counts(report)]
        rows.append((f"{UNLABELLED} (not sorted)", str(report.unlabelled), "", "", ""))
        self.table.setRowCount(len(rows))
        for row, texts in enumerate(rows):
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if row == len(rows) - 1:
                    font = item.font()
                    font.setItalic(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        height = (self.table.horizontalHeader().height() + 2 * self.table.frameWidth()
                  + sum(self.table.rowHeight(r) for r in range(len(rows))))
        self.table.setFixedHeight(min(height, MAX_TABLE_HEIGHT))
        self.table.show()
        if report.has_unlabelled:
            self.unlabelled_label.setText(
                f"<b>{report.unlabelled} unlabelled images</b>: all seven processes can learn from them.")
        else:
            self.unlabelled_label.setText(f"<b>No unlabelled images</b>: {html.escape(NO_UNLABELLED)}")
        self._show_findings()

    def _show_findings(self) -> None:
        """The inspection's findings plus the problems of the current settings (a category too
        small to split), which would otherwise first show on the summary page."""
        report = self.model.report
        if report is None:
            self.findings_label.clear()
            return
        settings = [f for f in self.model.blocking() if f not in report.findings]
        listing = finding_html(report.findings + settings)
        if report.blocking:
            listing += "<p>Fix the problems above in the dataset folder, then choose it again.</p>"
        if any(f.code == "too_few_to_split" for f in settings):
            listing += f"<p>{html.escape(split_note())}</p>"
        self.findings_label.setText(listing)

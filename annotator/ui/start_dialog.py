"""The start dialog: a new session (image folder, output folder, categories) or continuing an
existing output folder. It checks everything live and opens the session on OK."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from wizard.ui.tasks import Task

from ..errors import AnnotatorError, RearrangeNeeded
from ..names import category_name_problem
from ..session import Session, describe_output_folder
from ..source_folder import SourceSummary, summarise_source
from . import dialogs

MAX_CATEGORIES = 30


CHECK_PAUSE_MS = 700      # a folder typed is checked after this pause (or on Enter, or leaving)


def _folder_row(edit: QLineEdit, title: str, parent: QWidget, on_chosen=None) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    browse = QPushButton("Browse…")
    edit.browse_button = browse

    def choose():
        folder = QFileDialog.getExistingDirectory(parent, title, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)
            if on_chosen:
                on_chosen()
    browse.clicked.connect(choose)
    row.addWidget(browse)
    return row


class StartDialog(QDialog):
    def __init__(self, images: Path | None = None, output: Path | None = None, categories=(), parent=None):
        super().__init__(parent)
        self.setWindowTitle("ATLASS annotator — start")
        self.session: Session | None = None
        self.source: SourceSummary | None = None      # the chosen image folder, once read
        self._ready = False                           # no checks while the widgets are being made
        self.pool = QThreadPool(self)                 # folder checks, off the UI thread
        self.pool.setMaxThreadCount(2)
        self._described: dict[str, tuple[str, bool]] = {}   # folder -> (text, is a problem)
        self._describing: Task | None = None
        self._pause = QTimer(self, singleShot=True, interval=CHECK_PAUSE_MS, timeout=self._describe_continue)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._new_tab(), "New session")
        self.tabs.addTab(self._continue_tab(), "Continue")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.tabs.currentChanged.connect(self._check)
        self.resize(720, 520)
        self._output_edited = output is not None
        self._set_tab_order()
        self._ready = True
        if categories:
            self.count.setValue(len(categories))
            for edit, name in zip(self.name_edits, categories):
                edit.setText(name)
        if images:
            self.images_edit.setText(str(images))
            self._images_changed()
        if output:
            self.output_edit.setText(str(output))
            self.continue_edit.setText(str(output))
            if images is None:
                self.tabs.setCurrentIndex(1)
                self._describe_continue()
        self._check()

    # -- the two tabs
    def _new_tab(self) -> QWidget:
        tab = QWidget()
        self.images_edit = QLineEdit()
        self.images_edit.setPlaceholderText("folder with the images to sort (sub-folders are searched too)")
        self.images_info = QLabel()
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("new or empty folder for the organised dataset")
        self.count = QSpinBox()
        self.count.setRange(1, MAX_CATEGORIES)
        self.count.setValue(2)
        self.count.setMaximumWidth(90)
        self.names_box = QWidget()
        self.names_layout = QFormLayout(self.names_box)
        self.names_layout.setContentsMargins(0, 0, 0, 0)
        self.name_edits: list[QLineEdit] = []
        self.from_folders = QCheckBox("Assign images from their sub-folder")
        self.from_folders.setToolTip("An image in a sub-folder named like a category starts in that category "
                                     "(you can still change it); the others start unlabelled")
        self.from_folders.clicked.connect(self._from_folders_clicked)
        self._from_folders_chosen = False            # the user set it: names no longer decide
        self.from_folders_info = QLabel()
        self.from_folders_info.setWordWrap(True)
        self.from_folders_info.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        form = QFormLayout(tab)
        form.addRow("Image folder:", _folder_row(self.images_edit, "Image folder", self, self._images_changed))
        form.addRow("", self.images_info)
        form.addRow("Output folder:", _folder_row(self.output_edit, "Output folder", self))
        note = QLabel("The image folder is never modified: images are hard-linked (or copied) into the "
                      "output folder, one sub-folder per category plus unlabelled/.")
        note.setWordWrap(True)
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        form.addRow("", note)
        form.addRow("Number of categories:", self.count)
        form.addRow("Category names:", self.names_box)
        form.addRow("", self.from_folders)
        form.addRow("", self.from_folders_info)
        self.images_edit.editingFinished.connect(self._images_changed)     # not per key: it walks the folder
        self.images_edit.textChanged.connect(self._check)
        self.output_edit.textEdited.connect(lambda _: setattr(self, "_output_edited", True))
        self.output_edit.textChanged.connect(self._check)
        self.count.valueChanged.connect(self._resize_names)
        self._resize_names(self.count.value())
        return tab

    def _continue_tab(self) -> QWidget:
        tab = QWidget()
        self.continue_edit = QLineEdit()
        self.continue_edit.setPlaceholderText("an output folder of an earlier session, or any organised dataset")
        self.continue_info = QLabel()
        self.continue_info.setWordWrap(True)
        form = QFormLayout(tab)
        form.addRow("Output folder:", _folder_row(self.continue_edit, "Output folder to continue", self))
        form.addRow("", self.continue_info)
        hint = QLabel("Also opens datasets made by the original ATLASS (category folders and loose images).")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        form.addRow("", hint)
        self.continue_edit.textChanged.connect(self._continue_typed)
        self.continue_edit.editingFinished.connect(self._describe_continue)
        return tab

    def _continue_typed(self, _text: str) -> None:
        """Not per key: describing a folder walks it (seconds for `/`). After a pause, on Enter
        or on leaving the field, off the UI thread."""
        self._pause.start()
        self._check()

    def _describe_continue(self) -> None:
        self._pause.stop()
        text = self.continue_edit.text()
        if not text or text in self._described or (self._describing and self._describing.key == text):
            self._check()
            return
        if not Path(text).expanduser().is_dir():
            self._check()
            return
        task = Task(lambda _progress, _cancelled: describe_output_folder(text), self)
        task.key = text
        task.connect(finished=lambda found, t=task: self._described_folder(t, found, False),
                     failed=lambda message, t=task: self._described_folder(t, message, True))
        self._describing = task.start(self.pool)
        self._check()

    def _described_folder(self, task: Task, text: str, problem: bool) -> None:
        self._described[task.key] = (text, problem)
        if self._describing is task:
            self._describing = None
        if self._ready:
            self._check()

    def _resize_names(self, count: int) -> None:
        while len(self.name_edits) < count:
            edit = QLineEdit()
            edit.setPlaceholderText(f"category {len(self.name_edits) + 1}")
            edit.textChanged.connect(self._check)
            self.name_edits.append(edit)
            self.names_layout.addRow(f"{len(self.name_edits)}:", edit)
        while len(self.name_edits) > count:
            self.names_layout.removeRow(len(self.name_edits) - 1)
            self.name_edits.pop()
        if hasattr(self, "buttons"):
            self._set_tab_order()
        self._check()

    def _images_changed(self) -> None:
        """Count the images of the chosen folder and suggest its sub-folders as categories."""
        text = self.images_edit.text()
        folder = Path(text).expanduser() if text else None
        self._from_folders_chosen = False
        if folder is None or not folder.is_dir():
            self.source = None
            self.images_info.setText("")
            self._check()
            return
        summary = self.source = summarise_source(folder)
        found = f"{summary.n_images:,} images found"
        if summary.suggested_categories:
            found += f"; sub-folders suggested as categories: {', '.join(summary.suggested_categories[:8])}"
            if not any(edit.text() for edit in self.name_edits):
                self.count.setValue(min(len(summary.suggested_categories), MAX_CATEGORIES))
                for edit, name in zip(self.name_edits, summary.suggested_categories):
                    edit.setText(name)
        self.images_info.setText(found)
        if not self._output_edited:
            self.output_edit.setText(str(folder.resolve().parent / f"{folder.resolve().name}_sorted"))
        self._check()

    # -- checking and opening
    def categories(self) -> list[str]:
        return [edit.text() for edit in self.name_edits]

    def problem_text(self) -> str:
        """Why Open cannot be pressed yet ('' when it can)."""
        if self.tabs.currentIndex() == 1:
            text = self.continue_edit.text()
            found = self._described.get(text)
            if found is None:
                self.continue_info.setText("")
                if text and (self._pause.isActive() or self._describing is not None):
                    return "Checking the folder…"
                if not text or not Path(text).expanduser().is_dir():
                    return "Choose the output folder to continue (an existing folder)."
                return "Press Enter to check this folder."
            self.continue_info.setText("" if found[1] else found[0])
            return found[0] if found[1] else ""
        if not self.images_edit.text() or not Path(self.images_edit.text()).expanduser().is_dir():
            return "Choose the folder that holds the images."
        if not self.output_edit.text():
            return "Choose the output folder."
        names = self.categories()
        for position, name in enumerate(names):
            problem = category_name_problem(name, names[:position])
            if problem:
                return f"Category {position + 1}: {problem}."
        return ""

    def _from_folders_clicked(self, _checked: bool) -> None:
        self._from_folders_chosen = True
        self._show_from_folders()

    def _show_from_folders(self) -> None:
        """The check box offered when some category is named like a sub-folder; ticked by default
        when the categories are the sub-folders (until the user sets it)."""
        counts = self.source.sub_folder_counts(self.categories()) if self.source else {}
        offered = bool(self.source and self.source.suggested_categories)
        self.from_folders.setVisible(offered)
        self.from_folders.setEnabled(bool(counts))
        if not self._from_folders_chosen:
            self.from_folders.setChecked(bool(counts) and self.source.folders_match(self.categories()))
        if counts and self.from_folders.isChecked():
            listing = ", ".join(f"{name} {count:,}" for name, count in counts.items())
            total = sum(counts.values())
            text = (f"All {total:,} images start in a category ({listing})." if total == self.source.n_images else
                    f"{total:,} images start in a category ({listing}); the others start unlabelled.")
        elif offered and not counts:
            text = "No category is named like a sub-folder."
        else:
            text = ""
        self.from_folders_info.setText(text)
        self.from_folders_info.setVisible(bool(text))

    def from_sub_folders(self) -> bool:
        return self.from_folders.isEnabled() and self.from_folders.isChecked()

    def _check(self, *_) -> None:
        if not self._ready:
            return
        self._show_from_folders()
        problem = self.problem_text()
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def done(self, result: int) -> None:
        """Closing (Open, Cancel, Escape): no more checks. Deleting the tabs emits
        currentChanged, whose check would then read widgets Qt has already deleted (a crash at
        exit, "shared QObject was deleted directly")."""
        self._ready = False
        self._pause.stop()
        if self._describing is not None:
            self._describing.silence()
        super().done(result)

    def accept(self) -> None:
        try:
            if self.tabs.currentIndex() == 1:
                try:
                    self.session = Session.open(self.continue_edit.text())
                except RearrangeNeeded as needed:
                    if not self._confirm_rearrange(needed):
                        return
            else:
                self.session = Session.start(self.images_edit.text(), self.output_edit.text(), self.categories(),
                                             self.from_sub_folders())
        except AnnotatorError as exc:
            self.problem.setText(str(exc))
            return
        if self.session is not None:
            super().accept()

    def _confirm_rearrange(self, needed: RearrangeNeeded) -> bool:
        """A folder that is not a session: an organised copy (the New tab, filled in), the folder
        rearranged after all (the user's explicit choice), or nothing."""
        answer = dialogs.ask_rearrange(self, needed.folder, needed.moves)
        if answer == dialogs.REARRANGE:
            self.session = Session.open(needed.folder, rearrange=True)
            return True
        if answer == dialogs.COPY:
            self.tabs.setCurrentIndex(0)
            self.images_edit.setText(str(needed.folder))
            self._output_edited = False
            self._images_changed()
            self.problem.setText("An organised copy: check the categories (the sub-folders), then Open.")
        return False

    def _set_tab_order(self) -> None:
        """Tab follows the fields: folders, count, every category name, then the buttons."""
        chain = [self.images_edit, self.images_edit.browse_button, self.output_edit, self.output_edit.browse_button,
                 self.count, *self.name_edits, self.from_folders,
                 self.buttons.button(QDialogButtonBox.StandardButton.Ok),
                 self.buttons.button(QDialogButtonBox.StandardButton.Cancel)]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

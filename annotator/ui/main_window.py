"""The main window: categories on the left, the thumbnail grid in the middle, the preview on
the right, progress at the bottom. It only wires user actions to session calls and session
events to the Qt models."""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QLabel, QMainWindow, QMenu, QMessageBox, QProgressBar,
                               QProgressDialog, QToolBar, QVBoxLayout, QWidget)

from atlass_runtime.dataset import EXCLUDED

from ..errors import AnnotatorError
from ..manifest import STATE_FOLDER
from ..session import Session
from ..thumbnails import ThumbnailStore
from . import dialogs, train_launcher
from .category_panel import CategoryPanel
from .grid import ThumbnailDelegate, ThumbnailGrid
from .image_model import ALL_IMAGES, CategoryFilterModel, ImageListModel
from .panel_splitter import PanelSplitter
from .preview import PreviewPanel
from .review_mode import REVIEW, ReviewController
from .thumbnail_loader import ThumbnailLoader
from .view_controls import ViewControls

SHORTCUTS_HELP = """<table>
<tr><td><b>1</b> … <b>9</b></td><td>assign the selected images to category 1…9, then go to the next unlabelled image</td></tr>
<tr><td><b>0</b>, <b>Backspace</b></td><td>un-assign (back to Unlabelled)</td></tr>
<tr><td><b>X</b></td><td>set aside as Excluded / unsure (no run reads it)</td></tr>
<tr><td><b>N</b> / <b>P</b></td><td>next / previous unlabelled image</td></tr>
<tr><td>arrows, <b>Shift</b>/<b>Ctrl</b>+click, <b>Ctrl+A</b></td><td>move, select several, select all</td></tr>
<tr><td><b>Ctrl+Z</b> / <b>Ctrl+Shift+Z</b>, <b>Ctrl+Y</b></td><td>undo / redo</td></tr>
<tr><td><b>Ctrl+Shift+N</b>, <b>F2</b></td><td>add a category, rename the selected one</td></tr>
<tr><td><b>Ctrl +</b> / <b>Ctrl -</b> / <b>Ctrl+0</b> / <b>Ctrl+1</b></td><td>zoom in / out / fit / 1:1</td></tr>
<tr><td><b>Ctrl+]</b> / <b>Ctrl+[</b></td><td>larger / smaller thumbnails</td></tr>
<tr><td><b>Ctrl+F</b>, then <b>Enter</b></td><td>find a file by name, then the next match</td></tr>
<tr><td><b>Ctrl+B</b></td><td>brightness and contrast (display only)</td></tr>
<tr><td><b>Ctrl+O</b></td><td>open another session or dataset</td></tr>
<tr><td><b>Ctrl+T</b>, <b>Ctrl+R</b></td><td>Train…, review a run's pseudo-labels</td></tr>
<tr><td colspan="2"><b>Reviewing a run's pseudo-labels</b></td></tr>
<tr><td><b>Enter</b>, <b>A</b></td><td>accept the suggested category</td></tr>
<tr><td><b>1</b> … <b>9</b></td><td>correct: put the image in that category instead</td></tr>
<tr><td><b>R</b>, <b>Delete</b>, <b>0</b></td><td>reject: the image stays unlabelled</td></tr></table>"""


class MainWindow(QMainWindow):
    def __init__(self, session: Session, threads: int | None = None, prefetch: bool = True):
        super().__init__()
        self.session = session
        self.setWindowTitle(f"ATLASS annotator — {session.output}")
        self.store = ThumbnailStore(session.output / STATE_FOLDER / "thumbnails")
        self.loader = ThumbnailLoader(self._make_thumbnail, threads, self)
        self.images = ImageListModel(session, self.loader, parent=self)
        self.shown = CategoryFilterModel(self.images, self)
        self.grid = ThumbnailGrid()
        self.grid.setModel(self.shown)
        self.grid.setItemDelegate(ThumbnailDelegate(session.categories, self._cell, self.grid))
        self.categories = CategoryPanel(session)
        self.preview = PreviewPanel()
        self.assign_bar = QToolBar("Assign")
        self.reviewing = ReviewController(self)
        self.view = ViewControls(self)
        self._closed = False
        self._export = None
        self._build_actions()
        self._build_layout()
        self._build_status_bar()

        self.grid.selectionModel().currentChanged.connect(self._show_current)
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.categories.shown_changed.connect(self._show_category)
        self.categories.model.images_dropped.connect(self._assign_dropped)
        session.events.assigned.connect(self._on_assigned)
        session.events.categories_changed.connect(self._on_categories_changed)
        self._status_timer = QTimer(self, interval=500, timeout=self._update_storage_status)
        self._status_timer.start()
        self._update_progress()
        self._update_history_actions()
        first = session.next_unlabelled(-1)
        self.select_rows([first if first is not None else 0] if len(session) else [])
        if prefetch:
            QTimer.singleShot(500, lambda: self.loader.prefetch(range(len(session))))
        for note in session.notes:
            self.statusBar().showMessage(note, 8000)
        from .session_switch import remember

        remember(session.output)

    # -- building
    def _action(self, text, slot, shortcuts=(), tip="") -> QAction:
        action = QAction(text, self)
        sequences = {}                           # the platform's standard keys, then ours, once each
        for shortcut in shortcuts:
            found = (QKeySequence.keyBindings(shortcut) if isinstance(shortcut, QKeySequence.StandardKey)
                     else [QKeySequence(shortcut)])
            sequences.update((sequence.toString(), sequence) for sequence in found)
        action.setShortcuts(list(sequences.values()))
        keys = ", ".join(sequences)
        action.setToolTip(f"{tip or text} ({keys})" if keys else tip or text)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.undo_action = self._action("Undo", self.undo, [QKeySequence.StandardKey.Undo])
        self.redo_action = self._action("Redo", self.redo, [QKeySequence.StandardKey.Redo, "Ctrl+Shift+Z", "Ctrl+Y"])
        self.next_action = self._action("Next unlabelled", lambda: self.go_to_unlabelled(False), ["N"])
        self.previous_action = self._action("Previous unlabelled", lambda: self.go_to_unlabelled(True), ["P"])
        self.unassign_action = self._action("0  Unlabelled", lambda: self.assign_selection(None), ["0", "Backspace"],
                                            "Un-assign the selected images")
        self.exclude_action = self._action("X  Excluded / unsure", lambda: self.assign_selection(EXCLUDED), ["X"],
                                           "Set the selected images aside: unsure or unusable, never read by a run")
        self.add_category_action = self._action("Add category…", self.categories.add_category, ["Ctrl+Shift+N"])
        self.rename_category_action = self._action("Rename category…", self.categories.rename_category, ["F2"])
        self.delete_category_action = self._action("Delete category…", self.categories.delete_category)
        self.train_action = self._action("Train…", self.train, ["Ctrl+T"],
                                         "Write a training project (notebook + dataset) for this dataset")
        self.zoom_actions = [
            self._action("Zoom in", lambda: self.preview.view.zoom(1.25), ["Ctrl++", "Ctrl+="]),
            self._action("Zoom out", lambda: self.preview.view.zoom(1 / 1.25), ["Ctrl+-"]),
            self._action("Fit", self.preview.view.fit, ["Ctrl+0"]),
            self._action("Actual size", self.preview.view.actual_size, ["Ctrl+1"])]
        self.close_action = self._action("Close", self.close, [QKeySequence.StandardKey.Quit])
        self.open_action = self._action("Open…", self.open_other, [QKeySequence.StandardKey.Open],
                                        "Open another session or dataset (this one is saved and closed)")
        self.export_action = self._action("Export labels to CSV…", self.export_labels, [],
                                          "One row per image: file, category, source, where the label came from")
        self.larger_action = self._action("Larger thumbnails", lambda: self.view.resize_thumbnails(1), ["Ctrl+]"])
        self.smaller_action = self._action("Smaller thumbnails", lambda: self.view.resize_thumbnails(-1), ["Ctrl+["])
        self.shuffle_action = self._action("Shuffled order", lambda: self.view.set_shuffled(self.shuffle_action.isChecked()),
                                           tip="Show the images in a random order (name order biases labelling)")
        self.shuffle_action.setCheckable(True)
        self.find_action = self._action("Find a file…", lambda: self.view.focus_find(), [QKeySequence.StandardKey.Find])
        self.shared_range_action = self._action(
            "Same contrast range for all images", lambda: self.view.set_shared_range(self.shared_range_action.isChecked()),
            tip="Show every image with one intensity range, so that intensities can be compared (default: each "
                "image auto-contrasted on its own)")
        self.shared_range_action.setCheckable(True)
        self.adjust_action = self._action("Brightness and contrast…", lambda: self.view.open_adjustments(), ["Ctrl+B"])
        self.review_action = self._action("Review a run's pseudo-labels…", self.reviewing.choose_run, ["Ctrl+R"],
                                          "Open a finished run (its results.json or results zip) and review "
                                          "the labels it suggested")
        self.accept_action = self._action("Accept suggestion", self.reviewing.accept, ["Return", "Enter", "A"])
        self.reject_action = self._action("Reject suggestion", self.reviewing.reject, ["R", "Delete"])
        self.assign_actions: list[QAction] = []
        self._rebuild_assign_actions()

        edit = self.menuBar().addMenu("&Edit")
        for action in (self.undo_action, self.redo_action):
            edit.addAction(action)
        edit.addSeparator()
        self.assign_menu = edit.addMenu("Assign to")
        edit.addAction(self.unassign_action)
        edit.addAction(self.exclude_action)
        view = self.menuBar().addMenu("&View")
        for action in (self.next_action, self.previous_action, self.find_action, None, self.larger_action,
                       self.smaller_action, self.shuffle_action, None, self.shared_range_action, self.adjust_action,
                       None, *self.zoom_actions):
            view.addSeparator() if action is None else view.addAction(action)
        categories = self.menuBar().addMenu("&Categories")
        for action in (self.add_category_action, self.rename_category_action, self.delete_category_action):
            categories.addAction(action)
        session_menu = self.menuBar().addMenu("&Session")
        session_menu.addAction(self.open_action)
        self.recent_menu = session_menu.addMenu("Open recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        session_menu.addSeparator()
        session_menu.addAction(self.review_action)
        session_menu.addAction(self.export_action)
        session_menu.addAction(self.train_action)
        session_menu.addAction(self.close_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("Keyboard shortcuts", self._show_shortcuts, ["F1"]))
        self._fill_assign_menu()

        toolbar = self.addToolBar("Main")
        toolbar.setMovable(False)
        for action in (self.undo_action, self.redo_action, None, self.previous_action, self.next_action, None,
                       self.add_category_action, None, self.train_action, None):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)
        toolbar.addWidget(self.view.find_edit)

    def _rebuild_assign_actions(self) -> None:
        for action in self.assign_actions:
            self.removeAction(action)
            action.deleteLater()
        self.assign_actions = []
        for position, name in enumerate(self.session.categories):
            key = [str(position + 1)] if position < 9 else []
            label = f"{position + 1}  {name}" if key else name
            self.assign_actions.append(self._action(label, lambda _=False, c=name: self.assign_selection(c), key,
                                                    f"Assign the selected images to {name!r}"))
        self.assign_bar.clear()
        self.assign_bar.addWidget(QLabel(" Assign: "))
        for action in self.assign_actions:
            self.assign_bar.addAction(action)
        self.assign_bar.addSeparator()
        self.assign_bar.addAction(self.unassign_action)
        self.assign_bar.addAction(self.exclude_action)

    def _fill_assign_menu(self) -> None:
        self.assign_menu.clear()
        for action in self.assign_actions:
            self.assign_menu.addAction(action)

    def _build_layout(self) -> None:
        middle = QWidget()
        layout = QVBoxLayout(middle)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.reviewing.bar)
        layout.addWidget(self.assign_bar)
        layout.addWidget(self.grid, 1)
        self.splitter = PanelSplitter(self.categories, middle, self.grid, self.preview)
        self.setCentralWidget(self.splitter)
        self.resize(1400, 860)

    def _build_status_bar(self) -> None:
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(False)
        self.storage_label = QLabel()
        self.statusBar().addPermanentWidget(self.storage_label)
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.progress_bar)

    # -- what the user does
    def selected_rows(self) -> list[int]:
        """Session rows of the selected images (the current one when nothing is selected)."""
        indexes = self.grid.selectionModel().selectedIndexes()
        if not indexes and self.grid.currentIndex().isValid():
            indexes = [self.grid.currentIndex()]
        return sorted(self.shown.mapToSource(index).row() for index in indexes)

    def current_row(self) -> int | None:
        index = self.grid.currentIndex()
        return self.shown.mapToSource(index).row() if index.isValid() else None

    def assign_selection(self, category: str | None, advance: bool = True) -> None:
        if self.reviewing.mode == REVIEW and self.reviewing.active:
            self.reviewing.decide(category)
            return
        rows = self.selected_rows()
        if not rows:
            self.statusBar().showMessage("Select one or more images first", 4000)
            return
        position = self.shown.mapFromSource(self.images.index(rows[0])).row()
        if self._run(lambda: self.session.assign(rows, category)) and advance and not self.reviewing.active:
            self._advance(rows[-1], position)

    def _assign_dropped(self, rows: list[int], category) -> None:
        self._run(lambda: self.session.assign(rows, category))

    def _advance(self, last_row: int, position: int) -> None:
        """After assigning: the next unlabelled image if it is shown, else the row now at
        the position of the first assigned image."""
        target = self.session.next_unlabelled(last_row)
        index = self.shown.mapFromSource(self.images.index(target)) if target is not None else QModelIndex()
        if not index.isValid() and self.shown.rowCount():
            index = self.shown.index(min(max(position, 0), self.shown.rowCount() - 1), 0)
        self._select_indexes([index] if index.isValid() else [])
        if target is None:
            self.statusBar().showMessage("Every image has a category", 6000)

    def go_to_unlabelled(self, backwards: bool = False) -> None:
        current = self.current_row()
        start = current if current is not None else (0 if backwards else -1)
        target = self.session.next_unlabelled(start, backwards)
        if target is None:
            self.statusBar().showMessage("No unlabelled image left", 4000)
            return
        if self.shown.shown not in (ALL_IMAGES, None):
            self.categories.show_value(ALL_IMAGES)
        self.select_rows([target])

    def undo(self) -> None:
        self._undo_or_redo(self.session.undo, "Undone")

    def redo(self) -> None:
        self._undo_or_redo(self.session.redo, "Redone")

    def _undo_or_redo(self, step, verb: str) -> None:
        command = None

        def run():
            nonlocal command
            command = step()
        if self._run(run) and command is not None:
            if command.indices:
                self.select_rows(list(command.indices))
            self.statusBar().showMessage(f"{verb}: {command.describe()}", 4000)

    # -- other sessions, exporting
    def open_other(self, folder=None) -> None:
        """Another session in this window's place: the start dialog (or `folder` directly)."""
        from . import session_switch

        session_switch.open_other(self, folder)

    def _fill_recent(self) -> None:
        from . import session_switch

        self.recent_menu.clear()
        folders = session_switch.recent_folders()
        for folder in folders:
            self.recent_menu.addAction(str(folder), lambda f=folder: self.open_other(f))
        if not folders:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def export_labels(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from ..label_export import export_labels

        path, _ = QFileDialog.getSaveFileName(self, "Export the labels to CSV",
                                              str(self.session.output.parent / f"{self.session.output.name}_labels.csv"),
                                              "CSV files (*.csv)")
        if path:
            self._run(lambda: export_labels(self.session, path))
            self.statusBar().showMessage(f"Labels written to {path}", 6000)

    def train(self) -> None:
        if not self._finish_copies("Train", "Cancel"):
            return
        self.session.flush()
        self._export = train_launcher.open_training(self.session.output, self)

    # -- selection and preview
    def select_rows(self, rows: list[int]) -> None:
        indexes = [self.shown.mapFromSource(self.images.index(row)) for row in rows]
        self._select_indexes([index for index in indexes if index.isValid()])

    def _select_indexes(self, indexes: list[QModelIndex]) -> None:
        selection = QItemSelection()
        for index in indexes:
            selection.select(index, index)
        model = self.grid.selectionModel()
        model.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if indexes:
            model.setCurrentIndex(indexes[0], QItemSelectionModel.SelectionFlag.NoUpdate)
            if indexes[0].row() < self._columns():
                self.grid.scrollToTop()             # the first row: shown from its top, not a row down
            else:
                self.grid.scrollTo(indexes[0])
        else:
            model.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)

    def _columns(self) -> int:
        cell = self.grid.itemDelegate().sizeHint(None, QModelIndex()).width()
        return max(1, self.grid.viewport().width() // max(cell, 1))

    def show_current(self) -> None:
        self._show_current(self.grid.currentIndex())

    def _show_current(self, current: QModelIndex, previous: QModelIndex = QModelIndex()) -> None:
        row = self.current_row()
        if row is None:
            self.preview.show_image(None, [], "", None)
            return
        image = self.session.images[row]
        source = self.session.storage.source_path(image)
        details = f"Category: {image.category or 'Unlabelled'}" + (f" · from {source}" if source else "")
        item = self.reviewing.state.item_of(row) if self.reviewing.state is not None else None
        if item is not None:
            s = item.suggestion
            details += (f" · suggested {self.reviewing.state.categories[s.label]} ({s.confidence:.0%}"
                        + (f", runner-up {s.runner_up}, margin {s.margin:.2f}" if s.margin is not None else "")
                        + (f", round {s.round}" if s.round else "") + ")")
        self.preview.show_image(image.name, self.session.read_paths(row), details, self.images.thumbnail(row))

    def current_position(self) -> int:
        index = self.grid.currentIndex()
        return index.row() if index.isValid() else 0

    def select_position(self, position: int) -> None:
        """The image at this place of the grid (the last one if the grid got shorter)."""
        count = self.shown.rowCount()
        self._select_indexes([self.shown.index(min(max(position, 0), count - 1), 0)] if count else [])

    def run_action(self, action) -> bool:
        return self._run(action)

    def show_category(self, value) -> None:
        self._show_category(value)

    def _cell(self, index):
        row = self.shown.mapToSource(index).row()
        return (*self.images.cell(row), self.reviewing.suggestion_text(row))

    def _show_category(self, value) -> None:
        """Another category shown: its first image is the current one, highlighted and in view
        (an image the filter hid must not take the next key)."""
        self.reviewing.browsing()
        self.shown.show_category(value)
        self.select_position(0)

    def _context_menu(self, position) -> None:
        menu = QMenu(self)
        assign = menu.addMenu("Assign to")
        for action in self.assign_actions:
            assign.addAction(action)
        menu.addAction(self.unassign_action)
        menu.addSeparator()
        menu.addAction(self.next_action)
        menu.addAction(self.previous_action)
        menu.exec(self.grid.viewport().mapToGlobal(position))

    # -- session events
    def _on_assigned(self, rows) -> None:
        self._update_progress()
        self._update_history_actions()
        current = self.current_row()
        if current is not None and current in rows:
            self._show_current(self.grid.currentIndex())

    def _on_categories_changed(self) -> None:
        self._rebuild_assign_actions()
        self._fill_assign_menu()
        self._update_progress()
        self._update_history_actions()
        self.grid.viewport().update()

    def _update_progress(self) -> None:
        total, done = len(self.session), self.session.labelled_count
        self.progress_label.setText(f"{done:,} / {total:,} labelled")
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)

    def _update_history_actions(self) -> None:
        for action, text, label in ((self.undo_action, self.session.history.undo_text(), "Undo"),
                                    (self.redo_action, self.session.history.redo_text(), "Redo")):
            action.setEnabled(text is not None)
            action.setText(f"{label} {text}" if text else label)      # menus say what; the toolbar stays short
            action.setIconText(label)

    def _update_storage_status(self) -> None:
        storage = self.session.storage
        parts = []
        if storage.filling():
            parts.append(f"Adding images to the output folder: {storage.fill_done:,} / {storage.fill_total:,}")
        if storage.problems:
            parts.append(f"{len(storage.problems):,} image(s) could not be added to the output folder")
            self.storage_label.setToolTip("\n".join(list(storage.problems.values())[:20]))
        writer_error = getattr(self.session._writer, "error", None)
        if writer_error is not None:
            parts.append(f"Saving the session manifest failed: {writer_error}")
        self.storage_label.setText(" · ".join(parts))

    # -- helpers
    def _make_thumbnail(self, row: int):
        """Runs in worker threads."""
        return self.store.thumbnail(self.session.images[row].name, self.session.read_paths(row))

    def _run(self, action) -> bool:
        try:
            action()
        except AnnotatorError as exc:
            dialogs.show_error(self, "ATLASS annotator", str(exc))
            return False
        self._update_history_actions()
        return True

    def _show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS_HELP)

    def _finish_copies(self, title: str, cancel_text: str) -> bool:
        """Wait, with a progress dialog, until every image is in the output folder."""
        storage = self.session.storage
        if not storage.filling():
            return True
        dialog = QProgressDialog("Adding the remaining images to the output folder…", cancel_text, 0,
                                 storage.fill_total, self)
        dialog.setWindowTitle(title)
        dialog.setMinimumDuration(0)
        while storage.filling() and not dialog.wasCanceled():
            dialog.setValue(storage.fill_done)
            QApplication.processEvents()
            storage.wait_filled(0.05)
        dialog.close()
        return not storage.filling()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_shown_once", False):
            self._shown_once = True                  # the grid had no real size before: scroll again
            QTimer.singleShot(0, self._scroll_to_current)

    def _scroll_to_current(self) -> None:
        self.grid.verticalScrollBar().setValue(0)
        if self.grid.currentIndex().isValid() and self.grid.currentIndex().row() >= self._columns():
            self.grid.scrollTo(self.grid.currentIndex())
        self.grid.setFocus()                         # arrows and number keys work at once

    def closeEvent(self, event) -> None:
        if not self._closed:
            self._closed = True
            self._status_timer.stop()
            self.loader.shutdown()
            self.preview.shutdown()
            finished = self._finish_copies("Closing", "Finish later")
            self.session.events.assigned.disconnect(self._on_assigned)
            self.session.events.categories_changed.disconnect(self._on_categories_changed)
            self.images.disconnect_session()
            self.categories.model.disconnect_session()
            self.reviewing.disconnect_session()
            self.session.close(finish_copies=finished)
        super().closeEvent(event)

"""The main window: categories on the left, the thumbnail grid in the middle, the preview on
the right, progress at the bottom. It only wires user actions to session calls and session
events to the Qt models."""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QTimer
from PySide6.QtWidgets import (QApplication, QMainWindow, QMenu, QMessageBox, QProgressDialog, QToolBar,
                               QVBoxLayout, QWidget)

from ..errors import AnnotatorError
from ..manifest import STATE_FOLDER
from ..session import Session
from ..thumbnails import ThumbnailStore
from . import dialogs, train_launcher, window_actions
from .category_panel import CategoryPanel
from .grid import ThumbnailDelegate, ThumbnailGrid
from .image_model import ALL_IMAGES, CategoryFilterModel, ImageListModel
from .panel_splitter import PanelSplitter
from .preview import PreviewPanel
from .review_mode import REVIEW, ReviewController
from .status_line import StatusLine
from .thumbnail_loader import ThumbnailLoader
from .view_controls import ViewControls


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
        window_actions.build_actions(self)
        window_actions.build_menus_and_toolbar(self)
        self._build_layout()
        self.status = StatusLine(self.statusBar(), session)
        self.progress_label = self.status.progress_label

        self.grid.selectionModel().currentChanged.connect(self._show_current)
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.categories.shown_changed.connect(self._show_category)
        self.categories.model.images_dropped.connect(self._assign_dropped)
        session.events.assigned.connect(self._on_assigned)
        session.events.categories_changed.connect(self._on_categories_changed)
        self._status_timer = QTimer(self, interval=500, timeout=self.status.update_storage)
        self._status_timer.start()
        self.status.update_progress()
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

    def fill_recent(self) -> None:
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
            s, state = item.suggestion, self.reviewing.state
            second = state.second_opinion(s)
            details += (f" · suggested {state.categories[s.label]} ({s.confidence:.0%}"
                        + (f", runner-up {s.runner_up}, margin {s.margin:.2f}" if s.margin is not None else "")
                        + (f", round {s.round}" if s.round else "") + (f", {second}" if second else "") + ")")
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
        self.status.update_progress()
        self._update_history_actions()
        current = self.current_row()
        if current is not None and current in rows:
            self._show_current(self.grid.currentIndex())

    def _on_categories_changed(self) -> None:
        window_actions.rebuild_assign_actions(self)
        window_actions.fill_assign_menu(self)
        self.status.update_progress()
        self._update_history_actions()
        self.grid.viewport().update()

    def _update_history_actions(self) -> None:
        for action, text, label in ((self.undo_action, self.session.history.undo_text(), "Undo"),
                                    (self.redo_action, self.session.history.redo_text(), "Redo")):
            action.setEnabled(text is not None)
            action.setText(f"{label} {text}" if text else label)      # menus say what; the toolbar stays short
            action.setIconText(label)

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

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", window_actions.SHORTCUTS_HELP)

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

"""The category panel: 'All images', 'Unlabelled' and each category with its key and count.
Clicking a row shows those images in the grid; dropping images on a row assigns them."""
from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QListView, QPushButton, QStyle,
                               QStyledItemDelegate, QVBoxLayout, QWidget)

from atlass_runtime.dataset import EXCLUDED

from ..errors import AnnotatorError
from ..session import Session
from . import dialogs
from .grid import category_colour, category_key
from .image_model import ALL_IMAGES, ROWS_MIME_TYPE, rows_from_mime

VALUE_ROLE = Qt.ItemDataRole.UserRole + 10       # ALL_IMAGES, None (unlabelled) or the category
COUNT_ROLE = Qt.ItemDataRole.UserRole + 11
KEY_ROLE = Qt.ItemDataRole.UserRole + 12
FIXED_ROWS = 3                                   # 'All images', 'Unlabelled', 'Excluded / unsure'


class CategoryListModel(QAbstractListModel):
    images_dropped = Signal(list, object)        # image rows, category (None: unlabelled)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        session.events.assigned.connect(self._on_assigned)
        session.events.categories_changed.connect(self._on_categories_changed)

    def disconnect_session(self) -> None:
        self.session.events.assigned.disconnect(self._on_assigned)
        self.session.events.categories_changed.disconnect(self._on_categories_changed)

    def value(self, row: int):
        return {0: ALL_IMAGES, 1: None, 2: EXCLUDED}.get(row) if row < FIXED_ROWS \
            else self.session.categories[row - FIXED_ROWS]

    def row_of(self, value) -> int:
        if value == ALL_IMAGES:
            return 0
        if value == EXCLUDED:
            return 2
        return 1 if value is None else self.session.categories.index(value) + FIXED_ROWS

    def label(self, row: int) -> str:
        value = self.value(row)
        return {ALL_IMAGES: "All images", None: "Unlabelled", EXCLUDED: "Excluded / unsure"}.get(value, value)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else FIXED_ROWS + len(self.session.categories)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self.value(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return self.label(index.row())
        if role == VALUE_ROLE:
            return value
        if role == COUNT_ROLE:
            return len(self.session) if value == ALL_IMAGES else self.session.count(value)
        if role == KEY_ROLE:
            return "" if value == ALL_IMAGES else category_key(self.session.categories, value)
        if role == Qt.ItemDataRole.DecorationRole and value != ALL_IMAGES:
            return category_colour(self.session.categories, value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return ("Show every image" if value == ALL_IMAGES else
                    "Images set aside (unsure, unusable): no run reads them. Key X; drop images here"
                    if value == EXCLUDED else
                    "Show this category; drop images here to assign them" if value is not None else
                    "Show the images without a category; drop images here to un-assign them")
        return None

    def flags(self, index: QModelIndex):
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsDropEnabled if index.isValid() and index.row() > 0 else flags

    def mimeTypes(self) -> list[str]:
        return [ROWS_MIME_TYPE]

    def supportedDropActions(self):
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return parent.isValid() and parent.row() > 0 and data.hasFormat(ROWS_MIME_TYPE)

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        self.images_dropped.emit(rows_from_mime(data), self.value(parent.row()))
        return True

    def _on_assigned(self, rows) -> None:
        self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1), [COUNT_ROLE])

    def _on_categories_changed(self) -> None:
        self.beginResetModel()
        self.endResetModel()


class CategoryDelegate(QStyledItemDelegate):
    """Colour, key, name on the left; count on the right."""

    def sizeHint(self, option, index) -> QSize:
        return QSize(200, option.fontMetrics.height() + 12)

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        model, row = index.model(), index.row()           # read the model directly, not through data()
        value = model.value(row)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.Highlight))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.AlternateBase))
        rect = option.rect.adjusted(8, 0, -8, 0)
        if value != ALL_IMAGES:
            painter.fillRect(QRect(rect.x(), rect.center().y() - 6, 12, 12), category_colour(model.session.categories, value))
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(text_role))
        metrics = option.fontMetrics
        key = "" if value == ALL_IMAGES else category_key(model.session.categories, value)
        count = f"{len(model.session) if value == ALL_IMAGES else model.session.count(value):,}"
        key_box = QRect(rect.x() + 18, rect.y(), metrics.horizontalAdvance("0") + 6, rect.height())
        painter.drawText(key_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, key)
        count_width = metrics.horizontalAdvance(count) + 4
        name_box = QRect(key_box.right() + 6, rect.y(), rect.right() - key_box.right() - 10 - count_width, rect.height())
        font = QFont(option.font)
        font.setBold(value in (ALL_IMAGES, None))
        painter.setFont(font)
        name = metrics.elidedText(model.label(row), Qt.TextElideMode.ElideRight, name_box.width())
        painter.drawText(name_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        painter.setFont(option.font)
        painter.drawText(QRect(rect.right() - count_width, rect.y(), count_width, rect.height()),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, count)
        painter.restore()


class CategoryPanel(QWidget):
    shown_changed = Signal(object)              # ALL_IMAGES, None or a category

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        self.model = CategoryListModel(session, self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(CategoryDelegate(self.view))
        self.view.setMouseTracking(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.view.setDragDropOverwriteMode(True)            # drops land on a row, never between rows
        self.view.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.model.modelReset.connect(self._after_reset)
        self.add_button = QPushButton("Add…")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        self.add_button.clicked.connect(self.add_category)
        self.rename_button.clicked.connect(self.rename_category)
        self.delete_button.clicked.connect(self.delete_category)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        title = QLabel("Categories")
        title.setStyleSheet("font-weight: bold")
        hint = QLabel("The number is the key that assigns. Click to show; drop images to assign.")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.view, 1)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        self._shown = ALL_IMAGES
        self.show_value(ALL_IMAGES)

    def shown(self):
        return self._shown

    def show_value(self, value) -> None:
        """Select the row of `value` (which shows those images in the grid)."""
        if value not in (ALL_IMAGES, None, EXCLUDED) and value not in self.session.categories:
            value = ALL_IMAGES
        self.view.setCurrentIndex(self.model.index(self.model.row_of(value)))

    def selected_category(self) -> str | None:
        value = self.model.value(self.view.currentIndex().row()) if self.view.currentIndex().isValid() else None
        return value if value not in (ALL_IMAGES, None, EXCLUDED) else None

    def _on_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        value = self.model.value(current.row()) if current.isValid() else ALL_IMAGES
        has_category = value not in (ALL_IMAGES, None, EXCLUDED)
        self.rename_button.setEnabled(has_category)
        self.delete_button.setEnabled(has_category)
        if value != self._shown:
            self._shown = value
            self.shown_changed.emit(value)

    def _after_reset(self) -> None:
        shown = self._shown
        self._shown = object()                               # re-select and re-announce
        self.show_value(shown)

    # -- the buttons
    def add_category(self) -> None:
        name = dialogs.ask_category_name(self, "Add a category", self.session.categories)
        if name:
            self._run(lambda: self.session.add_category(name))

    def rename_category(self) -> None:
        old = self.selected_category()
        if old is None:
            return
        position = self.session.categories.index(old)
        new = dialogs.ask_category_name(self, f"Rename {old!r}", self.session.categories, replacing=old)
        if new and self._run(lambda: self.session.rename_category(old, new)):
            self.show_value(self.session.categories[position])

    def delete_category(self) -> None:
        name = self.selected_category()
        if name is None:
            return
        count = self.session.count(name)
        text = (f"Delete the category {name!r}?\n\n"
                + (f"Its {count:,} image(s) go back to Unlabelled. " if count else "It has no images. ")
                + "The image folder is not touched, and Undo brings the category back.")
        if dialogs.confirm(self, "Delete a category", text):
            self._run(lambda: self.session.delete_category(name))

    def _run(self, action) -> bool:
        try:
            action()
            return True
        except AnnotatorError as exc:
            dialogs.show_error(self, "Categories", str(exc))
            return False

"""The thumbnail grid: a QListView laid out as a wrapping grid of same-size cells (so 10,000
images lay out at once), painted by a delegate that draws thumbnail, category badge and name."""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate

from atlass_runtime.dataset import EXCLUDED


# Tableau-10-like colours for categories; unlabelled is grey.
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
UNLABELLED_COLOUR = "#8a8a8a"


EXCLUDED_COLOUR = "#4a4a4a"


def category_colour(categories: list[str], category: str | None) -> QColor:
    if category == EXCLUDED:
        return QColor(EXCLUDED_COLOUR)
    if category is None or category not in categories:
        return QColor(UNLABELLED_COLOUR)
    return QColor(PALETTE[categories.index(category) % len(PALETTE)])


def category_key(categories: list[str], category: str | None) -> str:
    """The number key that assigns `category` ('1'..'9'), '0' for unlabelled, '' for none."""
    if category is None:
        return "0"
    if category == EXCLUDED:
        return "X"
    position = categories.index(category) + 1 if category in categories else 0
    return str(position) if 1 <= position <= 9 else ""


class ThumbnailDelegate(QStyledItemDelegate):
    SIZES = (64, 88, 112, 136, 160)           # thumbnail sides offered (the cache holds 128 px)

    def __init__(self, categories: list[str], cell_of, parent=None):
        super().__init__(parent)
        self.categories = categories          # the session's list, read when painting
        self.cell_of = cell_of                # index -> (name, thumbnail, error, category)
        self.set_size(112)

    def set_size(self, side: int) -> None:
        self.THUMBNAIL = side
        self.CELL = QSize(side + 16, side + 38)

    def sizeHint(self, option, index) -> QSize:
        return self.CELL

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        cell = option.rect.adjusted(2, 2, -2, -2)
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(cell, palette.color(QPalette.ColorRole.Highlight))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(cell, palette.color(QPalette.ColorRole.AlternateBase))
        box = QRect(cell.x() + (cell.width() - self.THUMBNAIL) // 2, cell.y() + 4, self.THUMBNAIL, self.THUMBNAIL)
        name, thumbnail, error, category, *more = self.cell_of(index)
        suggestion = more[0] if more else None
        if thumbnail is not None and not thumbnail.isNull():
            size = thumbnail.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(box.center())
            painter.drawImage(target, thumbnail)
        elif error:
            painter.fillRect(box, QColor("#fbe3e3"))
            painter.setPen(QPen(QColor("#c62828"), 2))
            painter.drawText(box.adjusted(6, 6, -6, -6), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "cannot be shown\n(hover for why)")
        else:
            painter.fillRect(box, QColor("#e6e6e6"))
        text_colour = palette.color(QPalette.ColorRole.HighlightedText if option.state & QStyle.StateFlag.State_Selected
                                    else QPalette.ColorRole.Text)
        painter.setPen(text_colour)
        name_box = QRect(cell.x() + 2, box.bottom() + 4, cell.width() - 4, cell.bottom() - box.bottom() - 4)
        name = option.fontMetrics.elidedText(name, Qt.TextElideMode.ElideMiddle, name_box.width())
        painter.drawText(name_box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        self._paint_badge(painter, box, category)
        if suggestion:
            self._paint_suggestion(painter, box, suggestion)
        painter.restore()

    def _paint_suggestion(self, painter: QPainter, box: QRect, text: str) -> None:
        """A run's suggestion under review, across the bottom of the thumbnail."""
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        label = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, box.width() - 6)
        strip = QRect(box.x(), box.bottom() - metrics.height() - 3, box.width(), metrics.height() + 4)
        painter.fillRect(strip, QColor(0, 0, 0, 170))
        painter.setPen(QColor("white"))
        painter.drawText(strip, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_badge(self, painter: QPainter, box: QRect, category: str | None) -> None:
        """A frame and a label in the category's colour, so sorted images stand out."""
        if category is None:
            return
        painter.setPen(QPen(category_colour(self.categories, category), 3))
        painter.drawRect(box.adjusted(1, 1, -2, -2))
        key = category_key(self.categories, category)
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        label = metrics.elidedText(f"{key} {category}".strip(), Qt.TextElideMode.ElideRight, box.width() - 8)
        badge = QRect(box.x(), box.y(), metrics.horizontalAdvance(label) + 8, metrics.height() + 2)
        painter.fillRect(badge, category_colour(self.categories, category))
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)


class ThumbnailGrid(QListView):
    """Multi-select grid; selected images can be dragged onto a category."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.ListMode)     # list mode + wrapping: a grid laid out fast
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(40)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def keyboardSearch(self, search: str) -> None:
        """Letters are shortcuts here (N, P), not a search by name."""
        return

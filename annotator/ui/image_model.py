"""The thumbnail grid's Qt models: a list model over the session's images, and a proxy that
shows one category (or the unlabelled images, or all)."""
from __future__ import annotations

import json
from collections import OrderedDict

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QImage

from ..session import Session
from .thumbnail_loader import ThumbnailLoader

CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 1     # str | None
ERROR_ROLE = Qt.ItemDataRole.UserRole + 2        # why the file cannot be shown, or None
ROWS_MIME_TYPE = "application/x-atlass-image-rows"
ALL_IMAGES = "\0all"                             # filter value: no filter (no category has this name)


def rows_to_mime(rows: list[int]) -> QMimeData:
    mime = QMimeData()
    mime.setData(ROWS_MIME_TYPE, json.dumps(sorted(set(rows))).encode("ascii"))
    return mime


def rows_from_mime(mime: QMimeData) -> list[int]:
    if not mime.hasFormat(ROWS_MIME_TYPE):
        return []
    return [int(row) for row in json.loads(bytes(mime.data(ROWS_MIME_TYPE)).decode("ascii"))]


class ImageListModel(QAbstractListModel):
    """One row per image of the session; thumbnails asked of the loader when first painted and
    kept in a bounded in-memory cache (the disk cache holds them all)."""

    def __init__(self, session: Session, loader: ThumbnailLoader, cache_size: int = 2000, parent=None):
        super().__init__(parent)
        self.session = session
        self.loader = loader
        self._cache_size = cache_size
        self._thumbnails: OrderedDict[int, QImage] = OrderedDict()
        self._errors: dict[int, str] = {}
        loader.loaded.connect(self._on_loaded)
        session.events.assigned.connect(self._on_assigned)
        session.events.categories_changed.connect(self._on_categories_changed)

    def disconnect_session(self) -> None:
        self.session.events.assigned.disconnect(self._on_assigned)
        self.session.events.categories_changed.disconnect(self._on_categories_changed)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.session.images)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        row = index.row()
        if not index.isValid() or row >= len(self.session.images):
            return None
        image = self.session.images[row]
        if role == Qt.ItemDataRole.DecorationRole:
            thumbnail = self._thumbnails.get(row)
            if thumbnail is not None:
                self._thumbnails.move_to_end(row)
            elif row not in self._errors:
                self.loader.request(row)
            return thumbnail
        if role == CATEGORY_ROLE:
            return image.category
        if role == Qt.ItemDataRole.DisplayRole:
            return image.name
        if role == ERROR_ROLE:
            return self._errors.get(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [image.name, f"Category: {image.category or 'Unlabelled'}"]
            if image.source is not None and self.session.source_folder is not None:
                lines.append(f"From: {self.session.source_folder / image.source}")
            if row in self._errors:
                lines.append(f"Cannot be shown: {self._errors[row]}")
            return "\n".join(lines)
        return None

    def reset_thumbnails(self) -> None:
        """Thumbnails made again (the display settings changed)."""
        self._thumbnails.clear()
        self._errors.clear()
        if self.session.images:
            self.dataChanged.emit(self.index(0), self.index(len(self.session.images) - 1),
                                  [Qt.ItemDataRole.DecorationRole])

    def thumbnail(self, row: int) -> QImage | None:
        return self._thumbnails.get(row)

    def cell(self, row: int) -> tuple[str, QImage | None, str | None, str | None]:
        """(name, thumbnail, error, category) for painting; asks for the thumbnail if missing.
        The delegate calls this directly: faster than data() through Qt, one role at a time."""
        image = self.session.images[row]
        thumbnail = self._thumbnails.get(row)
        if thumbnail is not None:
            self._thumbnails.move_to_end(row)
        elif row not in self._errors:
            self.loader.request(row)
        return image.name, thumbnail, self._errors.get(row), image.category

    def flags(self, index: QModelIndex):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [ROWS_MIME_TYPE]

    def mimeData(self, indexes) -> QMimeData:
        return rows_to_mime([index.row() for index in indexes])

    def supportedDragActions(self):
        return Qt.DropAction.CopyAction

    # -- session and loader events
    def _on_loaded(self, batch: list) -> None:
        changed = []
        for row, thumbnail, error in batch:
            if thumbnail is not None:
                self._thumbnails[row] = thumbnail
                self._thumbnails.move_to_end(row)
                self._errors.pop(row, None)
            else:
                self._errors[row] = error
            changed.append(row)
        while len(self._thumbnails) > self._cache_size:
            self._thumbnails.popitem(last=False)
        self._emit_changed(changed, [Qt.ItemDataRole.DecorationRole, ERROR_ROLE])

    def _on_assigned(self, rows) -> None:
        self._emit_changed(rows, [CATEGORY_ROLE, Qt.ItemDataRole.ToolTipRole])

    def _on_categories_changed(self) -> None:
        if self.session.images:
            self.dataChanged.emit(self.index(0), self.index(len(self.session.images) - 1), [CATEGORY_ROLE])

    def _emit_changed(self, rows, roles) -> None:
        """One dataChanged per run of consecutive rows."""
        rows = sorted(rows)
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i] != rows[i - 1] + 1:
                self.dataChanged.emit(self.index(rows[start]), self.index(rows[i - 1]), roles)
                start = i


class CategoryFilterModel(QSortFilterProxyModel):
    """Shows the images of one category (`None`: the unlabelled ones; ALL_IMAGES: all), or a
    list of rows in its own order (the pseudo-labels to review, the suggested next)."""

    def __init__(self, source: ImageListModel, parent=None):
        super().__init__(parent)
        self._images = source.session.images
        self._shown = ALL_IMAGES
        self._order: dict[int, int] | None = None       # row -> position, when showing a list
        self._shuffle: list[int] | None = None           # row -> random key, when shuffled
        self.setFilterRole(CATEGORY_ROLE)
        self.setDynamicSortFilter(True)
        self.setSourceModel(source)
        self.sort(0)

    @property
    def shown(self):
        return self._shown

    @property
    def showing_rows(self) -> bool:
        return self._order is not None

    def show_category(self, category) -> None:
        if category == self._shown and self._order is None:
            return
        self._change(category, None)

    def show_rows(self, rows: list[int]) -> None:
        """Exactly these rows, in this order."""
        self._change(None, {row: position for position, row in enumerate(rows)})
        self.invalidate()                                # the new order

    def _change(self, category, order) -> None:
        if hasattr(self, "beginFilterChange"):            # Qt >= 6.9
            self.beginFilterChange()
            self._shown, self._order = category, order
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._shown, self._order = category, order
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        if self._order is not None:
            return source_row in self._order
        return self._shown == ALL_IMAGES or self._images[source_row].category == self._shown

    def set_shuffled(self, shuffled: bool, seed: int = 0) -> None:
        """Images in a random (seeded, so stable) order: name order biases labelling."""
        import random

        keys = list(range(len(self._images)))
        random.Random(seed).shuffle(keys)
        self._shuffle = keys if shuffled else None
        self.invalidate()

    def lessThan(self, left, right) -> bool:
        if self._order is not None:
            return self._order.get(left.row(), 0) < self._order.get(right.row(), 0)
        if self._shuffle is not None and max(left.row(), right.row()) < len(self._shuffle):
            return self._shuffle[left.row()] < self._shuffle[right.row()]
        return left.row() < right.row()

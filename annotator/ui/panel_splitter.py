"""The annotator's three panels side by side: categories, thumbnail grid, preview.

A narrow window takes width from the side panels (the preview first, then the categories) so the
grid keeps `GRID_COLUMNS` columns of thumbnails, and the current image stays in view. Widths the
user drags to are remembered and given back when the window grows again."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QListView, QSplitter, QWidget

GRID_COLUMNS = 3
MINIMUM_CATEGORIES, MINIMUM_PREVIEW = 170, 200     # below their contents: a very narrow window clips them


class PanelSplitter(QSplitter):
    def __init__(self, categories: QWidget, middle: QWidget, grid: QListView, preview: QWidget):
        super().__init__(Qt.Orientation.Horizontal)
        self.grid = grid
        for widget in (categories, middle, preview):
            self.addWidget(widget)
        self.setStretchFactor(1, 3)
        self.setStretchFactor(2, 2)
        self.setChildrenCollapsible(False)
        categories.setMinimumWidth(MINIMUM_CATEGORIES)
        preview.setMinimumWidth(MINIMUM_PREVIEW)
        self._panel_widths = [230, 450]                # what the side panels get when there is room
        self.setSizes([230, 700, 450])
        self.splitterMoved.connect(self._panels_moved)

    def _panels_moved(self, _position: int, _index: int) -> None:
        sizes = self.sizes()
        if sizes[1] >= self._grid_minimum():
            self._panel_widths = [sizes[0], sizes[2]]

    def _grid_minimum(self) -> int:
        cell = self.grid.itemDelegate().sizeHint(None, QModelIndex()).width()
        return GRID_COLUMNS * cell + self.grid.verticalScrollBar().sizeHint().width() + 12

    def fit_panels(self) -> None:
        total = self.width()
        if total <= 0:
            return
        categories, preview = self._panel_widths
        spare = total - self._grid_minimum()
        if categories + preview > spare:
            preview = max(MINIMUM_PREVIEW, spare - categories)
            categories = max(MINIMUM_CATEGORIES, min(categories, spare - preview))
        self.setSizes([categories, max(total - categories - preview, 1), preview])
        if self.grid.currentIndex().isValid():
            self.grid.scrollTo(self.grid.currentIndex())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self.fit_panels)          # once the children have their new geometry

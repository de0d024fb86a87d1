"""How the grid shows the images: thumbnail size, shuffled order, and finding an image by its
file name (the wizard's warnings name files). Thin: it only changes the views."""
from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLineEdit

from .image_model import ALL_IMAGES


class ViewControls:
    def __init__(self, window):
        self.window = window
        self.settings = QSettings()
        self.find_edit = QLineEdit()
        self.find_edit.setObjectName("find_file")
        self.find_edit.setPlaceholderText("Find a file name (Ctrl+F), Enter for the next")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setMaximumWidth(280)
        self.find_edit.returnPressed.connect(self.find_next)
        delegate = window.grid.itemDelegate()
        saved = int(self.settings.value("thumbnail_size", 112))
        delegate.set_size(saved if saved in delegate.SIZES else 112)

    # -- thumbnail size
    def resize_thumbnails(self, step: int) -> None:
        delegate = self.window.grid.itemDelegate()
        sizes = delegate.SIZES
        position = min(max(sizes.index(delegate.THUMBNAIL) + step, 0), len(sizes) - 1) \
            if delegate.THUMBNAIL in sizes else 2
        delegate.set_size(sizes[position])
        self.settings.setValue("thumbnail_size", sizes[position])
        self.window.grid.doItemsLayout()
        if self.window.grid.currentIndex().isValid():
            self.window.grid.scrollTo(self.window.grid.currentIndex())

    # -- order
    def set_shuffled(self, shuffled: bool) -> None:
        self.window.shown.set_shuffled(shuffled)
        self.window.select_position(0)
        self.window.statusBar().showMessage("Images in a random order" if shuffled else "Images in name order", 4000)

    # -- finding a file
    def focus_find(self) -> None:
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def find_next(self) -> None:
        """The next image (after the current one, going round) whose name holds the text."""
        text = self.find_edit.text().strip().casefold()
        window = self.window
        if not text:
            return
        images = window.session.images
        start = window.current_row() if window.current_row() is not None else -1
        for offset in range(1, len(images) + 1):
            row = (start + offset) % len(images)
            if text in images[row].name.casefold() or text in (images[row].source or "").casefold():
                if not window.shown.mapFromSource(window.images.index(row)).isValid():
                    window.categories.show_value(ALL_IMAGES)          # it is in another category
                window.select_rows([row])
                window.grid.setFocus()
                return
        window.statusBar().showMessage(f"No file name contains {self.find_edit.text()!r}", 5000)

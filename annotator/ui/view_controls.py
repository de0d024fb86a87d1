"""How the grid shows the images: thumbnail size, shuffled order, and finding an image by its
file name (the wizard's warnings name files). Thin: it only changes the views."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QSlider

from ..display import DisplaySettings, shared_range
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
        self.display = DisplaySettings()
        self._apply_later = QTimer(window, singleShot=True, interval=250, timeout=self._apply_display)
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

    # -- display: one contrast range for all images, brightness and contrast
    def set_shared_range(self, shared: bool) -> None:
        """One intensity range for every image (so intensities compare), or each on its own."""
        window = self.window
        if shared:
            paths = [window.session.read_paths(i)[0] for i in range(len(window.session))]
            window.statusBar().showMessage("Finding one intensity range for all images…")
            self.display = dataclasses.replace(self.display, shared=shared_range(paths))
            low, high = self.display.shared
            window.statusBar().showMessage(f"Every image shown with the same range: {low:g} to {high:g}", 6000)
        else:
            self.display = dataclasses.replace(self.display, shared=None)
        self._apply_display()

    def set_brightness_contrast(self, brightness: int, contrast: float) -> None:
        self.display = dataclasses.replace(self.display, brightness=int(brightness), contrast=float(contrast))
        self._apply_later.start()                   # sliders move fast; thumbnails are remade once

    def _apply_display(self) -> None:
        window = self.window
        window.store.display = window.preview.display = self.display
        window.images.reset_thumbnails()
        window.show_current()

    def open_adjustments(self) -> None:
        dialog = AdjustDialog(self.display, self.set_brightness_contrast, self.window)
        dialog.show()
        self.adjust_dialog = dialog


class AdjustDialog(QDialog):
    """Brightness and contrast sliders, applied as they move (display only)."""

    def __init__(self, display: DisplaySettings, changed, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Brightness and contrast")
        self.brightness = QSlider(Qt.Orientation.Horizontal)
        self.brightness.setObjectName("brightness")
        self.brightness.setRange(-100, 100)
        self.brightness.setValue(display.brightness)
        self.contrast = QSlider(Qt.Orientation.Horizontal)
        self.contrast.setObjectName("contrast")
        self.contrast.setRange(-20, 20)                     # 2 ** (value / 10): 0.25 to 4
        self.contrast.setValue(round(10 * __import__("math").log2(display.contrast)))
        form = QFormLayout(self)
        form.addRow("Brightness:", self.brightness)
        form.addRow("Contrast:", self.contrast)
        form.addRow(QLabel("Only how the images are shown changes; the files and training do not."))
        for slider in (self.brightness, self.contrast):
            slider.valueChanged.connect(lambda _v: changed(self.brightness.value(), 2 ** (self.contrast.value() / 10)))
        self.resize(380, 120)

"""The large preview: the current image, auto-contrasted, with zoom (wheel, buttons, Ctrl +/-)
and pan (drag). Decoded in a worker thread; the thumbnail stands in meanwhile."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThreadPool, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import (QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QVBoxLayout, QWidget)

from atlass_runtime.errors import ImageReadError

from ..display import DisplaySettings
from ..thumbnails import make_preview
from .thumbnail_loader import to_qimage


class ZoomableImageView(QGraphicsView):
    zoom_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._item)
        self.setBackgroundBrush(QColor("#202020"))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMinimumSize(200, 200)
        self._fitting = True
        self.zoom_changed.connect(self._choose_smoothing)

    def _choose_smoothing(self, zoom: float) -> None:
        """Smooth when shrinking or slightly enlarging; real pixels when zoomed far in (as in Fiji)."""
        mode = Qt.TransformationMode.FastTransformation if zoom >= 3 else Qt.TransformationMode.SmoothTransformation
        self._item.setTransformationMode(mode)

    def set_image(self, image: QImage | None) -> None:
        self._item.setPixmap(QPixmap.fromImage(image) if image is not None else QPixmap())
        self.scene().setSceneRect(self._item.boundingRect())
        if self._fitting:
            self.fit()

    def has_image(self) -> bool:
        return not self._item.pixmap().isNull()

    def zoom_factor(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self._fitting = True
        if self.has_image():
            self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom_factor())

    def actual_size(self) -> None:
        self._fitting = False
        self.resetTransform()
        self.zoom_changed.emit(1.0)

    def zoom(self, factor: float) -> None:
        self._fitting = False
        factor = max(0.02, min(64.0, self.zoom_factor() * factor)) / self.zoom_factor()
        self.scale(factor, factor)
        self.zoom_changed.emit(self.zoom_factor())

    def wheelEvent(self, event) -> None:
        self.zoom(1.25 ** (event.angleDelta().y() / 120))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fitting:
            self.fit()


class PreviewPanel(QWidget):
    _loaded = Signal(int, object, str, str)        # generation, QImage | None, description, error

    def __init__(self, parent=None):
        super().__init__(parent)
        self.display = DisplaySettings()            # how images are shown (read by the worker)
        self.title = QLabel("No image selected")
        self.title.setStyleSheet("font-weight: bold")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)   # long names clip
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view = ZoomableImageView()
        self.zoom_label = QLabel()
        zoom_row = QHBoxLayout()
        for text, slot, tip in (("Fit", self.view.fit, "Fit the image in the panel (Ctrl+0)"),
                                ("1:1", self.view.actual_size, "One image pixel per screen pixel (Ctrl+1)"),
                                ("−", lambda: self.view.zoom(1 / 1.25), "Zoom out (Ctrl+-)"),
                                ("+", lambda: self.view.zoom(1.25), "Zoom in (Ctrl++)")):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(slot)
            zoom_row.addWidget(button)
        zoom_row.addStretch(1)
        zoom_row.addWidget(self.zoom_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addLayout(zoom_row)
        layout.addWidget(self.info)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z:.0%}"))
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._generation = 0
        self._details = ""
        self._loaded.connect(self._on_loaded)

    def show_image(self, name: str | None, paths: list[Path], details: str, placeholder: QImage | None) -> None:
        """Show an image (None: nothing); `details` is the line under it (category, source)."""
        self._generation += 1
        self._details = details
        self.title.setText(name or "No image selected")
        self.info.setText(details)
        self.view.set_image(placeholder)
        self._pool.clear()                          # a newer image replaces any still waiting
        if name is not None:
            generation = self._generation
            self._pool.start(lambda: self._load(generation, paths))

    def _load(self, generation: int, paths: list[Path]) -> None:
        error = "file not found"
        for path in paths:
            if not path.exists():
                continue
            try:
                preview = make_preview(path, display=self.display)
                self._loaded.emit(generation, to_qimage(preview.rgb), preview.description, "")
                return
            except ImageReadError as exc:
                error = exc.reason
            except Exception as exc:                 # never let a decoder bug take the app down
                error = f"{type(exc).__name__}: {exc}"
        self._loaded.emit(generation, None, "", error)

    def _on_loaded(self, generation: int, image, description: str, error: str) -> None:
        if generation != self._generation:
            return
        if image is not None:
            self.view.set_image(image)
        self.info.setText(" · ".join(part for part in (description, self._details) if part)
                          if not error else f"Cannot be shown: {error}\n{self._details}")
        self.info.setStyleSheet("" if not error else "color: #c62828")

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone()

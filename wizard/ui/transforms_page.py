"""Page 3 (data distillation): the ten test-time transforms, each previewed on an image of the
user's own dataset as the network will see it."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from atlass_runtime.config import AUTO
from atlass_runtime.transforms import TRANSFORMS

from ..plan import WizardModel, preview_candidates, transform_previews
from .tasks import Task
from .widgets import HELP, ConfigPage, pixmap_from_rgb8, text_label

PREVIEW_SIZE = 160
COLUMNS = 5


def _preview_label() -> QLabel:
    label = QLabel()
    label.setFixedSize(QSize(PREVIEW_SIZE, PREVIEW_SIZE))
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("background: #202020; color: #c0c0c0;")
    return label


def describe(name: str) -> str:
    """The transform's one-line description (its docstring's first line)."""
    doc = (TRANSFORMS[name].__doc__ or "").strip()
    return doc.splitlines()[0] if doc else name


class TransformsPage(ConfigPage):
    name = "transforms"
    previewed = Signal()          # the previews of an image were shown (or could not be made)

    def __init__(self, model: WizardModel, pool: QThreadPool):
        super().__init__(model, "Transformed views",
                         "To label an unlabelled image, each network also looks at transformed "
                         "versions of it, and all the answers vote together. The paper's five are "
                         "preselected.")
        self.pool = pool
        self.task: Task | None = None
        self.candidates = []
        self.index = 0
        self.shown_key = None
        self.previews: dict[str, QLabel] = {}
        self.boxes: dict[str, QCheckBox] = {}

        self.auto = QCheckBox("Choose for me: the run picks, on your validation images, the transforms "
                              "that help its networks (the image itself is always used)")
        self.auto.setObjectName("transforms_auto")
        self.auto.setToolTip("Greedy selection: starting from the image alone, the transform that most "
                             "improves the networks' answers on the validation images is added, while "
                             "one still improves them. The run reports which were kept.")
        self.auto.toggled.connect(self._auto_toggled)

        self.original = _preview_label()
        self.original_caption = text_label()
        self.another = QPushButton("Another image")
        self.another.clicked.connect(self.next_image)
        top = QHBoxLayout()
        top.addWidget(self.original)
        side = QVBoxLayout()
        side.addWidget(text_label("<b>The image as the network sees it</b>", rich=True))
        side.addWidget(self.original_caption)
        side.addWidget(self.another, 0, Qt.AlignmentFlag.AlignLeft)
        side.addStretch(1)
        top.addLayout(side, 1)

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        for index, name in enumerate(TRANSFORMS):
            preview = _preview_label()
            preview.setToolTip(describe(name))
            box = QCheckBox(name)
            box.setObjectName(f"transform_{name}")
            box.setToolTip(describe(name) + "\n\n" + HELP["transforms"])
            box.toggled.connect(self._changed)
            self.previews[name], self.boxes[name] = preview, box
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addWidget(preview)
            cell.addWidget(box)
            holder = QWidget()
            holder.setLayout(cell)
            grid.addWidget(holder, index // COLUMNS, index % COLUMNS)

        layout = QVBoxLayout(self)
        layout.addWidget(self.auto)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addWidget(self.errors["transforms"])
        layout.addWidget(self.other_error)
        layout.addStretch(1)

    # ------------------------------------------------------------------ Qt hooks
    def initializePage(self) -> None:
        auto = self.model.config.auto_transforms
        chosen = set(self.model.config.process_info.default_transforms if auto else self.model.config.transforms)
        for name, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(name in chosen)
            box.setEnabled(not auto)
            box.blockSignals(False)
        self.auto.blockSignals(True)
        self.auto.setChecked(auto)
        self.auto.blockSignals(False)
        self.refresh_errors()
        candidates = preview_candidates(self.model.report)
        if candidates != self.candidates:
            self.candidates, self.index = candidates, 0
        self.another.setEnabled(len(self.candidates) > 1)
        self.show_previews()

    def _changed(self, _checked: bool) -> None:
        self.apply(transforms=[name for name, box in self.boxes.items() if box.isChecked()])

    def _auto_toggled(self, auto: bool) -> None:
        for box in self.boxes.values():
            box.setEnabled(not auto)
        if auto:
            self.apply(transforms=[AUTO])
        else:
            self._changed(False)

    # ------------------------------------------------------------------ previews
    def next_image(self) -> None:
        if self.candidates:
            self.index = (self.index + 1) % len(self.candidates)
            self.show_previews()

    def show_previews(self) -> None:
        """Compute the previews of the current image (at the network's size) off the UI thread."""
        if not self.candidates:
            self.original_caption.setText("No readable image in the dataset to preview.")
            self.previewed.emit()
            return
        path, size = self.candidates[self.index], self.model.config.image_size
        if self.shown_key == (path, size):
            self.previewed.emit()
            return
        if self.task is not None:
            self.task.silence()
        self.original_caption.setText(f"{path.name}, {size} x {size} pixels (computing the previews…)")
        self.task = Task(lambda progress, cancelled: transform_previews(path, size), self)
        self.task.connect(finished=self._show, failed=self._failed)
        self.task.start(self.pool)
        self.shown_key = (path, size)

    def _show(self, views) -> None:
        if self.sender() is not self.task:
            return
        self.task = None
        path, size = self.shown_key
        self.original.setPixmap(self._scaled(views["Original"]))
        for name, label in self.previews.items():
            label.setPixmap(self._scaled(views[name]))
        self.original_caption.setText(f"{self.model.report.relative(path) if self.model.report else path.name}, "
                                      f"resized to {size} x {size} pixels. Each preview below is this "
                                      "image under one transform.")
        self.previewed.emit()

    def _failed(self, message: str) -> None:
        if self.sender() is not self.task:
            return
        self.task, self.shown_key = None, None
        self.original_caption.setText(f"No preview: {message}")
        self.previewed.emit()

    @staticmethod
    def _scaled(image):
        pixmap = pixmap_from_rgb8(image)
        return pixmap.scaled(PREVIEW_SIZE, PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)

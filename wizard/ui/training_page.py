"""Page 6 (advanced, collapsed): epochs, image size, batch size, seed, splits, pretrained weights,
and the finer choices of RunConfig (vote, mixed precision, the split that chooses the model)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from .plan import WizardModel
from .widgets import HELP, ConfigPage, text_label

VOTES = (("hard", "weighted majority vote (the paper)"), ("soft", "average of probabilities"))
SELECT_ON = (("validation", "validation images (sound)"),
             ("test", "test images (what the paper did; test figures then look better than they are)"))


def _spin(name: str, low: int, high: int, step: int = 1, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setToolTip(HELP[name])
    box.setMinimumWidth(110)
    return box


def _combo(name: str, choices) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for value, text in choices:
        box.addItem(text, value)
    box.setToolTip(HELP[name])
    return box


class TrainingPage(ConfigPage):
    name = "training"

    def __init__(self, model: WizardModel):
        super().__init__(model, "Training",
                         "The paper's settings suit most datasets; change them only if you have a reason.")
        self.current = text_label()
        self.current.setObjectName("training_summary")
        self.toggle = QToolButton()
        self.toggle.setObjectName("show_advanced")
        self.toggle.setText("Advanced settings")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.toggled.connect(self.set_expanded)

        self.fields = {
            "epochs_frozen": _spin("epochs_frozen", 0, 1000),
            "epochs_unfrozen": _spin("epochs_unfrozen", 0, 1000),
            "image_size": _spin("image_size", 16, 2048, 32, " px"),
            "batch_size": _spin("batch_size", 2, 4096, 8),
            "seed": _spin("seed", 0, 2**31 - 1),
            "valid_fraction": _spin("valid_fraction", 1, 90, 1, " %"),
            "test_fraction": _spin("test_fraction", 1, 90, 1, " %"),
            "pretrained": QCheckBox("Start from ImageNet weights (transfer learning)"),
            "mixed_precision": QCheckBox("Mixed precision on a GPU (faster, less memory)"),
            "vote": _combo("vote", VOTES),
            "select_on": _combo("select_on", SELECT_ON),
        }
        for name in ("pretrained", "mixed_precision"):
            self.fields[name].setObjectName(name)
            self.fields[name].setToolTip(HELP[name])
        labels = {
            "epochs_frozen": "Epochs, new head only:", "epochs_unfrozen": "Epochs, whole network:",
            "image_size": "Image size:", "batch_size": "Batch size:", "seed": "Seed:",
            "valid_fraction": "Validation images:", "test_fraction": "Test images:",
            "pretrained": "", "mixed_precision": "", "vote": "Vote:", "select_on": "Choose the best network on:",
        }
        self.advanced = QWidget()
        self.advanced.setObjectName("advanced")
        column = QVBoxLayout(self.advanced)
        column.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        column.addLayout(form)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for name, widget in self.fields.items():
            form.addRow(labels[name], widget)
            form.addRow("", self.errors[name])
            if isinstance(widget, QSpinBox):
                widget.valueChanged.connect(self._changed)
            elif isinstance(widget, QCheckBox):
                widget.toggled.connect(self._changed)
            else:
                widget.currentIndexChanged.connect(self._changed)
        column.addWidget(text_label("Validation and test images are taken from each category's labelled "
                                    "images; the rest is for training. Test images are never used to "
                                    "train or to choose anything, only to report the final figures."))
        self.advanced.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.current)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced)
        layout.addWidget(self.other_error)
        layout.addStretch(1)

    # ------------------------------------------------------------------ Qt hooks
    def initializePage(self) -> None:
        config = self.model.config
        for name, widget in self.fields.items():
            value = getattr(config, name)
            widget.blockSignals(True)
            if name in ("valid_fraction", "test_fraction"):
                widget.setValue(round(100 * value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(value)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(value)
            else:
                widget.setCurrentIndex(widget.findData(value))
            widget.blockSignals(False)
        self.fields["vote"].setEnabled(config.process_info.distills)
        self._describe()
        self.refresh_errors()

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.blockSignals(True)
        self.toggle.setChecked(expanded)
        self.toggle.blockSignals(False)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.advanced.setVisible(expanded)

    def values(self) -> dict:
        values = {}
        for name, widget in self.fields.items():
            if name in ("valid_fraction", "test_fraction"):
                values[name] = widget.value() / 100
            elif isinstance(widget, QSpinBox):
                values[name] = widget.value()
            elif isinstance(widget, QCheckBox):
                values[name] = widget.isChecked()
            else:
                values[name] = widget.currentData()
        return values

    def _changed(self, *_args) -> None:
        self.apply(**self.values())
        self._describe()

    def _describe(self) -> None:
        config = self.model.config
        train = 100 - round(100 * config.valid_fraction) - round(100 * config.test_fraction)
        self.current.setText(
            f"Each network: {config.epochs_frozen} epochs training a new head, then {config.epochs_unfrozen} "
            f"epochs training the whole network; images resized to {config.image_size} x {config.image_size} "
            f"pixels, {config.batch_size} per batch; seed {config.seed}; each category split "
            f"{train} / {round(100 * config.valid_fraction)} / {round(100 * config.test_fraction)} % into "
            "training / validation / test; "
            + ("starting from ImageNet weights." if config.pretrained else "starting from random weights."))

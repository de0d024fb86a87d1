"""Page 6 (advanced, collapsed): the training recipe, epochs, image size, batch size, seed, splits,
pretrained weights, and the finer choices of RunConfig (LR rule, vote, mixed precision, the split
that chooses the model, which models compete, the self-training options)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from atlass_runtime import RunConfig
from atlass_runtime.recipes import LR_RULES, RECIPES

from ..plan import WizardModel
from .widgets import HELP, ConfigPage, text_label

RECIPE_CHOICES = tuple((name, {"lp-ft": "small data (linear probe, then gentle fine-tuning)",
                               "quick": "quick (last layer only, seconds on a CPU)",
                               "paper": "the paper's (for hundreds of images)"}[name]) for name in RECIPES)
LR_RULE_CHOICES = tuple((name, {"valley": "valley (fastai)", "steep": "steepest descent (fastai)",
                                "minimum": "a tenth of the lowest-loss rate (fastai)",
                                "paper": "the lowest-loss rate (the paper)"}[name]) for name in LR_RULES)
VOTES = (("hard", "weighted majority vote (the paper)"), ("soft", "average of probabilities"))
CANDIDATES = (("all", "every model, those trained on your labels alone too (never worse than your labels)"),
              ("pseudo-labelled", "only models trained with pseudo-labels (the paper)"))
SELECT_ON = (("validation", "validation images (sound)"),
             ("test", "test images (what the paper did; test figures then look better than they are)"))


PERCENT = ("valid_fraction", "test_fraction")        # shown in %


def _spin(name: str, step: int = 1, suffix: str = "") -> QSpinBox:
    """A spin box with the range RunConfig declares for the field."""
    low, high = RunConfig.bounds(name)
    box = QSpinBox()
    box.setObjectName(name)
    if name in PERCENT:
        low, high = round(100 * low), round(100 * high)
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
                         "The defaults suit a few dozen labelled images per category; change them only if you "
                         "have a reason.")
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
            "recipe": _combo("recipe", RECIPE_CHOICES),
            "epochs_frozen": _spin("epochs_frozen"),
            "epochs_unfrozen": _spin("epochs_unfrozen"),
            "image_size": _spin("image_size", 32, " px"),
            "batch_size": _spin("batch_size", 8),
            "seed": _spin("seed"),
            "valid_fraction": _spin("valid_fraction", 1, " %"),
            "test_fraction": _spin("test_fraction", 1, " %"),
            "pretrained": QCheckBox("Start from ImageNet weights (transfer learning)"),
            "mixed_precision": QCheckBox("Mixed precision on a GPU (faster, less memory)"),
            "lr_rule": _combo("lr_rule", LR_RULE_CHOICES),
            "vote": _combo("vote", VOTES),
            "select_on": _combo("select_on", SELECT_ON),
            "candidates": _combo("candidates", CANDIDATES),
            "class_balance": QCheckBox("Balance the categories of the pseudo-labels accepted in a round"),
            "calibrate": QCheckBox("Calibrate each network's confidence on the validation images"),
            "revote": QCheckBox("Vote again each round on every image, so a wrong pseudo-label can be undone"),
            "label_spreading": QCheckBox("Accept a pseudo-label only where its nearest neighbours agree (label spreading)"),
        }
        for name in ("pretrained", "mixed_precision", "class_balance", "calibrate", "revote", "label_spreading"):
            self.fields[name].setObjectName(name)
            self.fields[name].setToolTip(HELP[name])
        labels = {
            "recipe": "Recipe:", "lr_rule": "Learning rate:",
            "epochs_frozen": "Epochs, new head only:", "epochs_unfrozen": "Epochs, whole network:",
            "image_size": "Image size:", "batch_size": "Batch size:", "seed": "Seed:",
            "valid_fraction": "Validation images:", "test_fraction": "Test images:",
            "pretrained": "", "mixed_precision": "", "vote": "Vote:", "select_on": "Choose the best network on:",
            "candidates": "Final model among:", "class_balance": "Pseudo-labels:", "calibrate": "", "revote": "",
            "label_spreading": "",
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
                widget.valueChanged.connect(lambda _value, name=name: self._changed(name))
            elif isinstance(widget, QCheckBox):
                widget.toggled.connect(lambda _value, name=name: self._changed(name))
            else:
                widget.currentIndexChanged.connect(lambda _value, name=name: self._changed(name))
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
        self._show_config()
        process = self.model.config.process_info
        for name in ("vote", "class_balance", "calibrate", "revote", "label_spreading", "candidates"):
            self.fields[name].setEnabled(process.settable(name))   # greyed out where the process ignores it
        self._describe()
        self.refresh_errors()

    def _show_config(self, skip: str | None = None) -> None:
        """Every widget shows the config's value (a changed recipe changes the epochs too)."""
        config = self.model.config
        for name, widget in self.fields.items():
            if name == skip or name in self.model.pending:
                continue
            value = getattr(config, name)
            widget.blockSignals(True)
            if name in PERCENT:
                widget.setValue(round(100 * value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(value)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(value)
            else:
                widget.setCurrentIndex(widget.findData(value))
            widget.blockSignals(False)

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.blockSignals(True)
        self.toggle.setChecked(expanded)
        self.toggle.blockSignals(False)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.advanced.setVisible(expanded)

    def value(self, name: str):
        widget = self.fields[name]
        if name in PERCENT:
            return widget.value() / 100
        if isinstance(widget, QSpinBox):
            return widget.value()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        return widget.currentData()

    def values(self) -> dict:
        return {name: self.value(name) for name in self.fields}

    def _changed(self, name: str) -> None:
        """Only the field the user changed is applied: the others follow the config (a recipe
        brings its own epochs and learning-rate rule)."""
        self.apply(**{name: self.value(name)})
        self._show_config(skip=name)
        self._describe()

    def _describe(self) -> None:
        config = self.model.config
        train = 100 - round(100 * config.valid_fraction) - round(100 * config.test_fraction)
        recipe = config.recipe_info
        stages = ("a new last layer fitted on the network's frozen features, then "
                  if recipe.probe_first else "")
        if config.epochs_frozen:
            stages += f"{config.epochs_frozen} epochs training the new head, then "
        stages += (f"{config.epochs_unfrozen} epochs training the whole network" if config.epochs_unfrozen
                   else "nothing more (the network stays frozen)")
        self.current.setText(
            f"Recipe {recipe.name}: {recipe.explanation} Each network: {stages}; images resized to "
            f"{config.image_size} x {config.image_size} "
            f"pixels, {config.batch_size} per batch; seed {config.seed}; each category split "
            f"{train} / {round(100 * config.valid_fraction)} / {round(100 * config.test_fraction)} % into "
            "training / validation / test; "
            + ("starting from ImageNet weights." if config.pretrained else "starting from random weights."))

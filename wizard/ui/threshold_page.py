"""Page 5 (iterative processes): the confidence threshold and the most rounds."""
from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from atlass_runtime import RunConfig

from ..plan import WizardModel
from .widgets import hint_style, HELP, ConfigPage, show_error, text_label


FIELD_WIDTH = 110
LABEL_WIDTH = 220


def _row(text: str, field) -> QHBoxLayout:
    label = QLabel(text)
    label.setFixedWidth(LABEL_WIDTH)
    field.setFixedWidth(FIELD_WIDTH)
    row = QHBoxLayout()
    row.addWidget(label)
    row.addWidget(field)
    row.addStretch(1)
    return row


def _column(*widgets) -> QWidget:
    """Lines under a field, aligned with it."""
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(LABEL_WIDTH + 6, 0, 0, 12)
    column.setSpacing(4)
    for widget in widgets:
        column.addWidget(widget)
    return holder


class ThresholdPage(ConfigPage):
    name = "threshold"

    def __init__(self, model: WizardModel):
        super().__init__(model, "When to trust a label, when to stop",
                         "Each round, the networks vote on every unlabelled image left. An image joins "
                         "the training images with the voted label only when the vote is confident "
                         "enough; then the networks are trained again, and the next round starts.")
        self.threshold = QDoubleSpinBox()
        self.threshold.setObjectName("threshold")
        self.threshold.setRange(*RunConfig.bounds("threshold"))
        self.threshold.setDecimals(2)
        self.threshold.setSingleStep(0.05)
        self.threshold.setToolTip(HELP["threshold"])
        self.threshold.valueChanged.connect(self._changed)
        self.rounds = QSpinBox()
        self.rounds.setObjectName("max_rounds")
        self.rounds.setRange(1, RunConfig.bounds("max_rounds")[1])   # an iterative process needs a round
        self.rounds.setToolTip(HELP["max_rounds"])
        self.rounds.valueChanged.connect(self._changed)
        self.hint = text_label()
        self.hint.setObjectName("threshold_hint")
        hint_style(self.hint)

        layout = QVBoxLayout(self)
        layout.addLayout(_row("Confidence threshold (0 to 1):", self.threshold))
        layout.addWidget(_column(self.errors["threshold"], self.hint, text_label(
            "Confidence is the share of the vote the winning category gets, weighted by how sure each "
            "network is: 1.0 only when every network, on every view, agrees with certainty. Higher "
            "means fewer but surer labels (the paper used 0.8).")))
        layout.addLayout(_row("Most rounds:", self.rounds))
        layout.addWidget(_column(self.errors["max_rounds"], text_label(
            "The rounds also stop as soon as a round accepts no image or no unlabelled image is left.")))
        layout.addWidget(self.other_error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        for box, value in ((self.threshold, self.model.config.threshold),
                           (self.rounds, self.model.config.max_rounds)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self._hint()
        self.refresh_errors()

    def _changed(self, _value) -> None:
        self.apply(threshold=round(self.threshold.value(), 2), max_rounds=self.rounds.value())
        self._hint()

    def _hint(self) -> None:
        value = round(self.threshold.value(), 2)
        if value >= 1.0:
            hint = "With 1.00 no image can be added: a vote must be above the threshold."
        elif value < 0.5:
            hint = "Below 0.5, labels that most of the vote disagrees with can be added."
        else:
            hint = ""
        show_error(self.hint, hint)

"""Page 2: one of the seven processes, each with a plain sentence; without unlabelled images only
No distillation can be chosen, and the page says why."""
from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QRadioButton, QVBoxLayout

from atlass_runtime import PROCESSES

from ..pages import NO_UNLABELLED
from ..plan import WizardModel
from .widgets import ConfigPage, text_label


class ProcessPage(ConfigPage):
    name = "process"

    def __init__(self, model: WizardModel):
        super().__init__(model, "How to use the unlabelled images",
                         "Every process trains networks on your labelled images. The distillation "
                         "processes also let the networks label your unlabelled images and learn from "
                         "those labels.")
        self.note = text_label()
        self.note.setObjectName("no_unlabelled_note")
        self.note.setStyleSheet("background: #fff4ce; padding: 6px;")
        self.note.hide()
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        self.explanations = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        for process in PROCESSES.values():
            button = QRadioButton(f"{process.title} ({process.code})")
            button.setObjectName(f"process_{process.code}")
            font = button.font()
            font.setBold(True)
            button.setFont(font)
            explanation = text_label(process.explanation)
            explanation.setContentsMargins(26, 0, 0, 6)
            self.group.addButton(button)
            self.buttons[process.code] = button
            self.explanations[process.code] = explanation
            layout.addWidget(button)
            layout.addWidget(explanation)
            button.toggled.connect(self._toggled)
        layout.addWidget(self.errors["process"])
        layout.addWidget(self.other_error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        for choice in self.model.processes():
            self.buttons[choice.code].setEnabled(choice.available)
            self.explanations[choice.code].setEnabled(choice.available)
        self.note.setText("This dataset has no unlabelled images, so " + NO_UNLABELLED)
        self.note.setVisible(self.model.report is not None and not self.model.has_unlabelled)
        button = self.buttons[self.model.config.process]
        button.blockSignals(True)
        button.setChecked(True)
        button.blockSignals(False)
        self.refresh_errors()

    def _toggled(self, checked: bool) -> None:
        if checked:
            code = next(code for code, button in self.buttons.items() if button.isChecked())
            self.apply(process=code)

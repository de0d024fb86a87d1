"""Page 4: the networks. Several for ND and the model-distillation processes (the paper's four
preselected), exactly one for the single-model processes (DD, IDD); any timm model name too."""
from __future__ import annotations

import importlib
import sys

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import (QAbstractButton, QButtonGroup, QCheckBox, QGridLayout, QHBoxLayout,
                               QLineEdit, QRadioButton, QVBoxLayout, QWidget)

from atlass_runtime.networks import NETWORKS, OFFLINE_NETWORKS

from ..plan import WizardModel
from .tasks import Task
from .widgets import ERROR_STYLE, HELP, ConfigPage, text_label

ROWS = 5
OTHER = "Other"
OFFLINE_NOTE = (f"{', '.join(OFFLINE_NETWORKS)}: small and fast even without a GPU, and their ImageNet "
                "weights come installed, so they work offline; the others download theirs once.")
BUILT_IN = {name.lower() for name in NETWORKS}


def load_timm(_progress, _cancelled) -> bool:
    """Import timm (it imports torch: seconds), so that checking a typed name does not freeze.
    False when timm is not installed; any other failure of the import is raised."""
    try:
        importlib.import_module("timm")
    except ImportError:
        return False
    return True


NOT_INSTALLED = ("timm is not installed here, so the name cannot be checked now; it is checked when "
                 "training starts.")


class _Choice(QWidget):
    """The ten networks plus "other (timm)" as check boxes (several) or radio buttons (one)."""

    def __init__(self, several: bool, changed, edited):
        super().__init__()
        self.several = several
        self.group = QButtonGroup(self)
        self.group.setExclusive(not several)
        self.buttons: dict[str, QAbstractButton] = {}
        kind = QCheckBox if several else QRadioButton
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for index, name in enumerate(NETWORKS):
            button = kind(f"{name}  ({', '.join(NETWORKS[name].hint.split(';')[0].split(', ')[:2])})")
            button.setObjectName(f"network_{name}")
            button.setToolTip(f"{name}: {NETWORKS[name].hint}")
            self._add(button, name, changed)
            grid.addWidget(button, index % ROWS, index // ROWS)
        other = kind("timm model(s):" if several else "timm model:")
        other.setObjectName("network_other")
        other.setToolTip("Any model name timm knows, e.g. efficientnet_b0 or convnext_tiny"
                         + (" (several: separate them with commas)" if several else ""))
        self._add(other, OTHER, changed)
        self.other_edit = QLineEdit()
        self.other_edit.setObjectName("network_other_name")
        self.other_edit.setPlaceholderText("efficientnet_b0" + (", convnext_tiny" if several else ""))
        self.other_edit.editingFinished.connect(lambda: self.typed(changed))
        self.other_edit.textEdited.connect(lambda _text: edited())
        self.handled_text = ""              # the field's text when it was last applied
        row = QHBoxLayout()
        row.addWidget(other)
        row.addWidget(self.other_edit, 1)
        grid.addLayout(row, ROWS, 0, 1, 2)

    def _add(self, button, name, changed) -> None:
        self.group.addButton(button)
        self.buttons[name] = button
        button.setToolTip(button.toolTip() or HELP["networks"])
        button.toggled.connect(lambda _checked: changed())

    def typed(self, changed) -> None:
        """A name typed (checked against timm once typing is done): tick "timm" and apply."""
        other = self.buttons[OTHER]
        self.handled_text = self.other_edit.text()
        if self.other_edit.text().strip() and not other.isChecked():
            other.setChecked(True)          # applies through its toggled signal
        elif other.isChecked():
            changed()

    def set_names(self, names: list[str]) -> None:
        others = [n for n in names if n not in NETWORKS]
        self.group.setExclusive(False)
        for name, button in self.buttons.items():
            button.blockSignals(True)
            button.setChecked(name in names or (name == OTHER and bool(others)))
            button.blockSignals(False)
        self.group.setExclusive(not self.several)
        self.other_edit.setText(", ".join(others))
        self.handled_text = self.other_edit.text()

    def names(self) -> list[str]:
        chosen = [name for name in NETWORKS if self.buttons[name].isChecked()]
        if self.buttons[OTHER].isChecked():
            typed = [part.strip() for part in self.other_edit.text().split(",") if part.strip()]
            chosen += typed if typed else [""]      # an empty name: RunConfig says what is missing
        return chosen


class NetworksPage(ConfigPage):
    name = "networks"

    def __init__(self, model: WizardModel, pool: QThreadPool):
        super().__init__(model, "Networks", "")
        self.pool = pool
        self.task: Task | None = None
        self.timm_tried = False                 # timm loaded, or found missing, or broken
        self.timm_error: str | None = None      # why importing timm failed (not: not installed)
        self.timm_blocks = False                # typed names held back: timm is broken
        self.checking = text_label("Checking the name… (loading timm, which knows the model names: a few seconds)")
        self.checking.hide()
        self.timm_note = text_label()
        self.timm_note.setObjectName("timm_note")
        self.timm_note.hide()
        self.explanation = text_label()
        self.several = _Choice(True, self._changed, self.completeChanged.emit)
        self.one = _Choice(False, self._changed, self.completeChanged.emit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.several)
        layout.addWidget(self.one)
        layout.addWidget(self.checking)
        layout.addWidget(self.timm_note)
        layout.addWidget(self.errors["networks"])
        layout.addWidget(self.other_error)
        layout.addStretch(1)

    @property
    def choice(self) -> _Choice:
        return self.several if self.model.config.process_info.multi_network else self.one

    def initializePage(self) -> None:
        process = self.model.config.process_info
        self.several.setVisible(process.multi_network)
        self.one.setVisible(not process.multi_network)
        self.choice.set_names(self.model.config.networks)
        defaults = ", ".join(process.default_networks)
        if not process.distills:
            text = ("Each network you choose is trained on your labelled images; the one that does best "
                    "on the validation images is kept. ")
        elif process.multi_network:
            text = ("Each network you choose is trained; together they vote on a label for each "
                    "unlabelled image, and in the end the best one on the validation images is kept. ")
        else:
            text = f"{process.title} trains exactly one network. "
        self.setSubTitle(text + f"Preselected: the paper's choice for {process.code} ({defaults}).")
        self.explanation.setText("Deeper networks are slower to train. " + OFFLINE_NOTE)
        self.refresh_errors()

    def _edited_since_applied(self) -> bool:
        return self.choice.other_edit.text() != self.choice.handled_text

    def isComplete(self) -> bool:
        """Next is enabled for a name edited but not applied yet: Next applies it first."""
        fine = super().isComplete() or self._edited_since_applied()
        return fine and self.task is None and not self.timm_blocks

    def validatePage(self) -> bool:
        """Next: a name still in the field is applied first (Alt+N leaves no editingFinished)."""
        if self._edited_since_applied():
            self.choice.typed(self._changed)
        return self.isComplete()

    def refresh_errors(self) -> None:
        """While a typed name is being checked, "checking…" instead of the last error; an empty
        timm field asks for a name rather than calling '' unknown."""
        super().refresh_errors()
        label = self.errors["networks"]
        if self.task is not None:
            label.hide()
        elif self.model.error_for("networks") and "unknown network ''" in self.model.error_for("networks"):
            label.setText("Type the name of a timm model (e.g. efficientnet_b0), or untick timm.")

    def _changed(self) -> None:
        names = self.choice.names()
        typed = [n for n in names if n and n.lower() not in BUILT_IN]
        if typed and not self.timm_tried and "timm" not in sys.modules:   # load timm off the UI thread
            if self.task is None:
                self.task = Task(load_timm, self)
                self.task.connect(finished=self._timm_loaded, failed=self._timm_failed)
                self.task.start(self.pool)
                self.checking.show()
                self.refresh_errors()
                self.completeChanged.emit()
            return
        self.timm_blocks = bool(typed) and self.timm_error is not None
        self._show_timm_note(bool(typed))
        if self.timm_blocks:              # importing timm again would fail again, on the UI thread
            self.completeChanged.emit()
            return
        self.apply(networks=names)

    def _show_timm_note(self, typed: bool) -> None:
        if self.timm_error is not None:
            text = (f"timm could not be loaded ({self.timm_error}), so no timm model can be used: untick "
                    "the timm model to go on with the networks above, or repair the timm installation.")
        else:
            text = NOT_INSTALLED if self.timm_tried and sys.modules.get("timm") is None else ""
        self.timm_note.setText(text)
        self.timm_note.setStyleSheet(ERROR_STYLE if self.timm_error is not None else "")
        self.timm_note.setVisible(typed and bool(text))

    def _timm_loaded(self, _loaded: bool) -> None:
        if self.sender() is self.task:
            self._timm_ended(None)

    def _timm_failed(self, message: str) -> None:
        if self.sender() is self.task:
            self._timm_ended(message)

    def _timm_ended(self, error: str | None) -> None:
        """Loading was tried once: the typed names are checked now, or held back with the reason."""
        self.task = None
        self.timm_tried, self.timm_error = True, error
        self.checking.hide()
        self._changed()

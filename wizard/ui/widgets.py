"""Small pieces the pages share: the page base class that writes the RunConfig and shows its
errors next to the fields, labels, and numpy images as pixmaps."""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette, QPixmap
from PySide6.QtWidgets import QLabel, QWizardPage

from atlass_runtime import RunConfig

from ..pages import PAGE_FIELDS
from ..plan import WizardModel

ERROR_STYLE = "color: #b00020;"
HELP = RunConfig.field_help()


def pixmap_from_rgb8(image: np.ndarray) -> QPixmap:
    """A QPixmap of an HxWx3 uint8 RGB array."""
    image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    qimage = QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


def hint_style(label: QLabel) -> QLabel:
    """A secondary text in the palette's own placeholder colour: readable on light and dark
    palettes alike (a fixed grey is not)."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def text_label(text: str = "", *, rich: bool = False, selectable: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def error_label(name: str) -> QLabel:
    """A red line under a field, hidden while the field is fine (tests find it by its name)."""
    label = text_label()
    label.setObjectName(f"error_{name}")
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


def show_error(label: QLabel, message: str | None) -> None:
    label.setText(message or "")
    label.setVisible(bool(message))


def finding_html(findings) -> str:
    """Findings as an HTML list: problems (the notebook would stop) first, then warnings."""
    items = []
    for finding in sorted(findings, key=lambda f: not f.blocking):
        kind = "<b style='color:#b00020'>Problem:</b>" if finding.blocking else "<b>Warning:</b>"
        items.append(f"<li>{kind} {html.escape(finding.message, quote=False)}</li>")
    return f"<ul style='margin-left:-20px'>{''.join(items)}</ul>" if items else ""


class ConfigPage(QWizardPage):
    """A page that writes some RunConfig fields (PAGE_FIELDS[name]) through the model.

    A refused value is shown next to its field (`self.errors[field]`) and keeps Next disabled;
    Back forgets it and the page shows the config again when it is next entered."""

    name = ""

    def __init__(self, model: WizardModel, title: str, subtitle: str = ""):
        super().__init__()
        self.model = model
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self.setObjectName(f"page_{self.name}")
        self.errors: dict[str, QLabel] = {f: error_label(f) for f in PAGE_FIELDS[self.name]}
        self.other_error = error_label("other")

    def apply(self, **changes) -> None:
        self.model.set(**changes)
        self.refresh_errors()
        self.completeChanged.emit()

    def refresh_errors(self) -> None:
        error = self.model.error
        for field, label in self.errors.items():
            show_error(label, self.model.error_for(field))
        show_error(self.other_error, str(error) if error is not None and error.field not in self.errors else None)

    def isComplete(self) -> bool:
        return self.model.error is None

    def cleanupPage(self) -> None:
        self.model.discard_pending()
        self.refresh_errors()

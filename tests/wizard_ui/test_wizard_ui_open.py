"""`open_wizard(dataset, parent)`, what the annotator's Train… button calls."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMainWindow  # noqa: E402

from wizard.ui import open_wizard  # noqa: E402

pytestmark = pytest.mark.gui


def test_open_wizard_shows_it_over_the_annotator_with_the_dataset_inspected(qtbot, mixed_dataset):
    parent = QMainWindow()
    qtbot.addWidget(parent)
    parent.show()
    wizard = open_wizard(mixed_dataset, parent)
    assert wizard.isVisible() and wizard.parent() is parent
    assert wizard.windowModality() == Qt.WindowModality.WindowModal
    assert wizard.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    page = wizard.page_named("dataset")
    assert page.path_edit.text() == str(mixed_dataset)
    qtbot.waitUntil(lambda: wizard.model.report is not None and page.task is None, timeout=60000)
    assert wizard.model.report.unlabelled == 10
    with qtbot.waitSignal(wizard.destroyed, timeout=10000):
        wizard.close()


def test_the_annotators_train_button_finds_this_wizard():
    from annotator.ui import train_launcher

    assert train_launcher.find_wizard() is open_wizard

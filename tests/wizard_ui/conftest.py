"""Fixtures of the Qt wizard's tests: small generated datasets and wizards that are closed, with
their background work checked to be over, at the end of each test."""
from __future__ import annotations

from pathlib import Path

import pytest

from wizard_ui_helpers import make_dataset


@pytest.fixture
def labelled_dataset(tmp_path) -> Path:
    """Two categories, 6 images each, no unlabelled image."""
    return make_dataset(tmp_path / "labelled only", {"Interphase": 6, "Mitosis": 6}, unlabelled=0)


@pytest.fixture
def mixed_dataset(tmp_path) -> Path:
    """Three categories of 8 images and 10 unlabelled images (one of them 16-bit grey)."""
    return make_dataset(tmp_path / "cells", {"G1": 8, "G2": 8, "S": 8}, unlabelled=10)


@pytest.fixture
def make_wizard(qtbot):
    """make_wizard(dataset, zip_path=None) -> a shown AtlassWizard whose inspection is done."""
    from wizard.ui.window import AtlassWizard

    made = []

    def make(dataset=None, zip_path=None, inspected=True):
        wizard = AtlassWizard(dataset, zip_path)
        qtbot.addWidget(wizard)
        made.append(wizard)
        wizard.show()
        if inspected:
            page = wizard.page_named("dataset")
            qtbot.waitUntil(lambda: wizard.model.report is not None and page.task is None, timeout=60000)
        return wizard

    yield make
    for wizard in made:
        wizard.close()
        assert wizard.pool.activeThreadCount() == 0 and wizard.inspections.activeThreadCount() == 0


@pytest.fixture(autouse=True)
def replacing_is_answered(monkeypatch):
    """Replacing an existing zip asks first; the tests answer yes (and can read what was asked)."""
    from wizard.ui import summary_page

    asked = []
    monkeypatch.setattr(summary_page, "ask_replace", lambda parent, text: asked.append(text) or True)
    return asked

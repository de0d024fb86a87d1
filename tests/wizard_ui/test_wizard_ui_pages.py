"""The wizard's pages, driven like a user would (offscreen): what each shows, which processes can
be chosen, the page sequence per process, errors next to their fields with Next disabled."""
from __future__ import annotations

import sys
import threading
import types

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QWizard
from wizard_ui_helpers import EXPECTED_PAGES, click, click_next, make_dataset, next_enabled

from atlass_runtime import PROCESSES

pytestmark = pytest.mark.gui

PAGES = EXPECTED_PAGES


def error_text(page, field: str) -> str | None:
    label = page.findChild(QLabel, f"error_{field}")
    return label.text() if label.isVisible() else None


def test_the_dataset_page_shows_categories_counts_and_unlabelled_images(make_wizard, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = wizard.page_named("dataset")
    assert page.path_edit.text() == str(mixed_dataset)
    rows = [(page.table.item(r, 0).text(), page.table.item(r, 1).text()) for r in range(page.table.rowCount())]
    assert rows == [("G1", "8"), ("G2", "8"), ("S", "8"), ("unlabelled (not sorted)", "10")]
    assert "10 unlabelled images" in page.unlabelled_label.text()
    assert "fewer than 20 labelled images" in page.findings_label.text()          # a warning...
    assert "mixed" not in page.findings_label.text() or "grey" in page.findings_label.text()
    assert next_enabled(wizard)                                                    # ...that does not block


def test_a_dataset_the_notebook_would_stop_on_keeps_next_disabled(make_wizard, tmp_path):
    dataset = make_dataset(tmp_path / "broken", {"A": 5, "B": 5}, unlabelled=2)
    (dataset / "Empty").mkdir()
    wizard = make_wizard(dataset)
    page = wizard.page_named("dataset")
    assert "Problem:" in page.findings_label.text() and "'Empty'" in page.findings_label.text()
    assert not next_enabled(wizard)


def test_typing_another_folder_inspects_it_and_a_missing_folder_is_an_error(make_wizard, qtbot, tmp_path,
                                                                           labelled_dataset, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = wizard.page_named("dataset")
    page.path_edit.setText(str(tmp_path / "nowhere"))
    page.inspect()
    assert "is not a folder" in error_text(page, "dataset")
    assert not next_enabled(wizard) and wizard.model.report is None
    page.path_edit.setText(str(labelled_dataset))
    with qtbot.waitSignal(page.inspected, timeout=60000):
        page.inspect()
    assert error_text(page, "dataset") is None
    assert wizard.model.dataset_dir == labelled_dataset and not wizard.model.has_unlabelled
    assert "No unlabelled images" in page.unlabelled_label.text()
    assert next_enabled(wizard)


def test_typing_a_path_reads_nothing_until_enter(make_wizard, qtbot, mixed_dataset, labelled_dataset):
    wizard = make_wizard(mixed_dataset)
    page = wizard.page_named("dataset")
    page.path_edit.clear()
    qtbot.keyClicks(page.path_edit, str(labelled_dataset.parent) + "/")     # a pause after a parent folder
    qtbot.wait(1000)
    assert page.task is None and wizard.model.dataset_dir == mixed_dataset
    assert "Press Enter" in page.status.text() and not next_enabled(wizard)
    qtbot.keyClicks(page.path_edit, labelled_dataset.name)
    with qtbot.waitSignal(page.inspected, timeout=60000):
        qtbot.keyClick(page.path_edit, Qt.Key.Key_Return)
    assert wizard.model.dataset_dir == labelled_dataset and wizard.current_name() == "dataset"
    assert "2 categories" in page.status.text() and next_enabled(wizard)


def test_a_stale_inspection_neither_holds_up_nor_overwrites_the_latest(make_wizard, qtbot, monkeypatch, tmp_path,
                                                                       mixed_dataset, labelled_dataset):
    from wizard.ui import dataset_page

    release = threading.Event()
    real = dataset_page.inspect_dataset

    def inspect(path, progress, cancelled):       # a wrong folder that takes long to read
        if path.name.startswith("huge"):
            release.wait(60)
            return real(labelled_dataset)
        return real(path)

    monkeypatch.setattr(dataset_page, "inspect_dataset", inspect)
    wizard = make_wizard(mixed_dataset)
    page = wizard.page_named("dataset")
    for name in ("huge1", "huge2"):            # more than the wizard's other pool has threads
        (tmp_path / name).mkdir()
        page.path_edit.setText(str(tmp_path / name))
        page.inspect()
    try:
        page.path_edit.setText(str(mixed_dataset))
        with qtbot.waitSignal(page.inspected, timeout=20000):
            page.inspect()
        assert wizard.model.report.root == mixed_dataset.resolve()
    finally:
        release.set()
    wizard.inspections.waitForDone()
    qtbot.wait(100)                            # results the stale ones queued would arrive now
    assert wizard.model.report.root == mixed_dataset.resolve() and page.table.rowCount() == 4
    assert next_enabled(wizard)


def test_a_category_too_small_to_split_shows_on_the_dataset_page_already(make_wizard, qtbot, tmp_path):
    dataset = make_dataset(tmp_path / "small", {"A": 8, "B": 2, "C": 3}, unlabelled=2)
    wizard = make_wizard(dataset)
    page = wizard.page_named("dataset")
    text = page.findings_label.text()
    assert "Problem:" in text and "'B' (2)" in text and "'C'" not in text.split("Problem:")[1].split("</li>")[0]
    assert "label more images" in text and "at least 3 labelled images" in text


def test_with_a_fully_labelled_dataset_only_nd_can_be_chosen(make_wizard, qtbot, labelled_dataset):
    wizard = make_wizard(labelled_dataset)
    click_next(qtbot, wizard)
    page = wizard.page_named("process")
    enabled = [code for code, button in page.buttons.items() if button.isEnabled()]
    assert enabled == ["ND"]
    assert page.buttons["ND"].isChecked() and wizard.model.config.process == "ND"
    assert page.note.isVisible() and "no unlabelled images" in page.note.text()
    click(qtbot, page.buttons["ND"])
    qtbot.mouseClick(page.buttons["IMDD"], Qt.MouseButton.LeftButton, pos=QPoint(20, 8))   # disabled: no effect
    assert wizard.model.config.process == "ND"


def test_with_unlabelled_images_all_seven_can_be_chosen(make_wizard, qtbot, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    click_next(qtbot, wizard)
    page = wizard.page_named("process")
    assert [code for code, button in page.buttons.items() if button.isEnabled()] == list(PROCESSES)
    assert not page.note.isVisible()
    for code in PROCESSES:
        click(qtbot, page.buttons[code])
        assert wizard.model.config.process == code


@pytest.mark.parametrize("process", list(PROCESSES))
def test_the_pages_follow_the_process(make_wizard, qtbot, mixed_dataset, process):
    wizard = make_wizard(mixed_dataset)
    seen = [wizard.current_name()]
    click_next(qtbot, wizard)
    click(qtbot, wizard.page_named("process").buttons[process])
    while wizard.current_name() != "summary":
        seen.append(wizard.current_name())
        click_next(qtbot, wizard)
    seen.append("summary")
    assert seen == PAGES[process]
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert finish.isVisible() and finish.text() == "Write zip"


def go_to(wizard, qtbot, process: str, page_name: str):
    click_next(qtbot, wizard)
    click(qtbot, wizard.page_named("process").buttons[process])
    while wizard.current_name() != page_name:
        click_next(qtbot, wizard)
    return wizard.page_named(page_name)


def test_transforms_have_previews_and_no_transform_is_refused_next_to_the_list(make_wizard, qtbot, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "IMDD", "transforms")
    qtbot.waitUntil(lambda: page.task is None and page.shown_key is not None, timeout=60000)
    checked = [name for name, box in page.boxes.items() if box.isChecked()]
    assert checked == ["H Flip", "V Flip", "H+V Flip", "Blurring", "Gamma"]       # the paper's five
    assert len(page.boxes) == 10
    assert all(not label.pixmap().isNull() for label in page.previews.values())
    assert page.shown_key[0].parent.name == "unlabelled"
    first = page.shown_key
    page.next_image()
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)
    assert page.shown_key != first
    for box in page.boxes.values():
        box.setChecked(False)
    assert "at least one transform" in error_text(page, "transforms")
    assert not next_enabled(wizard)
    page.boxes["Median Blur"].setChecked(True)
    assert error_text(page, "transforms") is None and next_enabled(wizard)
    assert wizard.model.config.transforms == ["Median Blur"]


def test_back_forgets_a_refused_choice(make_wizard, qtbot, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "MD", "networks")
    for button in page.several.buttons.values():
        button.setChecked(False)
    assert error_text(page, "networks") == "choose at least one network"
    assert not next_enabled(wizard)
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    click_next(qtbot, wizard)
    assert wizard.current_name() == "networks" and error_text(page, "networks") is None
    # the last choice that was accepted (unticking one by one, DenseNet121 was the last one left)
    assert [n for n, b in page.several.buttons.items() if b.isChecked()] == ["DenseNet121"]
    assert next_enabled(wizard) and wizard.model.config.networks == ["DenseNet121"]


def test_a_single_model_process_takes_exactly_one_network(make_wizard, qtbot, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "IDD", "networks")
    assert page.one.isVisible() and not page.several.isVisible()
    assert [n for n, b in page.one.buttons.items() if b.isChecked()] == ["ResNet50"]
    click(qtbot, page.one.buttons["DenseNet121"])
    assert [n for n, b in page.one.buttons.items() if b.isChecked()] == ["DenseNet121"]
    assert wizard.model.config.networks == ["DenseNet121"]
    assert "exactly one network" in page.subTitle()


def test_several_networks_for_nd_with_the_default_of_atlass_export(make_wizard, qtbot, labelled_dataset):
    wizard = make_wizard(labelled_dataset)
    page = go_to(wizard, qtbot, "ND", "networks")
    assert page.several.isVisible() and not page.one.isVisible()
    default = list(PROCESSES["ND"].default_networks)
    assert [n for n, b in page.several.buttons.items() if b.isChecked()] == default
    click(qtbot, page.several.buttons["ResNet18"])
    assert wizard.model.config.networks == ["ResNet18"] + default


def test_threshold_and_rounds_for_iterative_processes(make_wizard, qtbot, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "IMD", "threshold")
    assert page.threshold.value() == pytest.approx(0.8) and page.rounds.value() == 5
    page.threshold.setValue(0.95)
    page.rounds.setValue(2)
    assert (wizard.model.config.threshold, wizard.model.config.max_rounds) == (0.95, 2)
    page.threshold.setValue(1.0)
    assert "no image can be added" in page.hint.text() and next_enabled(wizard)


def test_the_training_page_is_collapsed_and_refuses_splits_that_leave_no_training_images(
        make_wizard, qtbot, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "MD", "training")
    assert not page.advanced.isVisible() and "8 epochs" in page.current.text()
    assert "Recipe lp-ft" in page.current.text()
    click(qtbot, page.toggle)
    assert page.advanced.isVisible()
    page.fields["valid_fraction"].setValue(50)
    page.fields["test_fraction"].setValue(45)
    assert "at least 5%" in error_text(page, "test_fraction")
    assert error_text(page, "valid_fraction") is None
    assert not next_enabled(wizard)
    page.fields["test_fraction"].setValue(30)
    assert error_text(page, "test_fraction") is None and next_enabled(wizard)
    assert (wizard.model.config.valid_fraction, wizard.model.config.test_fraction) == (0.5, 0.3)
    page.fields["epochs_unfrozen"].setValue(0)
    assert "recipe quick" in error_text(page, "epochs_unfrozen") and not next_enabled(wizard)
    page.fields["epochs_unfrozen"].setValue(8)
    recipe = page.fields["recipe"]
    recipe.setCurrentIndex(recipe.findData("paper"))       # the paper's recipe brings its epochs
    config = wizard.model.config
    assert (config.recipe, config.epochs_frozen, config.epochs_unfrozen, config.lr_rule) == ("paper", 2, 8, "paper")
    assert page.fields["epochs_frozen"].value() == 2 and page.fields["lr_rule"].currentData() == "paper"
    recipe.setCurrentIndex(recipe.findData("quick"))
    assert wizard.model.config.epochs_unfrozen == 0 and page.fields["epochs_unfrozen"].value() == 0
    assert next_enabled(wizard) and "stays frozen" in page.current.text()


def test_the_summary_page_says_what_will_run_and_what_it_costs(make_wizard, qtbot, mixed_dataset, tmp_path):
    wizard = make_wizard(mixed_dataset, tmp_path / "out" / "cells.zip")
    page = go_to(wizard, qtbot, "MDD", "summary")
    text = page.summary.text()
    assert "Model and data distillation (MDD)" in text
    assert "ResNet34, ResNet50, ResNet101, DenseNet121" in text
    assert "8 networks in all" in text and "8 epochs" in text
    assert page.path_edit.text() == str(tmp_path / "out" / "cells.zip")
    assert "--process MDD" in page.command.text()
    page.path_edit.setText(str(tmp_path / "cells.tar"))
    assert page.path_error.isVisible() and not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()


def test_a_category_too_small_to_split_stops_the_wizard_on_the_dataset_page(make_wizard, qtbot, tmp_path):
    """The problem is shown where it is, and the user is not walked on to learn it on the last page."""
    dataset = make_dataset(tmp_path / "small", {"A": 8, "B": 2}, unlabelled=2)
    wizard = make_wizard(dataset)
    page = wizard.page_named("dataset")
    assert "Problem:" in page.findings_label.text() and "'B' (2)" in page.findings_label.text()
    assert not next_enabled(wizard)
    assert page.table.item(1, 2).text() == "too few" and page.table.item(0, 2).text() == "5"   # per split


def test_a_timm_name_is_checked_once_timm_is_loaded_in_the_background(make_wizard, qtbot, mixed_dataset,
                                                                     monkeypatch, request):
    from wizard.ui import networks_page

    original = sys.modules.pop("timm", None)
    request.addfinalizer(lambda: sys.modules.__setitem__("timm", original) if original is not None
                         else sys.modules.pop("timm", None))
    fake = types.ModuleType("timm")
    fake.is_model = lambda name: name == "efficientnet_b0"
    release = threading.Event()

    def load(progress, cancelled):                  # stands for the slow `import timm`
        release.wait(60)
        sys.modules["timm"] = fake

    monkeypatch.setattr(networks_page, "load_timm", load)
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "MD", "networks")
    page.several.other_edit.setText("efficientnet_b0")
    page.several.other_edit.editingFinished.emit()
    assert page.several.buttons["Other"].isChecked()
    assert page.checking.isVisible() and not next_enabled(wizard)      # waiting for timm, UI alive
    assert "Checking the name" in page.checking.text() and error_text(page, "networks") is None   # no '' error
    release.set()
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)
    assert wizard.model.config.networks == list(PROCESSES["MD"].default_networks) + ["efficientnet_b0"]
    assert next_enabled(wizard) and not page.checking.isVisible()
    page.several.other_edit.setText("no_such_net")
    page.several.other_edit.editingFinished.emit()
    assert "unknown network 'no_such_net'" in error_text(page, "networks") and not next_enabled(wizard)


@pytest.fixture
def no_timm_yet(monkeypatch):
    """timm not imported yet (the page then loads it in the background); restored afterwards."""
    monkeypatch.delitem(sys.modules, "timm", raising=False)
    return monkeypatch


def test_load_timm_says_when_timm_is_not_installed(no_timm_yet):
    from wizard.ui.networks_page import load_timm

    no_timm_yet.setitem(sys.modules, "timm", None)          # `import timm` raises ImportError
    assert load_timm(None, None) is False


def test_without_timm_a_typed_name_is_loaded_for_once_and_taken(make_wizard, qtbot, mixed_dataset, no_timm_yet):
    from wizard.ui import networks_page

    calls = []

    def load(progress, cancelled):               # as the real one when timm is not installed
        calls.append(1)
        sys.modules["timm"] = None
        return False

    no_timm_yet.setattr(networks_page, "load_timm", load)
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "MD", "networks")
    page.several.other_edit.setText("my_net")
    page.several.other_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: page.task is None and not page.checking.isVisible(), timeout=60000)
    qtbot.wait(200)                               # a restarted load would show now
    assert calls == [1] and page.task is None
    assert wizard.model.config.networks[-1] == "my_net" and next_enabled(wizard)
    assert page.timm_note.isVisible() and "checked when training starts" in page.timm_note.text()


def test_a_broken_timm_is_shown_and_the_built_in_networks_still_go_on(make_wizard, qtbot, mixed_dataset,
                                                                      no_timm_yet):
    from wizard.ui import networks_page

    def load(progress, cancelled):
        raise RuntimeError("timm was built for another torch")

    no_timm_yet.setattr(networks_page, "load_timm", load)
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "MD", "networks")
    page.several.other_edit.setText("efficientnet_b0")
    page.several.other_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)
    assert not page.checking.isVisible() and page.timm_note.isVisible()
    assert "built for another torch" in page.timm_note.text() and not next_enabled(wizard)
    click(qtbot, page.several.buttons["Other"])
    assert next_enabled(wizard) and not page.timm_note.isVisible()
    assert wizard.model.config.networks == list(PROCESSES["MD"].default_networks)
    click_next(qtbot, wizard)
    assert wizard.current_name() == "training"


def alt_n(qtbot, wizard) -> None:
    """Alt+N (&Next) as the window system delivers it: through the shortcut map, to the window."""
    qtbot.keyClick(wizard.windowHandle(), Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.wait(100)                               # delivered through the event queue


def test_a_just_typed_name_applies_when_next_is_pressed_with_the_keyboard(make_wizard, qtbot, mixed_dataset,
                                                                          no_timm_yet):
    fake = types.ModuleType("timm")
    fake.is_model = lambda name: name == "efficientnet_b0"
    no_timm_yet.setitem(sys.modules, "timm", fake)
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "MD", "networks")
    wizard.activateWindow()                      # shortcuts reach the active window only
    qtbot.waitUntil(wizard.isActiveWindow)
    page.several.other_edit.setFocus()
    qtbot.keyClicks(page.several.other_edit, "no_such_net")
    alt_n(qtbot, wizard)
    assert wizard.current_name() == "networks" and "no_such_net" in error_text(page, "networks")
    page.several.other_edit.clear()
    qtbot.keyClicks(page.several.other_edit, "efficientnet_b0")
    alt_n(qtbot, wizard)
    assert wizard.current_name() == "training"
    assert wizard.model.config.networks == list(PROCESSES["MD"].default_networks) + ["efficientnet_b0"]


def test_choose_for_me_lets_the_run_pick_the_transforms(make_wizard, qtbot, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "IDD", "transforms")
    click(qtbot, page.auto)
    assert wizard.model.config.transforms == ["auto"] and wizard.model.config.auto_transforms
    assert not any(box.isEnabled() for box in page.boxes.values()) and next_enabled(wizard)
    assert "--transforms auto" in " ".join(wizard.model.export_command())
    assert any("chosen by the run" in value for _, value in wizard.model.summary())
    click(qtbot, page.auto)
    assert wizard.model.config.transforms == ["H Flip", "V Flip", "H+V Flip", "Blurring", "Gamma"]


def test_the_self_training_options_follow_the_process(make_wizard, qtbot, mixed_dataset):
    wizard = make_wizard(mixed_dataset)
    page = go_to(wizard, qtbot, "IDD", "training")
    click(qtbot, page.toggle)
    balance, revote, spreading = page.fields["class_balance"], page.fields["revote"], page.fields["label_spreading"]
    assert balance.isEnabled() and balance.isChecked() and revote.isEnabled() and not revote.isChecked()
    assert spreading.isEnabled() and not spreading.isChecked()
    revote.setChecked(True)
    balance.setChecked(False)
    spreading.setChecked(True)
    candidates = page.fields["candidates"]
    candidates.setCurrentIndex(candidates.findData("pseudo-labelled"))
    config = wizard.model.config
    assert (config.revote, config.class_balance, config.label_spreading, config.candidates) == (
        True, False, True, "pseudo-labelled")

    wizard2 = make_wizard(mixed_dataset)
    page2 = go_to(wizard2, qtbot, "MD", "training")          # votes once: nothing to vote again
    assert not page2.fields["revote"].isEnabled() and not page2.fields["revote"].isChecked()
    assert page2.fields["class_balance"].isEnabled() and page2.fields["label_spreading"].isEnabled()
    wizard3 = make_wizard(mixed_dataset)
    page3 = go_to(wizard3, qtbot, "ND", "training")          # no unlabelled images: no pseudo-labels
    assert not page3.fields["label_spreading"].isEnabled() and not page3.fields["label_spreading"].isChecked()


def test_the_widgets_offer_what_runconfig_declares(make_wizard, mixed_dataset):
    from atlass_runtime import RunConfig

    wizard = make_wizard(mixed_dataset)
    training = wizard.page_named("training")
    declared = RunConfig.page_fields()["training"]
    assert set(training.fields) == set(declared)          # a new training field needs its widget
    for name in ("epochs_frozen", "image_size", "batch_size", "seed"):
        box = training.fields[name]
        assert (box.minimum(), box.maximum()) == RunConfig.bounds(name)
    low, high = RunConfig.bounds("valid_fraction")
    assert (training.fields["valid_fraction"].minimum(), training.fields["valid_fraction"].maximum()) == (
        round(100 * low), round(100 * high))

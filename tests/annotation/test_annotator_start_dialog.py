"""The start dialog: suggestions from the image folder, live checks, opening or continuing."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from annotator.ui.start_dialog import StartDialog
from annotator_helpers import fingerprint, layout, make_flat_folder

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot):
    made = []

    def make(*args, **kwargs):
        made.append(StartDialog(*args, **kwargs))
        qtbot.addWidget(made[-1])
        return made[-1]
    yield make
    for item in made:
        if item.session is not None:
            item.session.close()


def open_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_sub_folders_are_suggested_and_names_checked_live(image_folder, tmp_path, dialog):
    start = dialog(image_folder)
    assert "15 images found" in start.images_info.text()
    assert start.categories() == ["plate1", "plate2"]
    assert start.output_edit.text() == str(image_folder.parent / "images_sorted")
    assert open_button(start).isEnabled()
    start.name_edits[1].setText("LPT1")
    assert "Category 2:" in start.problem.text() and "reserved by Windows" in start.problem.text()
    assert not open_button(start).isEnabled()
    start.name_edits[1].setText("PLATE1")
    assert "already exists" in start.problem.text()
    start.count.setValue(3)
    start.name_edits[1].setText("S")
    start.name_edits[2].setText("M")
    assert open_button(start).isEnabled()
    start.output_edit.setText(str(tmp_path / "sorted"))
    open_button(start).click()
    assert start.result() == StartDialog.DialogCode.Accepted
    assert start.session.categories == ["plate1", "S", "M"]
    assert set(layout(tmp_path / "sorted")) == {"plate1", "S", "M", "unlabelled"}


def test_a_refused_folder_keeps_the_dialog_open_with_the_reason(flat_folder, dialog):
    start = dialog(flat_folder, flat_folder / "inside", ["G1"])
    open_button(start).click()
    assert start.session is None and "inside the image folder" in start.problem.text()


def described(qtbot, start) -> None:
    qtbot.waitUntil(lambda: bool(start.continue_info.text()) or "Checking" not in start.problem.text(), timeout=10000)


def test_continue_describes_an_original_atlass_folder_and_opens_it_once_confirmed(tmp_path, dialog, qtbot,
                                                                                 monkeypatch):
    from annotator.ui import dialogs

    legacy = make_flat_folder(tmp_path / "legacy" / "Healthy", 2).parent
    make_flat_folder(legacy, 3)
    start = dialog(output=legacy)
    assert start.tabs.currentIndex() == 1
    described(qtbot, start)
    assert "1 category folders, 2 labelled and 3 unlabelled" in start.continue_info.text()
    asked = []
    monkeypatch.setattr(dialogs, "ask_rearrange", lambda parent, folder, moves: asked.append(moves) or None)
    open_button(start).click()                                         # cancelled: nothing moved
    assert start.session is None and "3 loose image(s)" in asked[0] and len(list(legacy.glob("*.png"))) == 3
    monkeypatch.setattr(dialogs, "ask_rearrange", lambda parent, folder, moves: dialogs.REARRANGE)
    open_button(start).click()
    assert start.session.count("Healthy") == 2 and start.session.count(None) == 3


def test_a_raw_folder_offers_an_organised_copy_instead(tmp_path, dialog, qtbot, monkeypatch):
    from annotator.ui import dialogs

    raw = tmp_path / "raw"
    make_flat_folder(raw / "exp1" / "plateA", 2)
    make_flat_folder(raw / "exp2", 2)
    make_flat_folder(raw, 1)
    before = fingerprint(raw)
    start = dialog(output=raw)
    described(qtbot, start)
    monkeypatch.setattr(dialogs, "ask_rearrange", lambda parent, folder, moves: dialogs.COPY)
    open_button(start).click()
    assert start.session is None and start.tabs.currentIndex() == 0     # the New tab, filled in
    assert start.images_edit.text() == str(raw) and start.output_edit.text().endswith("raw_sorted")
    assert start.categories() == ["exp1", "exp2"] and start.from_sub_folders()
    open_button(start).click()
    assert start.session.count("exp1") == 2 and start.session.count("exp2") == 2
    assert fingerprint(raw) == before                                   # the raw folder: untouched


def test_continue_checks_a_typed_folder_after_a_pause_not_per_key(tmp_path, dialog, qtbot, monkeypatch):
    import annotator.ui.start_dialog as module

    calls = []
    real = module.describe_output_folder
    monkeypatch.setattr(module, "describe_output_folder", lambda folder: calls.append(folder) or real(folder))
    legacy = make_flat_folder(tmp_path / "d" / "Healthy", 2).parent
    start = dialog()
    start.tabs.setCurrentIndex(1)
    for end in range(1, len(str(legacy)) + 1):
        start.continue_edit.setText(str(legacy)[:end])                  # typed, key by key
    assert calls == [] and "Checking the folder" in start.problem.text()
    described(qtbot, start)
    assert calls == [str(legacy)] and open_button(start).isEnabled()


def test_continue_a_missing_folder(tmp_path, dialog):
    start = dialog()
    start.tabs.setCurrentIndex(1)
    start.continue_edit.setText(str(tmp_path / "missing"))
    start._describe_continue()
    assert not open_button(start).isEnabled() and "existing folder" in start.problem.text()


def test_tab_goes_through_every_category_name(image_folder, tmp_path, dialog):
    start = dialog(image_folder, tmp_path / "sorted")
    start.count.setValue(4)
    order, widget = [], start.images_edit
    for _ in range(12):
        order.append(widget)
        widget = widget.nextInFocusChain()
        while not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or widget.isHidden():
            widget = widget.nextInFocusChain()
    names = [order.index(edit) for edit in start.name_edits]
    assert names == sorted(names) and names == list(range(names[0], names[0] + 4))
    assert order.index(start.count) < names[0]


def test_images_can_start_in_their_sub_folder_s_category(image_folder, tmp_path, dialog):
    start = dialog(image_folder, tmp_path / "sorted")
    box = start.from_folders
    assert box.isEnabled() and box.isChecked()                      # the names are the sub-folders
    assert "15 images start in a category (plate1 5, plate2 10)" in start.from_folders_info.text()
    start.name_edits[1].setText("S")                                # not a sub-folder any more
    assert box.isEnabled() and not box.isChecked()
    start.name_edits[0].setText("G1")
    assert not box.isEnabled() and "No category is named like a sub-folder" in start.from_folders_info.text()
    start.name_edits[0].setText("plate1")
    start.name_edits[1].setText("plate2")
    assert box.isChecked()
    box.click()                                                     # the user's choice is kept
    start.name_edits[1].setText("Plate2")
    assert not box.isChecked() and start.from_folders_info.text() == ""
    box.click()
    open_button(start).click()
    session = start.session
    assert (session.count("plate1"), session.count("Plate2"), session.count(None)) == (5, 10, 0)


def test_a_folder_without_sub_folders_offers_no_assignment_from_them(flat_folder, tmp_path, dialog):
    start = dialog(flat_folder, tmp_path / "sorted", ["G1", "S"])
    assert not start.from_folders.isVisibleTo(start) and not start.from_sub_folders()
    open_button(start).click()
    assert start.session.count(None) == 12


def test_the_count_says_when_every_image_starts_in_a_category(tmp_path, dialog):
    source = tmp_path / "sorted_by_hand"
    make_flat_folder(source / "G1", 3)
    make_flat_folder(source / "S", 2)
    start = dialog(source, tmp_path / "out")
    assert start.from_folders.isChecked()
    assert start.from_folders_info.text() == "All 5 images start in a category (G1 3, S 2)."

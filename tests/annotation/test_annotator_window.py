"""The real main window, driven like a user would: keys, drag and drop, undo/redo, the category
panel, filters; the output folder is checked on disk after each step."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from annotator.ui import dialogs
from annotator.ui.category_panel import COUNT_ROLE, KEY_ROLE
from annotator.ui.image_model import ALL_IMAGES, ERROR_ROLE
from annotator_helpers import fingerprint, layout

pytestmark = pytest.mark.gui


def press(window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    from pytestqt.qtbot import QtBot
    QtBot.keyClick(window.grid, key, modifiers)


def current_name(window):
    row = window.current_row()
    return None if row is None else window.session.images[row].name


def drop_on_category(window, rows, value):
    """Drop images (session rows) on a row of the category panel, as a drag from the grid does."""
    window.select_rows(rows)
    mime = window.shown.mimeData(window.grid.selectionModel().selectedIndexes())
    view = window.categories.view
    point = view.visualRect(window.categories.model.index(window.categories.model.row_of(value))).center()
    action, buttons, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    try:                                                    # PySide6 >= 6.12 takes (and prefers) QPointF
        enter, move = (kind(point.toPointF(), action, mime, buttons, none) for kind in (QDragEnterEvent, QDragMoveEvent))
    except TypeError:
        enter, move = (kind(point, action, mime, buttons, none) for kind in (QDragEnterEvent, QDragMoveEvent))
    for event in (enter, move, QDropEvent(point.toPointF(), action, mime, buttons, none)):
        QApplication.sendEvent(view.viewport(), event)
    return event


def test_number_keys_assign_and_move_to_the_next_unlabelled(flat_folder, tmp_path, sessions, open_window, qtbot):
    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    qtbot.waitUntil(lambda: window.images.thumbnail(0) is not None)
    assert current_name(window) == "img_000.png"
    press(window, Qt.Key.Key_1)
    assert layout(out)["G1"] == {"img_000.png"} and current_name(window) == "img_001.png"
    press(window, Qt.Key.Key_2)
    assert layout(out)["S"] == {"img_001.png"} and current_name(window) == "img_002.png"
    window.select_rows([3, 4, 5])
    press(window, Qt.Key.Key_2)
    assert layout(out)["S"] == {"img_001.png", "img_003.png", "img_004.png", "img_005.png"}
    assert current_name(window) == "img_006.png"                  # the next unlabelled after the last
    window.select_rows([0])
    press(window, Qt.Key.Key_0)                                    # un-assign
    assert layout(out)["G1"] == set() and "img_000.png" in layout(out)["unlabelled"]
    assert window.progress_label.text() == "4 / 12 labelled"
    counts = [window.categories.model.index(row).data(COUNT_ROLE) for row in range(5)]
    assert counts == [12, 8, 0, 0, 4]                              # all, unlabelled, excluded, G1, S
    assert current_name(window) == "img_002.png"
    press(window, Qt.Key.Key_N)
    assert current_name(window) == "img_006.png"
    press(window, Qt.Key.Key_P)
    press(window, Qt.Key.Key_P)
    assert current_name(window) == "img_000.png"


def test_undo_and_redo_keys(flat_folder, tmp_path, sessions, open_window):
    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    press(window, Qt.Key.Key_1)
    press(window, Qt.Key.Key_1)
    assert layout(out)["G1"] == {"img_000.png", "img_001.png"}
    assert window.undo_action.text() == "Undo assign 1 image to 'G1'"
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert layout(out)["G1"] == {"img_000.png"} and current_name(window) == "img_001.png"
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert layout(out)["G1"] == set() and not window.undo_action.isEnabled()
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert layout(out)["G1"] == {"img_000.png"}
    press(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert layout(out)["G1"] == {"img_000.png", "img_001.png"} and window.progress_label.text() == "2 / 12 labelled"


def test_drag_and_drop_onto_a_category(flat_folder, tmp_path, sessions, open_window):
    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    assert window.grid.dragEnabled()
    drop = drop_on_category(window, [2, 3], "S")
    assert drop.isAccepted() and layout(out)["S"] == {"img_002.png", "img_003.png"}
    drop_on_category(window, [3], None)                            # onto Unlabelled: un-assign
    assert layout(out)["S"] == {"img_002.png"} and "img_003.png" in layout(out)["unlabelled"]
    assert not drop_on_category(window, [4], ALL_IMAGES).isAccepted()
    window.undo()
    assert layout(out)["S"] == {"img_002.png", "img_003.png"}


def test_buttons_and_context_menu_actions_assign(flat_folder, tmp_path, sessions, open_window):
    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    buttons = [action.text() for action in window.assign_bar.actions() if action.text()]
    assert buttons[:2] == ["1  G1", "2  S"] and "0  Unlabelled" in buttons
    window.select_rows([6])
    window.assign_actions[1].trigger()                              # what the button and the menu call
    assert layout(out)["S"] == {"img_006.png"}
    assert [a.text() for a in window.assign_menu.actions()] == ["1  G1", "2  S"]


def test_categories_add_rename_delete_from_the_panel(flat_folder, tmp_path, sessions, open_window, monkeypatch):
    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    panel = window.categories
    monkeypatch.setattr(dialogs, "ask_category_name", lambda *args, **kwargs: "Mitosis")
    panel.add_button.click()
    assert (out / "Mitosis").is_dir() and [a.text() for a in window.assign_actions][-1] == "3  Mitosis"
    window.select_rows([0, 1])
    press(window, Qt.Key.Key_3)
    assert layout(out)["Mitosis"] == {"img_000.png", "img_001.png"}
    panel.show_value("Mitosis")
    monkeypatch.setattr(dialogs, "ask_category_name", lambda *args, **kwargs: "M phase")
    panel.rename_button.click()
    assert "Mitosis" not in layout(out) and layout(out)["M phase"] == {"img_000.png", "img_001.png"}
    assert window.shown.shown == "M phase" and window.shown.rowCount() == 2
    questions = []
    monkeypatch.setattr(dialogs, "confirm", lambda parent, title, text: questions.append(text) or True)
    panel.delete_button.click()
    assert "Its 2 image(s) go back to Unlabelled" in questions[0]
    assert "M phase" not in layout(out) and {"img_000.png", "img_001.png"} <= layout(out)["unlabelled"]
    assert window.shown.shown == ALL_IMAGES and window.progress_label.text() == "0 / 12 labelled"
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert layout(out)["M phase"] == {"img_000.png", "img_001.png"}
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: errors.append(text))
    monkeypatch.setattr(dialogs, "ask_category_name", lambda *args, **kwargs: "g1")
    panel.add_button.click()                                       # refused: same as G1 ignoring case
    assert "already exists" in errors[0] and len(window.session.categories) == 3


def test_filter_by_category_and_assign_in_the_unlabelled_view(flat_folder, tmp_path, sessions, open_window):
    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    window.select_rows([0, 1, 2])
    press(window, Qt.Key.Key_1)
    window.categories.show_value("G1")
    assert window.shown.rowCount() == 3
    window.categories.show_value(None)
    assert window.shown.rowCount() == 9 and current_name(window) == "img_003.png"
    press(window, Qt.Key.Key_2)
    assert window.shown.rowCount() == 8 and current_name(window) == "img_004.png"
    assert layout(out)["S"] == {"img_003.png"}


def test_continue_a_session_in_a_new_window(image_folder, tmp_path, sessions, open_window, qtbot):
    out = tmp_path / "out"
    window = open_window(sessions.create(image_folder, out, ["G1", "S"]))
    press(window, Qt.Key.Key_2)
    press(window, Qt.Key.Key_1)
    window.close()
    again = open_window(sessions.open(out))
    assert again.progress_label.text() == "2 / 15 labelled"
    assert again.images.index(0).data(Qt.ItemDataRole.UserRole + 1) == "S"
    assert layout(out)["G1"] == {again.session.images[1].name}


def test_unreadable_images_show_the_reason_and_nothing_breaks(image_folder, tmp_path, sessions, open_window, qtbot):
    window = open_window(sessions.create(image_folder, tmp_path / "out", ["G1"]))
    broken = next(i for i, image in enumerate(window.session.images) if image.name == "broken.png")
    window.select_rows([broken])
    qtbot.waitUntil(lambda: window.images.index(broken).data(ERROR_ROLE) is not None)
    assert "Cannot be shown" in window.images.index(broken).data(Qt.ItemDataRole.ToolTipRole)
    qtbot.waitUntil(lambda: window.preview.info.text().startswith("Cannot be shown"))
    press(window, Qt.Key.Key_1)                                     # an unreadable file can still be sorted
    assert (tmp_path / "out" / "G1" / "broken.png").exists()


def test_a_whole_gui_session_leaves_the_image_folder_untouched(image_folder, tmp_path, sessions, open_window,
                                                                monkeypatch, qtbot):
    before = fingerprint(image_folder)
    out = tmp_path / "out"
    window = open_window(sessions.create(image_folder, out, ["G1", "S"]), prefetch=True)
    qtbot.waitUntil(lambda: window.loader.pending() == 0, timeout=20000)
    press(window, Qt.Key.Key_1)
    press(window, Qt.Key.Key_2)
    window.select_rows([4, 5, 6])
    press(window, Qt.Key.Key_1)
    drop_on_category(window, [7], "S")
    press(window, Qt.Key.Key_0)
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    press(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    monkeypatch.setattr(dialogs, "ask_category_name", lambda *args, **kwargs: "Prophase")
    window.categories.add_button.click()
    window.categories.show_value("S")
    monkeypatch.setattr(dialogs, "ask_category_name", lambda *args, **kwargs: "S phase")
    window.categories.rename_button.click()
    monkeypatch.setattr(dialogs, "confirm", lambda *args: True)
    window.categories.delete_button.click()
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    window.preview.view.zoom(2.0)
    window.close()
    again = open_window(sessions.open(out))
    press(again, Qt.Key.Key_3)
    again.close()
    assert fingerprint(image_folder) == before
    assert set(layout(out)) == {"G1", "S phase", "Prophase", "unlabelled"}


def test_the_category_panel_shows_each_number_key_and_a_rename_keeps_it(flat_folder, tmp_path, sessions,
                                                                         open_window):
    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["Zeta", "Beta", "Alpha"]))
    model = window.categories.model

    def rows():
        return [(model.label(row), model.index(row).data(KEY_ROLE)) for row in range(model.rowCount())]
    assert rows() == [("All images", ""), ("Unlabelled", "0"), ("Excluded / unsure", "X"), ("Zeta", "1"),
                      ("Beta", "2"), ("Alpha", "3")]
    window.session.rename_category("Zeta", "Omega")
    assert rows()[3] == ("Omega", "1")                              # same place, same key
    window.select_rows([0])
    press(window, Qt.Key.Key_1)
    assert layout(out)["Omega"] == {"img_000.png"}


def test_x_sets_images_aside_and_no_run_reads_them(flat_folder, tmp_path, sessions, open_window):
    from atlass_runtime.dataset import scan_dataset

    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    window.session.storage.wait_filled(30)
    window.select_rows([0, 1])
    press(window, Qt.Key.Key_X)
    assert layout(out)["excluded"] == {"img_000.png", "img_001.png"}
    assert window.progress_label.text() == "0 / 12 labelled" and window.session.count("excluded") == 2
    window.select_rows([2])
    press(window, Qt.Key.Key_1)
    dataset = scan_dataset(out)
    assert dataset.classes == ["G1", "S"] and len(dataset.unlabelled) == 9 and len(dataset.excluded) == 2
    window.close()
    again = sessions.open(out)
    assert again.count("excluded") == 2 and again.count("G1") == 1


def test_thumbnail_size_find_by_name_and_shuffled_order(flat_folder, tmp_path, sessions, open_window, qtbot):
    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    delegate = window.grid.itemDelegate()
    before = delegate.sizeHint(None, None).width()
    window.larger_action.trigger()
    assert delegate.sizeHint(None, None).width() > before
    window.smaller_action.trigger()
    window.smaller_action.trigger()
    assert delegate.sizeHint(None, None).width() < before

    window.select_rows([7])
    press(window, Qt.Key.Key_1)                                  # img_007 is in G1 now
    window.categories.show_value(None)                           # showing the unlabelled only
    window.view.find_edit.setText("007")
    window.view.find_next()
    assert current_name(window) == "img_007.png" and window.shown.rowCount() == 12   # all shown again
    window.view.find_edit.setText("nothing like it")
    window.view.find_next()
    assert "No file name contains" in window.statusBar().currentMessage()

    names = lambda: [window.session.images[window.shown.mapToSource(window.shown.index(r, 0)).row()].name
                     for r in range(window.shown.rowCount())]
    window.shuffle_action.trigger()
    shuffled = names()
    assert sorted(shuffled) == sorted(names()) and shuffled != sorted(shuffled)
    window.shuffle_action.trigger()
    assert names() == sorted(names())


def test_one_contrast_range_for_all_images_and_brightness(tmp_path, sessions, open_window, qtbot):
    """Two 16-bit images, one dim and one bright: on their own both look the same; with one
    range for all, the dim one is darker."""
    import numpy as np

    from annotator.display import DisplaySettings, shared_range
    from annotator_helpers import write_image

    rng = np.random.default_rng(0)
    source = tmp_path / "images"
    write_image(source / "dim.tif", rng.integers(200, 400, (16, 16), dtype=np.uint16))
    write_image(source / "bright.tif", rng.integers(1200, 1600, (16, 16), dtype=np.uint16))
    each = DisplaySettings()
    from atlass_runtime.imageio import read_image
    dim, bright = read_image(source / "dim.tif"), read_image(source / "bright.tif")
    assert abs(int(each.render(dim).mean()) - int(each.render(bright).mean())) < 20
    shared = DisplaySettings(shared=shared_range([source / "dim.tif", source / "bright.tif"]))
    assert shared.render(dim).mean() + 100 < shared.render(bright).mean()
    assert DisplaySettings(brightness=50).render(dim).mean() > each.render(dim).mean() + 30

    window = open_window(sessions.create(source, tmp_path / "out", ["A"]))
    window.shared_range_action.trigger()
    assert window.store.display.shared is not None and window.preview.display == window.store.display
    window.view.set_brightness_contrast(20, 1.5)
    qtbot.waitUntil(lambda: window.store.display.brightness == 20, timeout=3000)
    assert window.store.display.key() and window.store.display.contrast == 1.5


def test_export_labels_and_open_a_recent_session(flat_folder, tmp_path, sessions, open_window, qtbot, monkeypatch):
    import csv

    from annotator.label_export import export_labels
    from annotator.ui import session_switch

    out = tmp_path / "out"
    window = open_window(sessions.create(flat_folder, out, ["G1", "S"]))
    window.select_rows([0])
    press(window, Qt.Key.Key_2)
    rows = list(csv.DictReader(open(export_labels(window.session, tmp_path / "labels.csv"))))
    assert rows[0] == {"file": "S/img_000.png", "category": "S", "source": str(flat_folder / "img_000.png"),
                       "origin": "manual", "reviewed": ""}
    assert rows[1]["category"] == "unlabelled" and len(rows) == 12
    assert out in session_switch.recent_folders()

    other_source = tmp_path / "other_images"
    other_source.mkdir()
    (other_source / "a.png").write_bytes((flat_folder / "img_001.png").read_bytes())
    other = sessions.create(other_source, tmp_path / "other", ["A"])
    other.close()
    window.open_other(tmp_path / "other")
    new = session_switch.WINDOWS[-1]
    qtbot.addWidget(new)
    assert new.session.output == tmp_path / "other" and not window.isVisible()
    new.close()


@pytest.mark.parametrize("width", [1000, 800])
def test_a_narrow_window_keeps_three_columns_and_the_current_image_in_view(flat_folder, tmp_path, sessions,
                                                                          open_window, qtbot, width):
    window = open_window(sessions.create(flat_folder, tmp_path / "out", ["G1"]))
    window.select_rows([11])
    window.resize(width, 700)
    qtbot.wait(50)
    cell = window.grid.itemDelegate().sizeHint(None, None).width()
    assert window.grid.viewport().width() // cell >= 3
    categories, grid, preview = window.splitter.sizes()
    assert preview < 450 and grid > preview
    current = window.grid.visualRect(window.grid.currentIndex())
    assert window.grid.viewport().rect().intersects(current)

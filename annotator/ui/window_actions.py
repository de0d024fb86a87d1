"""The main window's actions, menus and toolbars: every command the annotator offers, with its
keys and its tip, in one place (the window itself only says what each command does)."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel

from atlass_runtime.dataset import EXCLUDED

SHORTCUTS_HELP = """<table>
<tr><td><b>1</b> … <b>9</b></td><td>assign the selected images to category 1…9, then go to the next unlabelled image</td></tr>
<tr><td><b>0</b>, <b>Backspace</b></td><td>un-assign (back to Unlabelled)</td></tr>
<tr><td><b>X</b></td><td>set aside as Excluded / unsure (no run reads it)</td></tr>
<tr><td><b>N</b> / <b>P</b></td><td>next / previous unlabelled image</td></tr>
<tr><td>arrows, <b>Shift</b>/<b>Ctrl</b>+click, <b>Ctrl+A</b></td><td>move, select several, select all</td></tr>
<tr><td><b>Ctrl+Z</b> / <b>Ctrl+Shift+Z</b>, <b>Ctrl+Y</b></td><td>undo / redo</td></tr>
<tr><td><b>Ctrl+Shift+N</b>, <b>F2</b></td><td>add a category, rename the selected one</td></tr>
<tr><td><b>Ctrl +</b> / <b>Ctrl -</b> / <b>Ctrl+0</b> / <b>Ctrl+1</b></td><td>zoom in / out / fit / 1:1</td></tr>
<tr><td><b>Ctrl+]</b> / <b>Ctrl+[</b></td><td>larger / smaller thumbnails</td></tr>
<tr><td><b>Ctrl+F</b>, then <b>Enter</b></td><td>find a file by name, then the next match</td></tr>
<tr><td><b>Ctrl+B</b></td><td>brightness and contrast (display only)</td></tr>
<tr><td><b>Ctrl+O</b></td><td>open another session or dataset</td></tr>
<tr><td><b>Ctrl+T</b>, <b>Ctrl+R</b></td><td>Train…, review a run's pseudo-labels</td></tr>
<tr><td colspan="2"><b>Reviewing a run's pseudo-labels</b></td></tr>
<tr><td><b>Enter</b>, <b>A</b></td><td>accept the suggested category</td></tr>
<tr><td><b>1</b> … <b>9</b></td><td>correct: put the image in that category instead</td></tr>
<tr><td><b>R</b>, <b>Delete</b>, <b>0</b></td><td>reject: the image stays unlabelled</td></tr></table>"""



def make_action(window, text, slot, shortcuts=(), tip="") -> QAction:
    """An action of the window: the platform's standard keys, then ours, once each; its tip
    names its keys."""
    qaction = QAction(text, window)
    sequences = {}                           # the platform's standard keys, then ours, once each
    for shortcut in shortcuts:
        found = (QKeySequence.keyBindings(shortcut) if isinstance(shortcut, QKeySequence.StandardKey)
                 else [QKeySequence(shortcut)])
        sequences.update((sequence.toString(), sequence) for sequence in found)
    qaction.setShortcuts(list(sequences.values()))
    keys = ", ".join(sequences)
    qaction.setToolTip(f"{tip or text} ({keys})" if keys else tip or text)
    qaction.triggered.connect(slot)
    window.addAction(qaction)
    return qaction


def build_actions(window) -> None:
    """Every action, as an attribute of the window (`window.undo_action`, ...)."""
    window.undo_action = make_action(window, "Undo", window.undo, [QKeySequence.StandardKey.Undo])
    window.redo_action = make_action(window, "Redo", window.redo, [QKeySequence.StandardKey.Redo, "Ctrl+Shift+Z", "Ctrl+Y"])
    window.next_action = make_action(window, "Next unlabelled", lambda: window.go_to_unlabelled(False), ["N"])
    window.previous_action = make_action(window, "Previous unlabelled", lambda: window.go_to_unlabelled(True), ["P"])
    window.unassign_action = make_action(window, "0  Unlabelled", lambda: window.assign_selection(None), ["0", "Backspace"],
                                         "Un-assign the selected images")
    window.exclude_action = make_action(window, "X  Excluded / unsure", lambda: window.assign_selection(EXCLUDED), ["X"],
                                        "Set the selected images aside: unsure or unusable, never read by a run")
    window.add_category_action = make_action(window, "Add category…", window.categories.add_category, ["Ctrl+Shift+N"])
    window.rename_category_action = make_action(window, "Rename category…", window.categories.rename_category, ["F2"])
    window.delete_category_action = make_action(window, "Delete category…", window.categories.delete_category)
    window.train_action = make_action(window, "Train…", window.train, ["Ctrl+T"],
                                      "Write a training project (notebook + dataset) for this dataset")
    window.zoom_actions = [
        make_action(window, "Zoom in", lambda: window.preview.view.zoom(1.25), ["Ctrl++", "Ctrl+="]),
        make_action(window, "Zoom out", lambda: window.preview.view.zoom(1 / 1.25), ["Ctrl+-"]),
        make_action(window, "Fit", window.preview.view.fit, ["Ctrl+0"]),
        make_action(window, "Actual size", window.preview.view.actual_size, ["Ctrl+1"])]
    window.close_action = make_action(window, "Close", window.close, [QKeySequence.StandardKey.Quit])
    window.open_action = make_action(window, "Open…", window.open_other, [QKeySequence.StandardKey.Open],
                                     "Open another session or dataset (this one is saved and closed)")
    window.export_action = make_action(window, "Export labels to CSV…", window.export_labels, [],
                                       "One row per image: file, category, source, where the label came from")
    window.larger_action = make_action(window, "Larger thumbnails", lambda: window.view.resize_thumbnails(1), ["Ctrl+]"])
    window.smaller_action = make_action(window, "Smaller thumbnails", lambda: window.view.resize_thumbnails(-1), ["Ctrl+["])
    window.shuffle_action = make_action(window, "Shuffled order", lambda: window.view.set_shuffled(window.shuffle_action.isChecked()),
                                        tip="Show the images in a random order (name order biases labelling)")
    window.shuffle_action.setCheckable(True)
    window.find_action = make_action(window, "Find a file…", lambda: window.view.focus_find(), [QKeySequence.StandardKey.Find])
    window.shared_range_action = make_action(
        window, "Same contrast range for all images", lambda: window.view.set_shared_range(window.shared_range_action.isChecked()),
        tip="Show every image with one intensity range, so that intensities can be compared (default: each "
            "image auto-contrasted on its own)")
    window.shared_range_action.setCheckable(True)
    window.adjust_action = make_action(window, "Brightness and contrast…", lambda: window.view.open_adjustments(), ["Ctrl+B"])
    window.review_action = make_action(window, "Review a run's pseudo-labels…", window.reviewing.choose_run, ["Ctrl+R"],
                                       "Open a finished run (its results.json or results zip) and review "
                                       "the labels it suggested")
    window.accept_action = make_action(window, "Accept suggestion", window.reviewing.accept, ["Return", "Enter", "A"])
    window.reject_action = make_action(window, "Reject suggestion", window.reviewing.reject, ["R", "Delete"])
    window.assign_actions = []
    rebuild_assign_actions(window)


def build_menus_and_toolbar(window) -> None:
    """The menu bar (Edit, View, Categories, Session, Help) and the main toolbar."""
    edit = window.menuBar().addMenu("&Edit")
    for action in (window.undo_action, window.redo_action):
        edit.addAction(action)
    edit.addSeparator()
    window.assign_menu = edit.addMenu("Assign to")
    edit.addAction(window.unassign_action)
    edit.addAction(window.exclude_action)
    view = window.menuBar().addMenu("&View")
    for action in (window.next_action, window.previous_action, window.find_action, None, window.larger_action,
                   window.smaller_action, window.shuffle_action, None, window.shared_range_action, window.adjust_action,
                   None, *window.zoom_actions):
        view.addSeparator() if action is None else view.addAction(action)
    categories = window.menuBar().addMenu("&Categories")
    for action in (window.add_category_action, window.rename_category_action, window.delete_category_action):
        categories.addAction(action)
    session_menu = window.menuBar().addMenu("&Session")
    session_menu.addAction(window.open_action)
    window.recent_menu = session_menu.addMenu("Open recent")
    window.recent_menu.aboutToShow.connect(window.fill_recent)
    session_menu.addSeparator()
    session_menu.addAction(window.review_action)
    session_menu.addAction(window.export_action)
    session_menu.addAction(window.train_action)
    session_menu.addAction(window.close_action)
    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction(make_action(window, "Keyboard shortcuts", window.show_shortcuts, ["F1"]))
    fill_assign_menu(window)

    toolbar = window.addToolBar("Main")
    toolbar.setMovable(False)
    for action in (window.undo_action, window.redo_action, None, window.previous_action, window.next_action, None,
                   window.add_category_action, None, window.train_action, None):
        toolbar.addSeparator() if action is None else toolbar.addAction(action)
    toolbar.addWidget(window.view.find_edit)


def rebuild_assign_actions(window) -> None:
    """One action per category (keys 1-9 for the first nine) and the Assign bar that shows them."""
    for action in window.assign_actions:
        window.removeAction(action)
        action.deleteLater()
    window.assign_actions = []
    for position, name in enumerate(window.session.categories):
        key = [str(position + 1)] if position < 9 else []
        label = f"{position + 1}  {name}" if key else name
        window.assign_actions.append(make_action(window, label, lambda _=False, c=name: window.assign_selection(c), key,
                                                 f"Assign the selected images to {name!r}"))
    window.assign_bar.clear()
    window.assign_bar.addWidget(QLabel(" Assign: "))
    for action in window.assign_actions:
        window.assign_bar.addAction(action)
    window.assign_bar.addSeparator()
    window.assign_bar.addAction(window.unassign_action)
    window.assign_bar.addAction(window.exclude_action)


def fill_assign_menu(window) -> None:
    window.assign_menu.clear()
    for action in window.assign_actions:
        window.assign_menu.addAction(action)

"""Review mode in the real window (pytest-qt, offscreen): the keys, what the grid shows, the
files on disk; and `atlass annotate --review` opening on a dataset and run it has never seen."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import Qt

from annotator_helpers import layout, make_flat_folder, write_run

pytestmark = pytest.mark.gui
PSEUDO = [("img_000.png", "G1", 0.95), ("img_001.png", "G1", 0.81), ("img_002.png", "S", 0.70),
          ("img_003.png", "S", 0.99)]
UNCERTAIN = [("img_004.png", "G1", 0.30), ("img_005.png", "S", 0.05), ("img_006.png", "G1", 0.10)]


@pytest.fixture
def reviewing(tmp_path, sessions, open_window):
    source = make_flat_folder(tmp_path / "images", 10)
    session = sessions.create(source, tmp_path / "dataset", ["G1", "S"])
    session.storage.wait_filled(30)
    window = open_window(session)
    assert window.reviewing.start(write_run(tmp_path / "run", PSEUDO, UNCERTAIN, spreading={"img_001.png": "S"}))
    return window


def shown_names(window) -> list[str]:
    return [window.session.images[window.shown.mapToSource(window.shown.index(r, 0)).row()].name
            for r in range(window.shown.rowCount())]


def current_name(window) -> str:
    return window.session.images[window.current_row()].name


def test_pseudo_labels_are_shown_by_category_least_confident_first_with_their_suggestion(reviewing):
    assert shown_names(reviewing) == ["img_001.png", "img_000.png", "img_002.png", "img_003.png"]
    assert current_name(reviewing) == "img_001.png"
    index = reviewing.shown.index(0, 0)
    assert reviewing._cell(index)[0] == "img_001.png" and reviewing._cell(index)[4] == "G1? 81%"
    assert "4 left" in reviewing.reviewing.bar.label.text()
    assert "suggested G1 (81%, runner-up S, margin 0.62, round 1, label spreading says S)" in reviewing.preview.info.text()


def test_enter_accepts_a_number_corrects_r_rejects_and_files_follow(reviewing, qtbot):
    qtbot.keyClick(reviewing.grid, Qt.Key.Key_Return)                 # img_001 -> G1 (accepted)
    assert current_name(reviewing) == "img_000.png"                   # the next one, in its place
    qtbot.keyClick(reviewing.grid, Qt.Key.Key_2)                      # img_000 -> S (corrected)
    qtbot.keyClick(reviewing.grid, Qt.Key.Key_R)                      # img_002 stays unlabelled
    disk = layout(reviewing.session.output)
    assert disk["G1"] == {"img_001.png"} and disk["S"] == {"img_000.png"} and "img_002.png" in disk["unlabelled"]
    assert shown_names(reviewing) == ["img_003.png"]
    assert "1 accepted, 1 corrected, 1 rejected" in reviewing.reviewing.bar.label.text()
    qtbot.keyClick(reviewing.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)     # undo the reject
    assert "img_002.png" in shown_names(reviewing) and current_name(reviewing) == "img_002.png"


def test_accept_all_above_and_the_suggested_next(reviewing, qtbot):
    reviewing.reviewing.bar.percent.setValue(90)
    reviewing.reviewing.bar.above.click()
    assert shown_names(reviewing) == ["img_001.png", "img_002.png"]
    assert layout(reviewing.session.output)["G1"] == {"img_000.png"}
    reviewing.reviewing.bar.next.click()
    assert shown_names(reviewing) == ["img_006.png", "img_005.png", "img_004.png"]
    qtbot.keyClick(reviewing.grid, Qt.Key.Key_1)                      # the usual labelling flow
    assert "img_006.png" in layout(reviewing.session.output)["G1"]
    assert shown_names(reviewing) == ["img_004.png", "img_005.png"] and current_name(reviewing) == "img_004.png"


def test_the_command_line_opens_review_on_an_unseen_dataset_and_stays_up(tmp_path):
    source = make_flat_folder(tmp_path / "images", 6)
    dataset = tmp_path / "dataset"
    for name in ("G1", "S"):
        (dataset / name).mkdir(parents=True)
    (dataset / "unlabelled").mkdir()
    for path in sorted(source.iterdir()):
        (dataset / "unlabelled" / path.name).write_bytes(path.read_bytes())
    run = write_run(tmp_path / "run", PSEUDO[:2])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen([sys.executable, "-m", "atlass_cli.main", "annotate", "--output", str(dataset),
                                "--review", str(run)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    try:
        time.sleep(12)
        assert process.poll() is None, process.communicate()
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert "Traceback" not in err, err
    help_text = subprocess.run([sys.executable, "-m", "atlass_cli.main", "annotate", "--help"],
                               capture_output=True, text=True).stdout
    assert "--review RUN" in help_text

"""Reviewing a run's pseudo-labels without any widget: matching the run to the dataset, accept /
correct / reject, undo/redo, saving across a killed process, a mismatched run, label next."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile

import pytest

from annotator.manifest import read_manifest
from annotator.review import ACCEPTED, CORRECTED, REJECTED, ReviewState, review_counts
from annotator.run_suggestions import RunError, read_run
from helpers import child_env
from annotator_helpers import layout, make_flat_folder, write_run

from annotator_helpers import RUN_CLASSES as CLASSES


@pytest.fixture
def session(tmp_path, sessions):
    source = make_flat_folder(tmp_path / "images", 12)
    made = sessions.create(source, tmp_path / "dataset", CLASSES)
    made.storage.wait_filled(30)
    return made


PSEUDO = [("img_000.png", "G1", 0.95), ("img_001.png", "G1", 0.81), ("img_002.png", "S", 0.70),
          ("img_003.png", "S", 0.99)]


def test_pending_pseudo_labels_are_grouped_by_category_least_confident_first(session, tmp_path):
    state = ReviewState(session, read_run(write_run(tmp_path / "run", PSEUDO)))
    order = [(item.suggestion.name, item.suggestion.label) for item in state.pending()]
    assert order == [("img_001.png", "G1"), ("img_000.png", "G1"), ("img_002.png", "S"), ("img_003.png", "S")]
    first = state.pending()[0].suggestion
    assert first.margin == pytest.approx(0.62) and first.runner_up == "S" and first.round == 1


def test_label_spreading_s_second_opinion_is_read_and_said(session, tmp_path):
    run = read_run(write_run(tmp_path / "run", PSEUDO, spreading={"img_000.png": "G1", "img_001.png": "S"}))
    state = ReviewState(session, run)
    said = {item.suggestion.name: state.second_opinion(item.suggestion) for item in state.items}
    assert said == {"img_000.png": "label spreading agrees", "img_001.png": "label spreading says S",
                    "img_002.png": "", "img_003.png": ""}


def test_accept_correct_reject_move_files_and_are_recorded_as_reviews(session, tmp_path):
    state = ReviewState(session, read_run(write_run(tmp_path / "run", PSEUDO)))
    rows = {item.suggestion.name: item.index for item in state.items}
    state.accept([rows["img_000.png"]])
    state.correct([rows["img_002.png"]], "G1")
    state.reject([rows["img_003.png"]])
    disk = layout(session.output)
    assert disk["G1"] == {"img_000.png", "img_002.png"} and "img_003.png" in disk["unlabelled"]
    assert state.counts() == {ACCEPTED: 1, CORRECTED: 1, REJECTED: 1, "pending": 1}
    session.flush()
    manifest = read_manifest(session.output)
    assert review_counts(manifest) == {ACCEPTED: 1, CORRECTED: 1, REJECTED: 1}
    record = next(e.review for e in manifest.images if e.name == "img_002.png")
    assert record["suggested"] == "S" and record["decision"] == CORRECTED and record["run"].startswith("run@")


def test_undo_and_redo_a_decision(session, tmp_path):
    state = ReviewState(session, read_run(write_run(tmp_path / "run", PSEUDO)))
    row = state.pending()[0].index
    state.accept([row])
    assert session.images[row].category == "G1" and len(state.pending()) == 3
    session.undo()
    assert session.images[row].category is None and session.images[row].review is None
    assert len(state.pending()) == 4
    session.redo()
    assert session.images[row].review["decision"] == ACCEPTED


def test_accept_all_remaining_above_a_confidence(session, tmp_path):
    state = ReviewState(session, read_run(write_run(tmp_path / "run", PSEUDO)))
    state.accept_above(90)
    assert {session.images[i.index].name for i in state.reviewed()} == {"img_000.png", "img_003.png"}
    assert [i.suggestion.name for i in state.pending()] == ["img_001.png", "img_002.png"]


def test_a_run_of_another_dataset_or_changed_files_are_refused_or_skipped(session, tmp_path):
    with pytest.raises(RunError, match="another dataset.*missing here: M"):
        ReviewState(session, read_run(write_run(tmp_path / "other", PSEUDO, classes=["G1", "M"])))
    session.assign([next(i for i, im in enumerate(session.images) if im.name == "img_001.png")], "S")
    pseudo = PSEUDO + [("gone.png", "S", 0.9)]
    state = ReviewState(session, read_run(write_run(tmp_path / "run", pseudo, sizes={"img_000.png": 1})))
    why = dict(state.skipped)
    assert "already labelled 'S'" in why["unlabelled/img_001.png"]
    assert "no longer in this dataset" in why["unlabelled/gone.png"]
    assert "changed since the run" in why["unlabelled/img_000.png"]
    assert [i.suggestion.name for i in state.pending()] == ["img_002.png", "img_003.png"]
    with pytest.raises(RunError, match="not the output folder of a finished run"):
        read_run(tmp_path)


def test_a_results_zip_is_read_like_its_folder(session, tmp_path):
    folder = write_run(tmp_path / "atlass_output", PSEUDO)
    archive = tmp_path / "atlass_output_results.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in folder.rglob("*"):
            if path.is_file():
                handle.write(path, f"atlass_output/{path.relative_to(folder).as_posix()}")
    state = ReviewState(session, read_run(archive))
    assert len(state.pending()) == 4


def test_suggested_next_takes_the_least_sure_in_turn_from_each_category(session, tmp_path):
    uncertain = [("img_004.png", "G1", 0.30), ("img_005.png", "G1", 0.05), ("img_006.png", "G1", 0.10),
                 ("img_007.png", "S", 0.40), ("img_008.png", "S", 0.20)]
    state = ReviewState(session, read_run(write_run(tmp_path / "run", PSEUDO, uncertain)))
    names = [session.images[i].name for i in state.suggested_next(4)]
    assert names == ["img_005.png", "img_008.png", "img_006.png", "img_007.png"]
    session.assign([state.suggested_next(1)[0]], "G1")        # labelled: no longer suggested
    assert session.images[state.suggested_next(1)[0]].name == "img_006.png"     # G1's next


KILLED = """
import sys
from annotator import Session
from annotator.review import ReviewState
from annotator.run_suggestions import read_run
session = Session.open({dataset!r})
state = ReviewState(session, read_run({run!r}))
state.accept([state.pending()[0].index])
state.reject([state.pending()[0].index])
print("decided", flush=True)
sys.stdin.read()
"""


def test_decisions_survive_a_killed_process(session, tmp_path):
    run = write_run(tmp_path / "run", PSEUDO)
    session.close()
    process = subprocess.Popen([sys.executable, "-c", KILLED.format(dataset=str(session.output), run=str(run))],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env())
    assert process.stdout.readline().strip() == "decided"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    manifest = read_manifest(session.output)
    assert review_counts(manifest) == {ACCEPTED: 1, REJECTED: 1}
    assert "img_001.png" in layout(session.output)["G1"]

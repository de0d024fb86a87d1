"""From a finished run on real images to a reviewed dataset, and the next run (slow): `atlass
train` on the shared 16-bit Jurkat TIFFs, its pseudo-labels reviewed in the annotator's core,
then the same command trains anew on the reviewed dataset, beside the first run."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from annotator import Session
from annotator.manifest import read_manifest
from annotator.review import ReviewState, review_counts
from annotator.run_suggestions import read_run
from annotator_helpers import SHARED_DATA, layout

pytestmark = pytest.mark.slow


def test_a_real_run_is_reviewed_into_manual_labels_and_trains_again(tmp_path):
    source = SHARED_DATA / "jurkat-cellcycle-16bit-tiff"
    if not source.is_dir():
        pytest.skip(f"{source} is not available")
    dataset = tmp_path / "jurkat"
    (dataset / "unlabelled").mkdir(parents=True)
    for phase in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(phase.glob("*.tif"))
        (dataset / phase.name).mkdir()
        for f in files[:12]:
            shutil.copy(f, dataset / phase.name / f.name)
        for f in files[12:20]:
            shutil.copy(f, dataset / "unlabelled" / f.name)
    command = [sys.executable, "-m", "atlass_cli.main", "train", str(dataset), "-o", str(tmp_path / "run"),
               "--process", "DD", "--networks", "EfficientNet-Lite0", "--transforms", "H Flip", "--recipe", "quick",
               "--no-class-balance", "--size", "32"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]

    session = Session.open(dataset)
    try:
        state = ReviewState(session, read_run(tmp_path / "run"))
        assert len(state.pending()) == 32 and not state.skipped             # DD labels every one
        least_sure = state.pending()[0]
        state.correct([least_sure.index], "G1")
        state.accept_above(0)
        assert state.pending() == [] and sum(len(v) for k, v in layout(dataset).items() if k != "unlabelled") == 80
    finally:
        session.close()
    assert review_counts(read_manifest(dataset))["accepted"] >= 30

    again = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-2000:]
    results = json.loads((tmp_path / "run-2" / "results.json").read_text())
    assert results["dataset"]["unlabelled"] == 0 and sum(results["dataset"]["labelled_per_class"].values()) == 80
    assert (tmp_path / "run" / "results.json").is_file()                  # the first run is kept

"""`atlass train` and `atlass predict` for real: fastai on the CPU, real microscopy images,
a SIGKILL in the middle, and a dataset full of awkward files. Minutes, not seconds."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from helpers import make_awkward_dataset, shared_dataset

pytestmark = pytest.mark.slow
TINY = ["--no-pretrained", "--size", "32", "--epochs", "1,2", "--batch-size", "16"]


def atlass(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "atlass_cli.main", *map(str, args)],
                          capture_output=True, text=True, **kwargs)


def jurkat_subset(tmp_path, labelled_per_class=12, unlabelled_per_class=10) -> Path:
    """Real 16-bit TIFFs of 4 cell-cycle phases: a few labelled, the rest of a slice unlabelled."""
    source = shared_dataset("jurkat-cellcycle-16bit-tiff")
    root = tmp_path / "jurkat"
    (root / "unlabelled").mkdir(parents=True)
    for phase in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(phase.glob("*.tif"))
        (root / phase.name).mkdir()
        for f in files[:labelled_per_class]:
            shutil.copy(f, root / phase.name / f.name)
        for f in files[labelled_per_class:labelled_per_class + unlabelled_per_class]:
            shutil.copy(f, root / "unlabelled" / f.name)
    return root


def test_train_imdd_on_real_images_then_predict_a_folder(tmp_path):
    dataset = jurkat_subset(tmp_path)
    out = tmp_path / "run"
    started = time.perf_counter()
    done = atlass("train", dataset, "-o", out, "--process", "IMDD", "--networks", "ResNet18",
                  "--transforms", "H Flip,V Flip", "--max-rounds", "2", *TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["process"] == "IMDD"
    assert results["dataset"]["labelled_per_class"] == {"G1": 12, "Metaphase": 12, "Prophase": 12, "S_phase": 12}
    test = results["selected"]["test"]
    assert test["n_images"] == 4 * 3 and 0.0 <= test["accuracy"] <= 1.0
    assert len(test["confusion_matrix"]) == 4 and set(test["per_class"]) == {"G1", "Metaphase", "Prophase", "S_phase"}
    with open(out / "pseudo_labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == results["pseudo_labels"]["total"]
    assert all(float(r["confidence"]) > 0.8 for r in rows)
    for name in ("model.pkl", "model.onnx", "model.json"):
        assert (out / "model" / name).is_file()
    assert "Chosen: ResNet18" in done.stdout
    print(f"e2e IMDD train: {time.perf_counter() - started:.1f} s, test accuracy {test['accuracy']:.3f}")

    predictions = tmp_path / "predictions.csv"
    done = atlass("predict", out / "model", dataset / "unlabelled", "-o", predictions)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(predictions, newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 40
    assert {r["label"] for r in table} <= {"G1", "Metaphase", "Prophase", "S_phase"}
    assert all(abs(sum(float(r[f"p_{c}"]) for c in ("G1", "Metaphase", "Prophase", "S_phase")) - 1) < 1e-3
               for r in table)


def test_sigkill_in_round_two_then_resume_trains_no_more_models(tmp_path):
    dataset = jurkat_subset(tmp_path, labelled_per_class=8, unlabelled_per_class=12)
    common = ["--process", "IDD", "--networks", "ResNet18", "--transforms", "V Flip", *TINY]
    # Pick a threshold that accepts about half of round 1, so that a round 2 surely happens.
    probe = atlass("train", dataset, "-o", tmp_path / "probe", *common, "--threshold", "0", "--max-rounds", "1")
    assert probe.returncode == 0, probe.stderr[-3000:]
    with open(tmp_path / "probe" / "rounds" / "round-1_votes.csv", newline="") as f:
        confidences = sorted(float(r["confidence"]) for r in csv.DictReader(f))
    threshold = confidences[len(confidences) // 2]
    args = [*common, "--threshold", str(threshold), "--max-rounds", "3"]

    reference = atlass("train", dataset, "-o", tmp_path / "whole", *args)
    assert reference.returncode == 0, reference.stderr[-3000:]
    whole = json.loads((tmp_path / "whole" / "results.json").read_text())
    assert len(whole["rounds"]) >= 2, "the reference run must reach round 2 for this test to mean anything"

    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "atlass_cli.main", "train", str(dataset), "-o", str(out), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "round-2: training" in line:
            time.sleep(1.0)                      # well inside the training of round 2
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    state = json.loads((out / "run_state.json").read_text())
    assert [r["round"] for r in state["rounds"]] == [1]
    assert not (out / "results.json").exists()

    resumed = atlass("train", dataset, "-o", out, *args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming the run" in resumed.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["models_trained"] == whole["models_trained"]
    assert results["resumed"] is True
    stages = [(t["stage"], t["network"]) for t in results["trained_models"]]
    assert len(stages) == len(set(stages))           # nothing trained twice


def test_awkward_files_are_skipped_with_a_warning_naming_exactly_them(tmp_path):
    root = tmp_path / "awkward"
    bad = make_awkward_dataset(root)
    rng = np.random.default_rng(1)
    for cls in ("A", "B"):                      # enough readable images to split each class
        for i in range(4):
            cv2.imwrite(str(root / cls / f"extra_{i}.png"), rng.integers(0, 255, (20, 20, 3), dtype=np.uint8))
    done = atlass("train", root, "-o", tmp_path / "run", "--process", "ND", "--networks", "ResNet18", *TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    warning = done.stderr[done.stderr.index("Warning:"):]
    listed = {line.strip().split(":")[0].rsplit("/", 1)[-1] for line in warning.splitlines()[1:] if line.startswith("  ")}
    assert listed == bad
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert {Path(s["file"]).name for s in results["dataset"]["skipped"]} == bad
    assert results["dataset"]["labelled_per_class"] == {"A": 5, "B": 7}

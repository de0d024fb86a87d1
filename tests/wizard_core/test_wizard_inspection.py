"""Dataset inspection: counts, unlabelled, unreadable files, and the warnings a user must see."""
from __future__ import annotations


import shutil

import numpy as np
import pytest
from wizard_helpers import random_image, write_image

from atlass_runtime import RunConfig
from atlass_runtime.errors import DatasetError
from atlass_project import ExportCancelled, inspect_dataset


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def make(root, counts: dict[str, int], rng, unlabelled: int = 0):
    for name, count in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            write_image(root / name / f"{name}_{i}.png", random_image(rng))
    for i in range(unlabelled):
        write_image(root / "unlabelled" / f"u_{i}.png", random_image(rng))
    return root


def codes(report):
    return {f.code for f in report.findings}


def test_a_clean_dataset_has_counts_and_no_findings(tmp_path, rng):
    root = make(tmp_path / "d", {"a": 25, "b": 30}, rng, unlabelled=7)
    report = inspect_dataset(root)
    assert report.classes == ["a", "b"] and report.counts == {"a": 25, "b": 30}
    assert report.unlabelled == 7 and report.has_unlabelled and report.labelled == 55
    assert report.bit_depths == {"8-bit": 62} and report.colours == {"colour": 62}
    assert report.findings == [] and report.blocking == []
    assert report.check(RunConfig(process="IDD")) == []
    assert "a" in report.summary() and "7 unlabelled" in report.summary()
    assert report.to_dict()["counts"] == {"a": 25, "b": 30}


def test_few_images_imbalance_and_empty_categories(tmp_path, rng):
    root = make(tmp_path / "d", {"big": 60, "small": 6, "none": 0}, rng)
    report = inspect_dataset(root)
    found = {f.code: f for f in report.findings}
    assert set(found) == {"few_images", "imbalance", "empty_category"}
    assert "'small' (6)" in found["few_images"].message and "big" not in found["few_images"].message
    assert "'big' has 60" in found["imbalance"].message and "'small' only 6" in found["imbalance"].message
    assert found["empty_category"].blocking and "'none'" in found["empty_category"].message
    assert not found["few_images"].blocking and not found["imbalance"].blocking


def test_a_single_category_blocks(tmp_path, rng):
    report = inspect_dataset(make(tmp_path / "d", {"cells": 30}, rng, unlabelled=5))
    (finding,) = report.blocking
    assert finding.code == "one_category" and "'cells'" in finding.message


def test_balanced_enough_is_not_imbalance(tmp_path, rng):
    report = inspect_dataset(make(tmp_path / "d", {"a": 40, "b": 21}, rng))
    assert "imbalance" not in codes(report)


def test_unreadable_and_non_image_files(tmp_path, rng):
    root = make(tmp_path / "d", {"a": 22, "b": 22}, rng, unlabelled=2)
    (root / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (root / "unlabelled" / "empty.jpg").write_bytes(b"")
    (root / "b" / "notes.txt").write_text("hello")
    report = inspect_dataset(root)
    assert sorted(report.relative(p) for p, _ in report.unreadable) == ["a/broken.png", "unlabelled/empty.jpg"]
    assert [report.relative(p) for p, _ in report.not_images] == ["b/notes.txt"]
    assert report.counts == {"a": 22, "b": 22} and report.unlabelled == 2   # readable ones only
    found = {f.code: f.message for f in report.findings}
    assert "a/broken.png" in found["unreadable"] and "b/notes.txt" in found["not_images"]


def test_duplicates_within_and_across_categories(tmp_path, rng):
    root = make(tmp_path / "d", {"a": 22, "b": 22}, rng, unlabelled=3)
    shutil.copy(root / "a" / "a_0.png", root / "b" / "copy_of_a0.png")        # two labels: conflict
    shutil.copy(root / "a" / "a_1.png", root / "a" / "again_a1.png")          # same label: duplicate
    report = inspect_dataset(root)
    found = {f.code: f.message for f in report.findings}
    assert "a/a_0.png = b/copy_of_a0.png" in found["conflicting_duplicates"]
    assert "a/a_1.png = a/again_a1.png" in found["duplicates"] or "a/again_a1.png = a/a_1.png" in found["duplicates"]
    assert len(report.duplicates) == 2


def test_mixed_bit_depths_and_colour(tmp_path, rng):
    root = make(tmp_path / "d", {"a": 21, "b": 21}, rng)
    write_image(root / "b" / "deep.tif", rng.integers(0, 4000, (12, 12), dtype=np.uint16))
    report = inspect_dataset(root)
    assert report.bit_depths == {"8-bit": 42, "16-bit": 1}
    assert report.colours == {"colour": 42, "grey": 1}
    assert {"mixed_bit_depths", "mixed_colour"} <= codes(report)


def test_checks_that_depend_on_the_settings(tmp_path, rng):
    report = inspect_dataset(make(tmp_path / "d", {"a": 22, "b": 2}, rng))
    found = {f.code: f for f in report.check(RunConfig(process="IDD"))}
    assert found["too_few_to_split"].blocking and "'b' (2)" in found["too_few_to_split"].message
    assert "no_unlabelled" in found and not found["no_unlabelled"].blocking
    with_unlabelled = inspect_dataset(make(tmp_path / "e", {"a": 22, "b": 22}, rng, unlabelled=4))
    assert "unlabelled_ignored" in {f.code for f in with_unlabelled.check(RunConfig(process="ND"))}


def test_progress_and_cancel(tmp_path, rng):
    root = make(tmp_path / "d", {"a": 70, "b": 70}, rng)
    calls = []
    inspect_dataset(root, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (140, 140) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    with pytest.raises(ExportCancelled):
        inspect_dataset(root, cancel=lambda: True)


def test_not_a_dataset(tmp_path):
    with pytest.raises(DatasetError):
        inspect_dataset(tmp_path / "missing")


def test_labels_that_came_from_reviewing_pseudo_labels_are_counted(tmp_path, rng):
    """The annotator's manifest records reviewed pseudo-labels; the wizard says how many."""
    import json

    root = make(tmp_path / "d", {"a": 25, "b": 30}, rng, unlabelled=3)
    (root / ".atlass").mkdir()
    images = [{"name": f"a_{i}.png", "source": None, "category": "a",
               "review": {"run": "r", "suggested": "a", "decision": "accepted"}} for i in range(3)]
    images += [{"name": "b_0.png", "source": None, "category": "b",
                "review": {"run": "r", "suggested": "a", "decision": "corrected"}},
               {"name": "u_0.png", "source": None, "category": None,
                "review": {"run": "r", "suggested": "b", "decision": "rejected"}}]
    (root / ".atlass" / "annotations.json").write_text(json.dumps({"format": "atlass-annotations", "version": 1,
                                                                   "categories": ["a", "b"], "images": images}))
    report = inspect_dataset(root)
    assert report.reviewed == {"accepted": 3, "corrected": 1, "rejected": 1}
    assert "4 label(s) came from reviewing a run's pseudo-labels (3 accepted, 1 corrected" in report.summary()
    assert report.classes == ["a", "b"]                  # the manifest's folder is no category

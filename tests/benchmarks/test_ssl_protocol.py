"""benchmarks/ssl_protocol.py: sampling, dataset readers, the resumable CSV, the statistics and
the table, on hand-made data; the whole loop with a fake trainer; one tiny real run (slow)."""
from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import ssl_protocol
from atlass_runtime.dataset import scan_dataset
from atlass_runtime.imageio import network_image
from helpers import shared_dataset, write_png
from ssl_bench import records, runner
from ssl_bench.model_reuse import ReusingTrainer
from ssl_bench.records import SettingsMismatch, append_row, finished_runs, read_candidates, read_rows, run_key
from ssl_bench.sampling import draw_sample, too_few_unlabelled, write_organised
from ssl_bench.sources import SourceDataset, SourceError, read_class_folders, read_npz
from ssl_bench.stats import compare, holm, paired_differences, wilcoxon_signed_rank
from ssl_bench.table import markdown_report


def fake_source(**counts) -> SourceDataset:
    pool = [(Path(f"/data/{c}/{i:03d}.png"), c) for c, n in counts.items() for i in range(n)]
    test = [(Path(f"/data/{c}/test_{i:03d}.png"), c) for c in counts for i in range(3)]
    return SourceDataset("fake", sorted(counts), pool, test, "hand-made")


def brightness_dataset(root: Path, counts: dict[str, int], size: int = 16) -> Path:
    """Classes told apart by brightness (the fake trainer and a real network both learn it)."""
    rng = np.random.default_rng(0)
    levels = np.linspace(40, 215, len(counts))
    for (name, n), level in zip(counts.items(), levels):
        for i in range(n):
            write_png(root / name / f"{name}_{i:03d}.png",
                      np.clip(rng.normal(level, 12, (size, size, 3)), 0, 255).astype(np.uint8))
    return root


# ---------------------------------------------------------------------- sampling
def test_sample_has_exactly_k_per_class_and_disjoint_sets():
    source = fake_source(a=40, b=30, c=10)
    sample = draw_sample(source, 25, seed=3)
    labelled = Counter(c for _, c in sample.labelled)
    assert labelled == {"a": 25, "b": 25, "c": 10}
    assert sample.capped == {"c": 10} and sample.capped_text() == "c=10"
    labelled_paths = {p for p, _ in sample.labelled}
    unlabelled_paths = {p for p, _ in sample.unlabelled}
    test_paths = {p for p, _ in source.test}
    assert not labelled_paths & unlabelled_paths and not (labelled_paths | unlabelled_paths) & test_paths
    assert labelled_paths | unlabelled_paths == {p for p, _ in source.pool}
    assert Counter(c for _, c in sample.unlabelled) == {"a": 15, "b": 5}


def test_smaller_k_draws_are_inside_larger_ones_and_seeds_differ():
    source = fake_source(a=80, b=80)
    small, large = draw_sample(source, 25, 1), draw_sample(source, 50, 1)
    assert set(small.labelled) < set(large.labelled)
    assert draw_sample(source, 25, 1) == small
    assert set(draw_sample(source, 25, 2).labelled) != set(small.labelled)


def test_unlabelled_cap_and_the_skip_rule():
    source = fake_source(a=100, b=100)
    sample = draw_sample(source, 25, 0, max_unlabelled=30)
    assert len(sample.unlabelled) == 30 and len(sample.labelled) == 50
    assert too_few_unlabelled(sample, 0.2) is None
    assert "only 30 unlabelled" in too_few_unlabelled(sample, 1.0)
    assert too_few_unlabelled(draw_sample(fake_source(a=20, b=20), 25, 0), 0.0) is not None


def test_a_class_too_small_to_split_is_an_error_naming_it():
    with pytest.raises(SourceError, match="'tiny'"):
        draw_sample(fake_source(big=40, tiny=2), 25, 0)


def test_organised_folder_is_read_back_by_the_runtime(tmp_path):
    root = brightness_dataset(tmp_path / "src", {"dark": 10, "light": 8})
    source = read_class_folders(root)
    sample = draw_sample(source, 4, seed=0)
    truth = write_organised(sample, tmp_path / "work")
    scanned = scan_dataset(tmp_path / "work")
    assert scanned.counts() == {"dark": 4, "light": 4}
    assert sorted(p.relative_to(tmp_path / "work").as_posix() for p in scanned.unlabelled) == sorted(truth)
    assert Counter(truth.values()) == Counter(c for _, c in sample.unlabelled)
    assert all(p.resolve().parent.parent == root.resolve() for p, _ in scanned.labelled)  # links, not copies


# ---------------------------------------------------------------------- dataset readers
def test_class_folders_hold_out_a_fixed_quarter_per_class(tmp_path):
    root = brightness_dataset(tmp_path / "data", {"a": 20, "b": 9})
    write_png(root / "unlabelled" / "x.png", np.zeros((16, 16, 3), np.uint8))
    source = read_class_folders(root)
    assert Counter(c for _, c in source.test) == {"a": 5, "b": 2}
    assert Counter(c for _, c in source.pool) == {"a": 15, "b": 7}
    assert not {p for p, _ in source.test} & {p for p, _ in source.pool}
    assert all("unlabelled" not in p.parts for p, _ in source.pool + source.test)
    assert read_class_folders(root).test == source.test


def test_npz_pool_is_train_plus_val_and_test_is_the_official_test(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {f"{s}_images": rng.integers(0, 255, (n, 8, 8), dtype=np.uint8) for s, n in
              (("train", 12), ("val", 4), ("test", 6))}
    arrays.update({f"{s}_labels": (np.arange(n) % 3).reshape(-1, 1) for s, n in
                   (("train", 12), ("val", 4), ("test", 6))})
    np.savez(tmp_path / "tiny.npz", **arrays)
    source = read_npz(tmp_path / "tiny.npz", tmp_path / "work")
    assert source.name == "tiny" and source.classes == ["class_0", "class_1", "class_2"]
    assert len(source.pool) == 16 and len(source.test) == 6
    assert Counter(c for _, c in source.test) == {"class_0": 2, "class_1": 2, "class_2": 2}
    first_test = [p for p, _ in source.test if p.name == "test_000000.png"][0]
    decoded = network_image(first_test, 8)
    assert np.array_equal(decoded[:, :, 0], arrays["test_images"][0])
    assert read_npz(tmp_path / "tiny.npz", tmp_path / "work").pool == source.pool   # written once


def test_npz_with_several_labels_per_image_is_refused(tmp_path):
    np.savez(tmp_path / "multi.npz", train_images=np.zeros((4, 8, 8), np.uint8),
             train_labels=np.zeros((4, 3)), test_images=np.zeros((2, 8, 8), np.uint8),
             test_labels=np.zeros((2, 3)))
    with pytest.raises(SourceError, match="multi-label"):
        read_npz(tmp_path / "multi.npz", tmp_path / "work")


def test_shared_breastmnist_keeps_the_official_splits(tmp_path):
    source = read_npz(shared_dataset("medmnist/breastmnist.npz"), tmp_path)
    assert len(source.pool) == 546 + 78 and len(source.test) == 156
    assert Counter(c for _, c in source.test) == {"class_0": 42, "class_1": 114}


def test_shared_jurkat_brightfield_caps_the_rare_classes():
    source = read_class_folders(shared_dataset("jurkat-cellcycle-brightfield"))
    test = Counter(c for _, c in source.test)
    assert test["Anaphase"] == 4 and test["G1"] == 225
    sample = draw_sample(source, 25, 0)
    assert sample.capped == {"Anaphase": 11, "Telophase": 21}


# ---------------------------------------------------------------------- statistics and table
def rows_of(values: dict[str, list[float]], dataset="d", k=25, variant="paper") -> list[dict]:
    return [{"dataset": dataset, "k": k, "seed": seed, "variant": variant, "process": process, "accuracy": v,
             "macro_f1": v / 2, "pseudo_labels": 10 if process != "ND" else 0,
             "pseudo_labels_correct": 8 if process != "ND" else 0, "capped_classes": "",
             "pseudo_label_accuracy": 0.8 if process != "ND" else None, "teacher_valid_accuracy": 0.7,
             "max_acceptance_ratio": 1.5 if process != "ND" else None, "selected_trained_on": "labels alone"}
            for process, vs in values.items() for seed, v in enumerate(vs)]


def test_wilcoxon_exact_all_ties_and_too_few_pairs():
    six = wilcoxon_signed_rank([0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
    assert six.p_value == pytest.approx(2 / 64) and six.untied == 6 and "exact" in six.note
    tied = wilcoxon_signed_rank([0.0, 0.0, 0.0])
    assert tied.p_value is None and "all 3 pairs tied" in tied.note
    few = wilcoxon_signed_rank([0.1, -0.2, 0.0, 0.3])
    assert few.untied == 3 and few.p_value == pytest.approx(0.75) and "cannot reach 0.05" in few.note
    repeated = wilcoxon_signed_rank([0.1, 0.1, 0.2, -0.3, 0.2, 0.4, 0.5])
    assert "normal approx" in repeated.note and 0 < repeated.p_value < 1
    assert wilcoxon_signed_rank([]).p_value is None


def test_pairs_are_matched_by_dataset_k_and_seed():
    rows = rows_of({"ND": [0.5, 0.6, 0.7], "DD": [0.6, 0.6]})
    assert paired_differences(rows, "DD", "ND", "accuracy") == pytest.approx([0.1, 0.0])
    result = compare(rows, "DD")
    assert (result.pairs, result.wins, result.ties, result.losses) == (2, 1, 1, 0)


def test_holm_adjustment():
    assert holm([0.01, 0.04, None, 0.03]) == pytest.approx([0.03, 0.06, None, 0.06], nan_ok=True)


def test_markdown_table_has_means_bold_best_and_the_comparison():
    rows = rows_of({"ND": [0.5, 0.7], "DD": [0.8, 0.8], "MD": [0.4, 0.6]})
    rows[0]["capped_classes"] = rows[2]["capped_classes"] = "x=3"
    rows += rows_of({"ND": [0.5, 0.7], "DD": [0.9, 0.7], "IDD": [0.8, 0.9]}, variant="improved")
    text = markdown_report(rows, ["ND", "DD", "MD", "IDD"], ["paper", "improved"], ["preamble"], ["a note"])
    assert "| d | 25† | 0.600 ± 0.141 | **0.800 ± 0.000** | 0.500 ± 0.141 | – |" in text
    assert "| DD | 2 | 0.800 | +0.200 | 2 / 0 / 0 |" in text
    assert "| MD | 2 | 0.500 | -0.100 | 0 / 0 / 2 |" in text
    assert "80.0%" in text and "a note" in text and "x=3" in text
    # the variants against the paper's, and the targets for the improved one
    assert "## improved against paper, process by process" in text
    assert "| DD | 2 | +0.000 | 1 / 0 / 1 |" in text
    assert "Best iterative process: IDD, +0.250 accuracy against ND" in text
    assert "| improved | IDD | 2 | 10 | 80.0% | 0.700 | 1.50 / 1.50 | 2 / 2 |" in text


# ---------------------------------------------------------------------- CSV and resume
def row(process="ND", seed=0, settings_id="abcdef0123") -> dict:
    values = {c: "" for c in records.COLUMNS}
    values.update(dataset="d", k=25, seed=seed, variant="paper", process=process, accuracy=0.5, macro_f1=0.4,
                  labelled=50, unlabelled=10, test_images=20, pseudo_labels=0,
                  pseudo_labels_correct=0, rounds=0, models_trained=1, models_reused=0, seconds=1.0,
                  settings_id=settings_id)
    return values


def test_csv_appends_skips_a_cut_line_and_refuses_other_settings(tmp_path):
    path = tmp_path / "runs.csv"
    append_row(path, row("ND"))
    with open(path, "a") as handle:
        handle.write("d,25,0,paper,DD,Res")    # a kill in the middle of a line
    append_row(path, row("MD"))
    assert [r["process"] for r in read_rows(path)] == ["ND", "MD"]
    assert finished_runs(path, "abcdef0123") == {("d", 25, 0, "paper", "ND"), ("d", 25, 0, "paper", "MD")}
    with pytest.raises(SettingsMismatch, match="abcdef0123"):
        finished_runs(path, "0000000000")


@pytest.fixture
def fake_training(monkeypatch):
    """The benchmark loop with the runtime's real workflow but a trainer that learns nothing."""
    from fakes import FakeTrainer

    monkeypatch.setattr(runner, "trainer_factory",
                        lambda settings: lambda classes, config, log: FakeTrainer(classes, config, log))
    calls = []
    real = ssl_protocol.run_process

    def counted(*args, **kwargs):
        calls.append(args[4])
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl_protocol, "run_process", counted)
    return calls


def test_whole_loop_then_resume_skips_finished_runs(tmp_path, fake_training):
    data = brightness_dataset(tmp_path / "data", {"dark": 16, "mid": 16, "light": 16})
    args = [str(data), "--k", "5", "--seeds", "0,1", "--processes", "nd,IDD", "--set", "image_size=16",
            "--variants", "paper,all", "--single-networks", "resnet18", "--multi-networks", "ResNet18,ResNet34",
            "--output", str(tmp_path / "out"), "--work", str(tmp_path / "work")]
    assert ssl_protocol.main(args) == 0
    assert sorted(fake_training) == ["IDD"] * 4 + ["ND"] * 4
    rows = read_rows(tmp_path / "out" / "ssl_protocol.csv")
    assert {(r["seed"], r["variant"], r["process"]) for r in rows} == {
        (seed, variant, process) for seed in (0, 1) for variant in ("paper", "all") for process in ("ND", "IDD")}
    idd = [r for r in rows if r["process"] == "IDD"]
    assert all(r["labelled"] == 15 and r["unlabelled"] == 21 and r["test_images"] == 12 for r in idd)
    paper = [r for r in idd if r["variant"] == "paper"]
    assert all(0 < r["pseudo_labels"] <= 21 and r["pseudo_labels_correct"] <= r["pseudo_labels"] for r in paper)
    assert all(r["pseudo_labels"] == 0 and r["unlabelled"] == 0 for r in rows if r["process"] == "ND")
    assert all(r["models_reused"] >= 1 for r in idd)                # round 1 is ND's model
    assert all(r["teacher_valid_accuracy"] is not None and r["max_acceptance_ratio"] >= 1 for r in paper)
    assert {r["selected_trained_on"] for r in idd if r["variant"] == "paper"} <= {"labels + pseudo-labels"}
    assert not list((tmp_path / "work" / "runs").glob("*/*"))       # draw folders removed
    records = {run_key(r): r["candidates"] for r in read_candidates(tmp_path / "out" / "ssl_protocol_candidates.jsonl")}
    assert set(records) == {run_key(r) for r in rows}
    for row in idd:                     # the chosen candidate's held-out score is the row's
        chosen = [c for c in records[run_key(row)] if c["name"] == row["selected_network"]]
        assert len(chosen) == 1 and chosen[0]["test_accuracy"] == row["accuracy"]
    for row in paper:                   # pseudo-labelled models and the labels-alone ones
        assert [c["trained_on"] for c in records[run_key(row)]] == ["labels + pseudo-labels", "labels alone"]
        assert [c["eligible"] for c in records[run_key(row)]] == [True, False]

    fake_training.clear()
    assert ssl_protocol.main(args + ["--seeds", "0,1,2"]) == 0
    assert sorted(fake_training) == ["IDD", "IDD", "ND", "ND"]        # only seed 2 was new
    table = (tmp_path / "out" / "ssl_protocol.md").read_text()
    assert "| data | 5 |" in table and "| IDD | 3 |" in table and "## all against paper" in table

    assert ssl_protocol.main(args + ["--set", "image_size=24"]) == 2     # other settings, same CSV


def test_k_leaving_no_unlabelled_images_is_skipped_and_noted(tmp_path, fake_training):
    data = brightness_dataset(tmp_path / "data", {"dark": 8, "light": 8})
    ssl_protocol.main([str(data), "--k", "6", "--seeds", "0", "--processes", "ND,DD", "--note", "by hand",
                       "--output", str(tmp_path / "out"), "--work", str(tmp_path / "work")])
    assert fake_training == []
    table = (tmp_path / "out" / "ssl_protocol.md").read_text()
    assert "data, k = 6 skipped: only 0 unlabelled" in table and "- by hand" in table


def test_reusing_trainer_trains_each_identical_request_once(tmp_path):
    from fakes import FakeTrainer

    from atlass_runtime import RunConfig
    from atlass_runtime.trainer import LabelledArrays

    inner = FakeTrainer(["a", "b"], RunConfig(process="ND", networks=["ResNet18"]))
    trainer = ReusingTrainer(inner, tmp_path / "cache")
    images = np.zeros((4, 8, 8, 3), np.uint8)
    data = LabelledArrays(images, np.array([0, 1, 0, 1]))
    other = LabelledArrays(images, np.array([1, 1, 0, 1]))
    first = trainer.train("ResNet18", data, data)
    again = trainer.train("ResNet18", data, data)
    trainer.train("ResNet18", other, data)
    trainer.train("ResNet34", data, data)
    assert inner.trained == [("ResNet18", 4), ("ResNet18", 4), ("ResNet34", 4)]
    assert (trainer.trained, trainer.reused) == (3, 1)
    assert np.array_equal(trainer.predict(again, images), trainer.predict(first, images))
    assert trainer.device == "fake"


# ---------------------------------------------------------------------- one real run
@pytest.mark.slow
def test_tiny_real_benchmark(tmp_path):
    data = brightness_dataset(tmp_path / "data", {"a": 12, "b": 12, "c": 12})
    out = tmp_path / "out"
    assert ssl_protocol.main([str(data), "--k", "5", "--seeds", "0", "--processes", "ND,DD",
                              "--variants", "paper", "--set", "image_size=16", "--set", "epochs_unfrozen=1",
                              "--set", "pretrained=false", "--single-networks", "ResNet18",
                              "--lr-find-iterations", "5", "--threads", "1", "--output", str(out),
                              "--work", str(tmp_path / "w")]) == 0
    with open(out / "ssl_protocol.csv", newline="") as handle:
        found = list(csv.DictReader(handle))
    assert [r["process"] for r in found] == ["ND", "DD"]
    assert all(0.0 <= float(r["accuracy"]) <= 1.0 and r["test_images"] == "9" for r in found)
    assert found[1]["pseudo_labels"] == "12"          # DD accepts every vote (threshold 0)
    assert found[1]["models_reused"] == "1"           # its round 1 is ND's model
    assert "## Each process against ND (paper)" in (out / "ssl_protocol.md").read_text()


@pytest.mark.slow
def test_cpu_training_is_reproducible_so_model_reuse_changes_no_result():
    from atlass_runtime import RunConfig
    from atlass_runtime.fastai_trainer import FastaiTrainer
    from atlass_runtime.trainer import LabelledArrays

    rng = np.random.default_rng(0)
    data = LabelledArrays(rng.integers(0, 255, (12, 16, 16, 3), dtype=np.uint8), np.arange(12) % 3)
    config = RunConfig(process="ND", networks=["ResNet18"], image_size=16, epochs_frozen=1,
                       epochs_unfrozen=1, pretrained=False, seed=5)
    trainer = FastaiTrainer(["a", "b", "c"], config, device="cpu", lr_find_iterations=5, progress="none")
    first, second = (trainer.train("ResNet18", data, data).module.state_dict() for _ in range(2))
    assert all(torch_equal(first[name], second[name]) for name in first)


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


def test_selection_rules_replay_the_choice_on_the_recorded_candidates(tmp_path):
    import selection_rules

    def candidate(network, trained_on, valid_accuracy, log_loss, test_accuracy):
        return {"name": network + trained_on, "network": network, "trained_on": trained_on, "eligible": True,
                "valid_accuracy": valid_accuracy, "valid_macro_f1": valid_accuracy, "valid_log_loss": log_loss,
                "test_accuracy": test_accuracy, "test_macro_f1": test_accuracy}
    pseudo, alone = "labels + pseudo-labels", "labels alone"
    # Validation ties on accuracy: the log-loss tie-break picks labels alone, the tie rule does not;
    # Lite1 alone wins on validation, which the first-network rule does not allow (it ties, then log-loss).
    candidates = [candidate("Lite0", pseudo, 0.75, 0.9, 0.80), candidate("Lite0", alone, 0.75, 0.5, 0.70),
                  candidate("Lite1", alone, 0.875, 0.7, 0.60)]
    key = {"dataset": "d", "k": 25, "seed": 0, "variant": "v"}
    rows = [{**key, "process": "ND", "accuracy": 0.70, "macro_f1": 0.70},
            {**key, "process": "IMD", "accuracy": 0.60, "macro_f1": 0.60}]
    records = [{**key, "process": "IMD", "candidates": candidates}]
    chosen = {name: selection_rules.replay(rows, records, rule)[0]["accuracy"]
              for name, rule in selection_rules.RULES.items()}
    assert chosen == {"pseudo-labelled only (the paper)": 0.80,
                      "all, ties to the lower log-loss (the default to stop 21)": 0.60,
                      "all, labels alone of the first network only": 0.70,
                      "all, ties on accuracy and F1 to the pseudo-labelled": 0.60,
                      "all, ties on accuracy and F1 to the pseudo-labelled, then log-loss (our default)": 0.60,
                      "all, by validation log-loss": 0.70}
    without_lite1 = [{**records[0], "candidates": candidates[:2]}]
    tie_rule = selection_rules.RULES["all, ties on accuracy and F1 to the pseudo-labelled"]
    assert selection_rules.replay(rows, without_lite1, tie_rule)[0]["accuracy"] == 0.80
    default = selection_rules.RULES["all, ties on accuracy and F1 to the pseudo-labelled, then log-loss (our default)"]
    assert selection_rules.replay(rows, without_lite1, default)[0]["accuracy"] == 0.80
    old_default = selection_rules.RULES["all, ties to the lower log-loss (the default to stop 21)"]
    assert selection_rules.replay(rows, without_lite1, old_default)[0]["accuracy"] == 0.70

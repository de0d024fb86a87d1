"""What the notebook shows, built from a real workflow run with the fake trainer (fast)."""
from __future__ import annotations


from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from atlass_runtime import RunConfig  # noqa: E402
from atlass_runtime import notebook_display as show  # noqa: E402
from atlass_runtime.workflow import Workflow  # noqa: E402

from fakes import FakeTrainer  # noqa: E402  (tests/, put on sys.path by notebook_helpers)


def write(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(path.suffix, image)
    assert ok
    path.write_bytes(data.tobytes())


@pytest.fixture
def dataset(tmp_path) -> Path:
    """3 categories told apart by brightness, 8 labelled each, 12 unlabelled; one 16-bit image."""
    rng = np.random.default_rng(0)
    root = tmp_path / "dataset"
    levels = {"a_dark": 40, "b_mid": 128, "c_bright": 215}
    for name, level in levels.items():
        for i in range(8):
            write(root / name / f"{name}_{i}.png", np.clip(rng.normal(level, 12, (16, 16, 3)), 0, 255).astype(np.uint8))
    for i in range(12):
        level = list(levels.values())[i % 3]
        write(root / "unlabelled" / f"u_{i:02d}.png", np.clip(rng.normal(level, 12, (16, 16, 3)), 0, 255).astype(np.uint8))
    write(root / "unlabelled" / "deep.tif", rng.integers(100, 1800, (16, 16), dtype=np.uint16))
    return root


@pytest.fixture
def finished(dataset, tmp_path):
    """(workflow, result) of an IMDD run with the fake trainer: several candidates and rounds."""
    config = RunConfig(process="IMDD", networks=["ResNet18", "ResNet34"], transforms=["H Flip"], threshold=0.5,
                       image_size=16, dataset_dir=str(dataset), output_dir=str(tmp_path / "out"))
    wf = Workflow(config, trainer_factory=FakeTrainer, log=lambda message: None)
    wf.pseudo_label()
    wf.train_final()
    return wf, wf.evaluate_and_export()


def test_not_in_a_notebook_here():
    assert show.in_notebook() is False


def test_settings_table_lists_every_field_with_its_meaning(capsys):
    config = RunConfig(process="IDD", networks=["ResNet18"])
    table = show.settings_table(config)
    assert list(table.index) == RunConfig.field_names()
    assert table.loc["networks", "value"] == "ResNet18" and "Confidence" in table.loc["threshold", "meaning"]
    assert show.settings(config) is None
    out = capsys.readouterr().out
    assert "Iterative data distillation" in out and "atlass_runtime" in out and "threshold" in out


def test_dataset_table_counts_the_split(finished, capsys):
    wf, _ = finished
    table = show.dataset_table(wf)
    assert list(table.index) == ["a_dark", "b_mid", "c_bright", "all categories"]
    from atlass_runtime.split import class_split_sizes

    assert list(table.loc["a_dark"]) == [8, *class_split_sizes(8, 0.15, 0.25)]
    assert table.loc["all categories", "labelled"] == 24
    assert (table["training"] + table["validation"] + table["test"] == table["labelled"]).all()
    show.dataset_summary(wf)
    assert "Unlabelled images: 13" in capsys.readouterr().out


def test_rounds_table_has_a_row_per_round(finished, capsys):
    wf, result = finished
    table = show.rounds_table(wf.state.rounds, wf.classes)
    assert list(table.index) == [r["round"] for r in result.results["rounds"]]
    assert (table[[f"+ {c}" for c in wf.classes]].sum(axis=1) == table["accepted"]).all()
    held = [sum(r.get("held_back_by_balance", {}).values()) for r in result.results["rounds"]]
    assert table["held back by class balance"].tolist() == held
    assert "left out by label spreading" not in table          # only a run with `agreement` has it
    rounds = [{**r, "left_out_by_label_spreading": {wf.classes[0]: 2}} for r in wf.state.rounds]
    assert show.rounds_table(rounds, wf.classes)["left out by label spreading"].tolist() == [2] * len(rounds)
    show.rounds(wf)
    out = capsys.readouterr().out
    assert f"{len(wf.state.pseudo_labels)} pseudo-labelled image(s)" in out and "Stopped because" in out


def test_candidates_and_per_class_tables(finished, capsys):
    _, result = finished
    results = result.results
    table = show.candidates_table(results)
    # the final models and the same networks trained on the labels alone (round 1)
    assert set(table.index) == {"ResNet18", "ResNet34", "ResNet18 (labels alone)", "ResNet34 (labels alone)"}
    assert set(table["trained on"]) == {"labels + pseudo-labels", "labels alone"}
    chosen = results["selected"]["name"]
    assert (table["chosen"] == "yes").sum() == 1 and table.loc[chosen, "chosen"] == "yes"
    chosen_test = results["selected"]["test"]["accuracy"]
    assert table.loc[chosen, "test accuracy"] == f"{100 * chosen_test:.1f}%"
    low, high = results["selected"]["test"]["accuracy_ci95"]
    assert table.loc[chosen, "test 95% interval"] == f"{100 * low:.0f}-{100 * high:.0f}%"
    per_class = show.per_class_table(results)
    assert list(per_class.index) == results["classes"]
    assert per_class["images"].sum() == results["selected"]["test"]["n_images"]
    show.results(results)
    out = capsys.readouterr().out
    assert "Chosen: " + chosen in out and "95% interval" in out and "most frequent category" in out
    assert "Pseudo-labelling " in out and "labels alone" in out


def test_choosing_on_test_is_flagged(finished, capsys):
    _, result = finished
    results = dict(result.results, selected=dict(result.results["selected"], select_on="test"))
    show.results(results)
    assert "optimistic" in capsys.readouterr().out


def test_confusion_figure_has_one_matrix_per_candidate_chosen_first(finished):
    _, result = finished
    figure = show.confusion_figure(result.results)
    titles = [axis.get_title() for axis in figure.axes]
    assert len(titles) == 4 and "(chosen)" in titles[0] and result.results["selected"]["name"] in titles[0]
    numbers = [int(t.get_text()) for t in figure.axes[0].texts]
    assert sum(numbers) == result.results["selected"]["test"]["n_images"]


def test_image_grids(finished):
    wf, _ = finished
    figure = show.sample_figure(wf.dataset, per_class=3)
    shown = [axis for axis in figure.axes if axis.images]
    assert len(shown) == 3 * 3 + 3              # three per category, and three unlabelled
    pseudo = show.pseudo_label_figure(wf, per_class=2)
    if wf.state.pseudo_labels:
        assert pseudo is not None and any("round" in axis.get_title() for axis in pseudo.axes)


def test_the_16_bit_image_is_stretched_for_display(dataset):
    thumbnail = show._thumbnail(dataset / "unlabelled" / "deep.tif")
    assert thumbnail.dtype == np.uint8 and thumbnail.shape == (16, 16, 3) and thumbnail.max() > 200


def test_no_pseudo_labels_says_so(dataset, tmp_path, capsys):
    config = RunConfig(process="ND", networks=["ResNet18"], image_size=16, dataset_dir=str(dataset),
                       output_dir=str(tmp_path / "nd"))
    wf = Workflow(config, trainer_factory=FakeTrainer, log=lambda message: None)
    assert show.pseudo_label_figure(wf) is None
    show.pseudo_label_samples(wf)
    assert "No image received a pseudo-label" in capsys.readouterr().out


def test_exported_files_and_predictions(finished, tmp_path, capsys):
    import pandas as pd

    _, result = finished
    table = show.exported_files_table(result.output_dir)
    assert "results.json" in table.index and "model/model.json" in table.index   # the fake exports only json
    assert show.has_images(Path(result.output_dir).parent / "dataset") and not show.has_images(tmp_path / "none")
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("x")
    assert not show.has_images(tmp_path / "texts")
    predictions = pd.DataFrame({"file": ["/x/a.png", "/x/b.png", "/x/c.png"], "label": ["p", "q", "p"],
                                "confidence": [0.9, 0.8, 0.7]})
    show.predictions(predictions, max_rows=2)
    out = capsys.readouterr().out
    assert "3 image(s) classified" in out and "a.png" in out and "c.png" not in out


def test_captions_are_shortened_in_the_middle():
    assert show.short_name("short.png") == "short.png"
    assert show.short_name("Metaphase_Ch3_CP0001_pos127.tif") == "Metaphase…s127.tif"   # the end shows

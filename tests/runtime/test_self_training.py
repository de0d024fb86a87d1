"""Self-training beyond the paper, piece by piece on hand-made numbers (class-balanced acceptance,
label spreading's second opinion, temperatures, greedy choice of transforms, guard rails,
intervals), then in the loop with the fake
trainer (labels alone as candidates, re-voting, warnings)."""
import csv
import json

import numpy as np
import pytest

from atlass_runtime import RunConfig
from atlass_runtime.acceptance import accept, disagreed, held_back, labelled_shares
from atlass_runtime.calibration import apply_temperature, fit_temperature, negative_log_likelihood
from atlass_runtime.ensemble import hard_vote
from atlass_runtime.label_spreading import joint_features, spread_labels
from atlass_runtime.evaluation import chance_levels, evaluate, wilson_interval
from atlass_runtime import guard_rails
from atlass_runtime.tta_selection import greedy_transforms
from atlass_runtime.workflow import run_workflow
from fakes import FakeTrainer


def votes_of(labels, confidence, n_classes=2):
    """Votes of one certain pair: image i votes labels[i] with the given confidence."""
    probabilities = np.full((1, len(labels), n_classes), 0.0)
    for i, (label, c) in enumerate(zip(labels, confidence)):
        probabilities[0, i] = (1 - c) / (n_classes - 1)
        probabilities[0, i, label] = c
    return hard_vote(probabilities)


# ---------------------------------------------------------------------- acceptance
def test_without_balance_every_image_above_the_threshold_is_accepted():
    votes = votes_of([0, 0, 0, 1], [0.99, 0.95, 0.7, 0.9])
    assert accept(votes, 0.8).tolist() == [0, 1, 3]


def test_balance_keeps_each_class_to_its_labelled_share_most_confident_first():
    # 6 confident votes for class 0, 2 for class 1; labelled 50/50: class 0 may hold half of
    # the accepted images, rounded up (3 of 5)
    labels = [0, 0, 0, 0, 0, 0, 1, 1]
    confidence = [0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.91, 0.90]
    accepted = accept(votes_of(labels, confidence), 0.8, np.array([0.5, 0.5]))
    assert accepted.tolist() == [0, 1, 2, 6, 7]              # the three most confident of class 0
    # a class with a larger labelled share may take more
    accepted = accept(votes_of(labels, confidence), 0.8, np.array([0.75, 0.25]))
    assert accepted.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]


def test_balance_stops_one_class_taking_over_a_round():
    """The Jurkat failure: every image voted Metaphase (a fifth of the labels)."""
    votes = votes_of([1] * 20, np.linspace(0.99, 0.9, 20), n_classes=4)
    accepted = accept(votes, 0.8, np.array([0.27, 0.19, 0.27, 0.27]))
    assert accepted.tolist() == [0]                          # one, not all twenty


def test_balance_counts_the_pseudo_labels_of_earlier_rounds():
    """One Metaphase a round would make every pseudo-label Metaphase over a run: the cap is over
    all the pseudo-labels, the earlier rounds' included."""
    votes = votes_of([1] * 20, np.linspace(0.99, 0.9, 20), n_classes=4)
    shares = np.array([0.27, 0.19, 0.27, 0.27])
    assert accept(votes, 0.8, shares, earlier=np.array([0, 1, 0, 0])).tolist() == []
    # once the other classes hold pseudo-labels, Metaphase may have its share of them
    assert accept(votes, 0.8, shares, earlier=np.array([2, 1, 2, 2])).tolist() == [0]
    # the earlier pseudo-labels of a class fill its share first
    mixed = votes_of([0, 0, 1, 1], [0.99, 0.98, 0.97, 0.96])
    assert accept(mixed, 0.8, np.array([0.5, 0.5]), earlier=np.array([3, 0])).tolist() == [2, 3]


def test_over_rounds_the_balance_holds_for_the_whole_run():
    """Round after round the same class is the only confident one: with the cap per round it
    took one image a round; counted over the run it takes one in all."""
    shares = np.array([0.25, 0.25, 0.25, 0.25])
    earlier = np.zeros(4, dtype=np.int64)
    for _ in range(5):
        votes = votes_of([2] * 10, np.linspace(0.99, 0.9, 10), n_classes=4)
        earlier[2] += len(accept(votes, 0.8, shares, earlier))
    assert earlier.tolist() == [0, 0, 1, 0]


# ---------------------------------------------------------------------- label spreading
def test_labels_spread_along_the_nearest_neighbours_several_steps_away():
    labelled = np.array([[1.0, 0.0], [0.0, 1.0]])          # class 0 at 0 degrees, class 1 at 90
    # at 6, 76 and 3 degrees: with one neighbour each, the first is joined to the third (3 degrees
    # away), the third to class 0's image; the second to class 1's
    unlabelled = np.array([[0.9, 0.1], [0.2, 0.8], [0.95, 0.05]])
    assert spread_labels(labelled, np.array([0, 1]), unlabelled, 2, neighbours=1).tolist() == [0, 1, 0]


def test_an_image_no_label_reaches_has_none():
    labelled = np.array([[1.0, 0.2, 0.0], [0.2, 1.0, 0.0]])
    apart = np.array([[0.0, 0.0, 1.0], [0.0, 0.05, 1.0]])  # each other's nearest, far from both
    assert spread_labels(labelled, np.array([0, 1]), apart, 2, neighbours=1).tolist() == [-1, -1]
    assert spread_labels(labelled, np.array([0, 1]), apart[:0], 2).tolist() == []


def test_each_model_weighs_the_same_in_the_joint_features():
    joint = joint_features([np.array([[3.0, 4.0]]), np.array([[10.0, 0.0]])])
    assert joint[0].tolist() == pytest.approx([0.6 / np.sqrt(2), 0.8 / np.sqrt(2), 1 / np.sqrt(2), 0.0])


def test_only_votes_the_second_opinion_agrees_with_are_accepted():
    votes = votes_of([0, 0, 1, 1], [0.99, 0.95, 0.9, 0.7])
    opinion = np.array([0, 1, 1, -1])
    assert accept(votes, 0.8, second_opinion=opinion).tolist() == [0, 2]
    assert disagreed(votes, 0.8, opinion, 2).tolist() == [1, 0]      # image 1, voted class 0
    # with class balance too, only the agreed images count as held back by it
    shares = np.array([0.5, 0.5])
    assert accept(votes, 0.8, shares, earlier=np.array([0, 2]), second_opinion=opinion).tolist() == [0]
    assert held_back(votes, 0.8, np.array([0]), 2, opinion).tolist() == [0, 1]


def test_labelled_shares():
    assert labelled_shares(np.array([0, 0, 0, 1]), 3).tolist() == [0.75, 0.25, 0.0]


# ---------------------------------------------------------------------- calibration
def test_a_temperature_softens_an_overconfident_model_and_keeps_its_answers():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 400)
    true_p = np.full((400, 3), 0.2)
    true_p[np.arange(400), labels] = 0.6                     # right 60% of the time at best...
    noisy = np.array([rng.choice(3, p=row) for row in true_p])   # ...the answers drawn from it
    overconfident = np.full((400, 3), 0.01)
    overconfident[np.arange(400), noisy] = 0.98              # a model sure of every answer
    t = fit_temperature(overconfident, labels)
    assert t > 1.5
    scaled = apply_temperature(overconfident, t)
    assert (scaled.argmax(1) == overconfident.argmax(1)).all()
    assert negative_log_likelihood(scaled, labels) < negative_log_likelihood(overconfident, labels)
    assert scaled.max(1).mean() == pytest.approx((noisy == labels).mean(), abs=0.05)


def test_temperature_of_nothing_is_one():
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0, dtype=int)) == 1.0


# ---------------------------------------------------------------------- greedy transforms
def test_greedy_selection_adds_what_helps_and_stops():
    labels = np.array([0, 1, 0, 1])

    def view(p_right):     # (models=1, n=4, classes=2) with probability p_right on the truth
        p = np.where(labels[:, None] == np.arange(2), p_right, 1 - p_right)
        return p[None]

    views = {"Original": view(0.6), "Gamma": view(0.9), "Blurring": view(0.3), "H Flip": view(0.62)}
    chosen, steps = greedy_transforms(views, labels)
    assert chosen == ["Original", "Gamma"]                   # then H Flip would lower the average
    assert [s["added"] for s in steps] == ["Original", "Gamma", None]
    assert steps[1]["tried"]["Gamma"] > steps[1]["tried"]["H Flip"] > steps[1]["tried"]["Blurring"]


# ---------------------------------------------------------------------- figures and guard rails
def test_wilson_interval_and_chance_levels():
    low, high = wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.49, 0.943)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert chance_levels(np.array([0, 0, 0, 1]), 3) == {"uniform": pytest.approx(1 / 3), "majority": 0.75}
    metrics = evaluate(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), ["a", "b"],
                       np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]))
    assert metrics["accuracy"] == 0.75 and metrics["log_loss"] == pytest.approx(
        -np.mean(np.log([0.9, 0.8, 0.4, 0.7])))


def test_an_unreachable_threshold_names_the_highest_confidence_and_one_that_works():
    confidence = np.linspace(0.1, 0.327, 30)
    found = guard_rails.threshold_unreachable(2, confidence, 0.5)
    assert "0.327" in found["message"] and "threshold 0.5" in found["message"]
    suggested = float(found["message"].split("A threshold of ")[1].split(" ")[0])
    assert suggested < 0.327 and f"accept {(confidence > suggested).sum()} of the 30" in found["message"]
    assert guard_rails.threshold_unreachable(2, np.array([0.6]), 0.5) is None


def test_pseudo_labels_piling_onto_one_class_are_named_with_the_shares():
    found = guard_rails.uneven_acceptance("Round 1:", {"G1": 2, "Metaphase": 40},
                                          {"G1": 0.8, "Metaphase": 0.2})
    assert "Metaphase has 95% of them but 20% of your labels" in found["message"]
    assert guard_rails.uneven_acceptance("Round 1:", {"G1": 20, "M": 22}, {"G1": 0.5, "M": 0.5}) is None
    # two of four balanced classes take everything (twice their share each, the others nothing)
    found = guard_rails.uneven_acceptance("Round 1:", {"G1": 70, "M": 0, "P": 70, "S": 0},
                                          {"G1": 0.25, "M": 0.25, "P": 0.25, "S": 0.25})
    assert "G1 has 50% of them but 25%" in found["message"] and "M has 0% of them but 25%" in found["message"]
    assert guard_rails.uneven_acceptance("Round 1:", {"G1": 3, "M": 0}, {"G1": 0.5, "M": 0.5}) is None  # too few


def test_a_model_at_chance_and_a_small_validation_split_are_flagged():
    test = evaluate(np.array([0] * 6 + [1] * 4), np.array([0] * 10), ["a", "b"])
    assert "cannot be told apart" in guard_rails.at_chance("ResNet18", test)["message"]
    good = evaluate(np.array([0] * 30 + [1] * 30), np.array([0] * 30 + [1] * 30), ["a", "b"])
    assert guard_rails.at_chance("ResNet18", good) is None
    found = guard_rails.validation_too_small({"a": 3, "b": 4}, candidates=4)
    assert "3 to 4 per category" in found["message"] and "4 candidates" in found["message"]
    assert guard_rails.validation_too_small({"a": 3}, candidates=1) is None


# ---------------------------------------------------------------------- in the loop
def config_for(dataset, output, **changes):
    return RunConfig(dataset_dir=str(dataset), output_dir=str(output), image_size=16, **changes)


def run(config, trainer=FakeTrainer):
    messages = []
    return run_workflow(config, trainer_factory=trainer, log=messages.append), messages


class Biased(FakeTrainer):
    """Models of round 1 (labels alone) are right; models trained with pseudo-labels are biased
    towards the last class, so pseudo-labelling makes them worse."""
    def train(self, network, train, valid):
        model = super().train(network, train, valid)
        if len(train) > 15:
            model.bias = np.array([0.0, 0.0, 40.0])
        return model


def test_labels_alone_compete_and_win_when_pseudo_labels_hurt(colour_dataset, tmp_path):
    result, messages = run(config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"]), Biased)
    results = result.results
    names = {c["name"]: c for c in results["candidates"]}
    assert set(names) == {"ResNet18", "ResNet18 (labels alone)"}
    assert names["ResNet18 (labels alone)"]["trained_on"] == "labels alone"
    assert results["selected"]["name"] == "ResNet18 (labels alone)"
    assert results["verdict"].startswith("Pseudo-labelling did not help on the 3 validation images")
    # asked for, the pseudo-labelled model is chosen whatever validation says
    again, _ = run(config_for(colour_dataset, tmp_path / "p", process="IDD", networks=["ResNet18"],
                              candidates="pseudo-labelled"), Biased)
    assert again.results["selected"]["name"] == "ResNet18"
    assert (tmp_path / "o" / "checkpoints" / "round-1_ResNet18.pth").is_file()   # kept for the choice


def test_nd_has_one_candidate_per_network_trained_on_labels_alone(colour_dataset, tmp_path):
    result, _ = run(config_for(colour_dataset, tmp_path / "o", process="ND", networks=["ResNet18", "ResNet34"]))
    assert [(c["name"], c["trained_on"]) for c in result.results["candidates"]] == [
        ("ResNet18", "labels alone"), ("ResNet34", "labels alone")]
    assert result.results["verdict"] is None


class Unsure(FakeTrainer):
    def predict(self, model, images):
        p = np.full((len(images), len(self.classes)), 0.2 / (len(self.classes) - 1), np.float32)
        p[:, 0] = 0.8 - 0.5 * np.linspace(0, 1, len(images))
        p /= p.sum(axis=1, keepdims=True)
        return p


def test_an_unreachable_threshold_ends_the_run_with_the_warning(colour_dataset, tmp_path):
    result, messages = run(config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"],
                                      threshold=0.9), Unsure)
    kinds = [w["kind"] for w in result.results["warnings"]]
    assert "threshold_unreachable" in kinds
    assert any(m.startswith("Warning: Round 1: no unlabelled image reached the threshold 0.9") for m in messages)
    assert result.results["stop_reason"] == "no image was accepted in round 1"


def test_the_votes_file_names_its_columns(colour_dataset, tmp_path):
    run(config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"], threshold=0.3))
    with open(tmp_path / "o" / "rounds" / "round-1_votes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["file", "label", "confidence", "runner_up", "runner_up_confidence", "margin",
                             "agreement", "accepted", "label_before", "bytes", "label_spreading"]
    assert all(int(row["bytes"]) == (colour_dataset / row["file"]).stat().st_size for row in rows)
    for row in rows:
        assert float(row["margin"]) == pytest.approx(float(row["confidence"]) - float(row["runner_up_confidence"]), abs=2e-6)
        assert row["runner_up"] != row["label"] and 0 < float(row["agreement"]) <= 1
        assert row["label_spreading"] == ""                         # only with `label_spreading`


class Flipping(FakeTrainer):
    """Round 1's models call every unlabelled image class 0; later ones see them as they are."""
    def predict(self, model, images):
        p = super().predict(model, images)
        if getattr(model, "round1", False):
            p = np.full_like(p, 0.05)
            p[:, 0] = 0.9
        return p

    def train(self, network, train, valid):
        model = super().train(network, train, valid)
        model.round1 = len(train) == 15
        return model


def test_revoting_undoes_round_one_s_mistakes(colour_dataset, tmp_path):
    config = config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"], threshold=0.5,
                        revote=True, max_rounds=4, class_balance=False)
    result, _ = run(config, Flipping)
    rounds = result.results["rounds"]
    assert rounds[0]["accepted_per_class"]["a_dark"] == 12          # all 12 unlabelled called class 0
    assert all(r["unlabelled_before"] == 12 for r in rounds)        # every round votes on the whole pool
    labels = {row["file"]: row["label"] for row in csv.DictReader(open(tmp_path / "o" / "pseudo_labels.csv"))}
    assert len(set(labels.values())) == 3                           # relabelled in round 2
    assert "did not change" in result.results["stop_reason"]
    with open(tmp_path / "o" / "rounds" / "round-2_votes.csv", newline="") as f:
        assert {row["label_before"] for row in csv.DictReader(f)} == {"a_dark"}
    # without re-voting the round-1 labels stay for good
    paper, _ = run(config.replace(revote=False, output_dir=str(tmp_path / "p")), Flipping)
    assert paper.results["pseudo_labels"]["per_class"]["a_dark"] == 12


def test_label_spreading_keeps_round_one_s_mistakes_out(colour_dataset, tmp_path):
    """Round 1 votes every unlabelled image dark; their colours say otherwise, so only the dark
    ones are accepted and the log and results.json say why the others were not."""
    config = config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"], threshold=0.5,
                        label_spreading=True, class_balance=False, max_rounds=1)
    result, messages = run(config, Flipping)
    first = result.results["rounds"][0]
    assert first["accepted_per_class"] == {"a_dark": 4, "b_mid": 0, "c_bright": 0}
    assert first["left_out_by_label_spreading"] == {"a_dark": 8}
    assert any("8 more above the threshold left out because label spreading" in m for m in messages)
    with open(tmp_path / "o" / "pseudo_labels.csv", newline="") as f:
        assert {row["file"] for row in csv.DictReader(f)} == {f"unlabelled/u_{i:02d}.png" for i in (0, 3, 6, 9)}
    with open(tmp_path / "o" / "rounds" / "round-1_votes.csv", newline="") as f:   # each image's second opinion
        spread = {row["file"]: row["label_spreading"] for row in csv.DictReader(f)}
    assert spread == {f"unlabelled/u_{i:02d}.png": ["a_dark", "b_mid", "c_bright"][i % 3] for i in range(12)}
    # without it, all twelve go in as dark
    plain, _ = run(config_for(colour_dataset, tmp_path / "p", process="IDD", networks=["ResNet18"], threshold=0.5,
                              class_balance=False, max_rounds=1), Flipping)
    assert plain.results["rounds"][0]["accepted"] == 12
    assert "left_out_by_label_spreading" not in plain.results["rounds"][0]


def test_calibration_and_automatic_transforms_are_recorded(colour_dataset, tmp_path):
    config = config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"], threshold=0.5,
                        transforms="auto", calibrate=True, class_balance=True)
    result, messages = run(config)
    results = result.results
    choice = results["transforms_chosen"]
    assert choice["steps"][0]["added"] == "Original" and len(choice["steps"][1]["tried"]) == 10
    assert set(choice["chosen"]) <= set(choice["steps"][1]["tried"])
    assert any(m.startswith("Transforms chosen on the validation images") for m in messages)
    assert "ResNet18" in results["rounds"][0]["temperatures"]
    saved = json.loads((tmp_path / "o" / "run_state.json").read_text())
    assert saved["transform_choice"] == choice


def test_a_run_leaves_png_figures_and_one_self_contained_report(colour_dataset, tmp_path):
    result, _ = run(config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"], threshold=0.3))
    results = result.results
    assert results["figures"] == ["figures/samples.png", "figures/confusion.png", "figures/pseudo_labels.png",
                                  "figures/confidence.png"]
    for name in results["figures"]:
        assert (tmp_path / "o" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (tmp_path / "o" / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 4 and "src=\"http" not in report
    assert "Every candidate" in report and "Pseudo-labelling rounds" in report and results["verdict"][:20] in report

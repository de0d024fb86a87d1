"""The loop, for all seven processes, with a fake trainer (fast): rounds, stop rules, pseudo-labels,
checkpoints and resuming."""
import csv
import json

import numpy as np
import pytest

from atlass_runtime import PROCESSES, RunConfig
from atlass_runtime.errors import ConfigError, DatasetError, ResumeError, SkippedFilesWarning
from atlass_runtime.workflow import Workflow, run_workflow
from fakes import FakeTrainer


def config_for(dataset, output, **changes):
    return RunConfig(dataset_dir=str(dataset), output_dir=str(output), image_size=16, **changes)


def run(config, trainer=FakeTrainer, **kwargs):
    messages = []
    result = run_workflow(config, trainer_factory=trainer, log=messages.append, **kwargs)
    return result, messages


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("code", list(PROCESSES))
def test_every_process_runs_its_rounds_and_trains_the_right_models(code, colour_dataset, tmp_path):
    config = config_for(colour_dataset, tmp_path / "out", process=code)
    result, messages = run(config)
    results = result.results
    process = PROCESSES[code]
    rounds = results["rounds"]
    n_networks = len(config.networks)
    if not process.distills:
        assert rounds == [] and results["stop_reason"] == "no distillation"
        assert results["models_trained"] == n_networks
    else:
        assert 1 <= len(rounds) <= config.max_rounds
        reused = rounds[-1]["accepted"] == 0
        assert results["models_trained"] == n_networks * (len(rounds) + (0 if reused else 1))
    fewest, most = process.models_trained(n_networks, config.max_rounds)   # what the wizard promises
    assert fewest <= results["models_trained"] <= most
    # each round asked every (model, transform) pair
    assert results["pseudo_labels"]["total"] == sum(r["accepted"] for r in rounds)
    pseudo = read_csv(result.pseudo_labels_path)
    assert len(pseudo) == results["pseudo_labels"]["total"]
    assert all(row["file"].startswith("unlabelled/") for row in pseudo)
    assert {c["network"] for c in results["candidates"]} == set(config.networks)
    assert results["selected"]["network"] in config.networks
    assert results["dataset"]["split"] == {"train": 15, "valid": 3, "test": 6}
    assert json.loads(result.results_path.read_text())["selected"] == results["selected"]


def test_pairs_are_models_times_views(colour_dataset, tmp_path):
    seen = []

    class Counting(FakeTrainer):
        def predict(self, model, images):
            seen.append((model.network, len(images)))
            return super().predict(model, images)

    config = config_for(colour_dataset, tmp_path / "o", process="MDD", networks=["ResNet18", "ResNet34"],
                        transforms=["H Flip", "Gamma"])
    run(config, Counting)
    voting_calls = [s for s in seen if s[1] == 12]          # the 12 unlabelled images
    assert len(voting_calls) == 2 * 3                        # 2 models x (original + 2 transforms)


class Unsure(FakeTrainer):
    """Never confident: uniform probabilities."""
    def predict(self, model, images):
        return np.full((len(images), len(self.classes)), 1 / len(self.classes), np.float32)


class OneAtATime(FakeTrainer):
    """Confident about exactly one image per call (the first one), always of the first class (so
    with class balance on, round 2 accepts nothing: tests of the rounds turn it off)."""
    def predict(self, model, images):
        p = np.full((len(images), len(self.classes)), 0.0, np.float32)
        p[:, 0] = 0.5
        p[:, 1] = 0.5
        if len(images):
            p[0] = [0.95, 0.05, 0.0]
        return p


def test_stop_when_no_image_is_accepted_and_reuse_those_models(colour_dataset, tmp_path):
    config = config_for(colour_dataset, tmp_path / "o", process="IMD", networks=["ResNet18", "ResNet34"])
    result, _ = run(config, Unsure)
    assert result.results["stop_reason"] == "no image was accepted in round 1"
    assert result.results["models_trained"] == 2     # the final models are round 1's: same data


def test_stop_at_the_round_limit(colour_dataset, tmp_path):
    config = config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"],
                        transforms=["V Flip"], max_rounds=3, class_balance=False)
    result, _ = run(config, OneAtATime)
    results = result.results
    assert [r["accepted"] for r in results["rounds"]] == [1, 1, 1]
    assert results["stop_reason"] == "the limit of 3 round(s) was reached"
    assert results["models_trained"] == 3 + 1
    assert [int(r["round"]) for r in read_csv(result.pseudo_labels_path)] == [1, 2, 3]


def test_class_balance_holds_over_the_rounds(colour_dataset, tmp_path):
    """One confident image a round, always of the first class: it may hold its third of the
    pseudo-labels, so round 2 accepts nothing and the run stops."""
    config = config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"],
                        transforms=["V Flip"], max_rounds=3)
    result, messages = run(config, OneAtATime)
    results = result.results
    assert [r["accepted"] for r in results["rounds"]] == [1, 0]
    assert results["rounds"][1]["held_back_by_balance"] == {"a_dark": 1}
    assert "held_back_by_balance" not in results["rounds"][0]
    assert results["stop_reason"] == ("no image was accepted in round 2 "
                                      "(1 above the threshold held back by class balance)")
    assert any("1 more above the threshold held back by class balance (a_dark: 1)" in m for m in messages)


def test_stop_when_every_unlabelled_image_is_labelled(colour_dataset, tmp_path):
    result, _ = run(config_for(colour_dataset, tmp_path / "o", process="IMDD", networks=["ResNet18"],
                               threshold=0.0))
    assert result.results["stop_reason"] == "no unlabelled images left"
    assert result.results["pseudo_labels"]["total"] == 12
    assert len(result.results["rounds"]) == 1


def test_pseudo_labels_join_training_but_never_validation_or_test(colour_dataset, tmp_path):
    class Recording(FakeTrainer):
        sizes = []

        def train(self, network, train, valid):
            Recording.sizes.append((len(train), len(valid)))
            return super().train(network, train, valid)

    run(config_for(colour_dataset, tmp_path / "o", process="IDD", threshold=0.0, networks=["ResNet18"]),
        Recording)
    assert Recording.sizes == [(15, 3), (15 + 12, 3)]


def test_nd_leaves_unlabelled_images_aside(colour_dataset, tmp_path):
    result, messages = run(config_for(colour_dataset, tmp_path / "o", process="ND", networks=["ResNet18"]))
    assert result.results["dataset"]["unlabelled"] == 0
    assert any("12 unlabelled image(s) left aside" in m for m in messages)


def test_select_on_test_is_honoured(colour_dataset, tmp_path):
    class TestFavoursSecond(FakeTrainer):
        def predict(self, model, images):
            p = super().predict(model, images)
            if model.network == "ResNet34" and len(images) == 6:     # the test split
                return p
            if model.network == "ResNet18" and len(images) == 3:     # the validation split
                return p
            return np.roll(p, 1, axis=1)                             # wrong elsewhere

    for select_on, expected in (("validation", "ResNet18"), ("test", "ResNet34")):
        result, _ = run(config_for(colour_dataset, tmp_path / select_on, process="ND",
                                   networks=["ResNet18", "ResNet34"], select_on=select_on), TestFavoursSecond)
        assert result.results["selected"]["network"] == expected


class Killed(Exception):
    pass


def crashing_after(n):
    class Crashing(FakeTrainer):
        count = 0

        def train(self, network, train, valid):
            if Crashing.count >= n:
                raise Killed()
            Crashing.count += 1
            return super().train(network, train, valid)
    return Crashing


def test_a_killed_run_resumes_without_retraining(colour_dataset, tmp_path):
    kwargs = dict(process="IMDD", networks=["ResNet18", "ResNet34"], max_rounds=3,
                  class_balance=False)      # OneAtATime is sure of one class only
    uninterrupted, _ = run(config_for(colour_dataset, tmp_path / "a", **kwargs), OneAtATime)
    total = uninterrupted.results["models_trained"]
    assert total == 2 * 3 + 2

    class CrashingOne(OneAtATime, crashing_after(3)):
        pass

    config = config_for(colour_dataset, tmp_path / "b", **kwargs)
    with pytest.raises(Killed):
        run(config, CrashingOne)                            # dies while training in round 2
    state = json.loads((tmp_path / "b" / "run_state.json").read_text())
    assert len(state["trained"]) == 3 and len(state["rounds"]) == 1

    trained_again = []

    class Counting(OneAtATime):
        def train(self, network, train, valid):
            trained_again.append(network)
            return super().train(network, train, valid)

    resumed, messages = run(config, Counting)
    assert resumed.results["models_trained"] == total
    assert len(trained_again) == total - 3
    assert resumed.results["resumed"] is True
    assert any(m.startswith("Resuming the run") for m in messages)
    assert read_csv(resumed.pseudo_labels_path) == read_csv(uninterrupted.pseudo_labels_path)
    assert resumed.results["candidates"] == uninterrupted.results["candidates"]


def test_resuming_with_other_settings_is_refused_unless_restarting(colour_dataset, tmp_path):
    run(config_for(colour_dataset, tmp_path / "o", process="ND", networks=["ResNet18"]))
    other = config_for(colour_dataset, tmp_path / "o", process="ND", networks=["ResNet18"], seed=9)
    with pytest.raises(ResumeError, match="seed: 42 -> 9"):
        run(other)
    result, _ = run(other, restart=True)
    assert result.results["resumed"] is False


def test_a_kill_right_after_a_round_is_saved_does_not_add_a_round(colour_dataset, tmp_path):
    """The round and the stop rule it triggers are one saved step."""
    config = config_for(colour_dataset, tmp_path / "o", process="IMD", networks=["ResNet18", "ResNet34"])

    def dies_after_round_one(message):
        if message.startswith("Round 1: 0 of"):           # logged after the round was saved
            raise Killed()

    with pytest.raises(Killed):
        run_workflow(config, trainer_factory=Unsure, log=dies_after_round_one)
    resumed, _ = run(config, Unsure)
    assert len(resumed.results["rounds"]) == 1
    assert resumed.results["stop_reason"] == "no image was accepted in round 1"
    assert resumed.results["models_trained"] == 2


def test_a_refused_resume_leaves_the_old_run_untouched(colour_dataset, tmp_path):
    run(config_for(colour_dataset, tmp_path / "o", process="ND", networks=["ResNet18"]))
    before = {f.name: f.read_bytes() for f in (tmp_path / "o").iterdir() if f.is_file()}
    with pytest.raises(ResumeError):
        run(config_for(colour_dataset, tmp_path / "o", process="ND", networks=["ResNet18"], seed=9))
    after = {f.name: f.read_bytes() for f in (tmp_path / "o").iterdir() if f.is_file()}
    assert after == before


def test_an_output_folder_inside_the_dataset_is_refused(colour_dataset):
    with pytest.raises(ConfigError, match="output_dir: .* inside the dataset folder"):
        run(config_for(colour_dataset, colour_dataset / "results", process="ND", networks=["ResNet18"]))
    assert not (colour_dataset / "results").exists()


def test_a_single_category_is_refused(colour_dataset, tmp_path):
    for name in ("b_mid", "c_bright"):
        for f in (colour_dataset / name).iterdir():
            f.rename(colour_dataset / "unlabelled" / f"{name}_{f.name}")
        (colour_dataset / name).rmdir()
    with pytest.raises(DatasetError, match="at least two categories.*only 'a_dark'"):
        run(config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"]))


def test_a_changed_dataset_is_a_new_run_in_a_new_folder(colour_dataset, tmp_path):
    """Labels reviewed or added since: the same command trains anew, beside the earlier run."""
    config = config_for(colour_dataset, tmp_path / "o", process="ND", networks=["ResNet18"])
    first, _ = run(config)
    before = (tmp_path / "o" / "results.json").read_bytes()
    (colour_dataset / "a_dark" / "a_dark_0.png").rename(colour_dataset / "b_mid" / "moved.png")
    again, messages = run(config)
    assert again.output_dir == tmp_path / "o-2" and (tmp_path / "o-2" / "results.json").is_file()
    assert any("different set of images" in m and "new run, in" in m for m in messages)
    assert (tmp_path / "o" / "results.json").read_bytes() == before        # the earlier run is kept
    assert again.results["dataset"]["labelled_per_class"]["b_mid"] == 9


def test_unreadable_files_are_listed_in_a_warning_and_left_out(colour_dataset, tmp_path):
    (colour_dataset / "a_dark" / "broken.png").write_bytes(b"\x89PNG not really")
    (colour_dataset / "unlabelled" / "empty.jpg").write_bytes(b"")
    with pytest.warns(SkippedFilesWarning) as caught:
        result, _ = run(config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"]))
    message = str(caught[0].message)
    assert "broken.png" in message and "empty.jpg" in message and "2 file(s)" in message
    skipped = read_csv(tmp_path / "o" / "skipped_files.csv")
    assert sorted(r["file"] for r in skipped) == ["a_dark/broken.png", "unlabelled/empty.jpg"]
    assert result.results["dataset"]["labelled_per_class"]["a_dark"] == 8


def test_stages_can_be_called_one_by_one(colour_dataset, tmp_path):
    workflow = Workflow(config_for(colour_dataset, tmp_path / "o", process="IDD", networks=["ResNet18"],
                                   class_balance=False),
                        trainer_factory=OneAtATime, log=lambda m: None)
    rounds = workflow.pseudo_label()
    assert len(rounds) == 5
    finals = workflow.train_final()
    assert list(finals) == ["ResNet18"]
    result = workflow.evaluate_and_export()
    assert (result.model_dir / "model.json").is_file()


def test_a_process_without_distillation_says_it_left_the_unlabelled_images_aside(colour_dataset, tmp_path):
    result, messages = run(config_for(colour_dataset, tmp_path / "out", process="ND"))
    assert result.results["dataset"]["unlabelled"] == 0
    assert result.results["dataset"]["unlabelled_left_aside"] == 12
    assert any("12 unlabelled image(s) left aside" in m for m in messages)
    assert "Unlabelled images: 12, left aside (ND does not use them)." in result.report_path.read_text(encoding="utf-8")

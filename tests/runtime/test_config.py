import json

import pytest

from atlass_runtime import PROCESSES, ConfigError, RunConfig


@pytest.mark.parametrize("code", list(PROCESSES))
def test_each_process_gets_the_papers_defaults(code):
    config = RunConfig(process=code)
    process = PROCESSES[code]
    assert config.networks == list(process.default_networks)
    assert config.transforms == list(process.default_transforms)
    assert config.threshold == (0.8 if process.iterative else 0.0)
    assert config.max_rounds == (5 if process.iterative else (1 if process.distills else 0))


def test_paper_defaults_by_name():
    assert RunConfig(process="IDD").networks == ["ResNet50"]
    assert RunConfig(process="IMDD").networks == ["ResNet34", "ResNet50", "ResNet101", "DenseNet121"]
    assert RunConfig(process="MDD").transforms == ["H Flip", "V Flip", "H+V Flip", "Blurring", "Gamma"]
    assert RunConfig(process="MD").transforms == []


def test_json_round_trip_is_exact(tmp_path):
    config = RunConfig(process="imdd", networks=["resnet18", "densenet121"], transforms=["h flip", "gamma"],
                       threshold=0.7, epochs_frozen=1, epochs_unfrozen=3, image_size=64, seed=3)
    path = tmp_path / "config.json"
    config.write_json(path)
    again = RunConfig.from_json(path)
    assert again == config
    assert again.to_json() == path.read_text(encoding="utf-8")
    assert again.networks == ["ResNet18", "DenseNet121"]      # names as users see them
    assert again.transforms == ["H Flip", "Gamma"]
    assert json.loads(path.read_text())["process"] == "IMDD"


def test_unknown_key_is_named():
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict({"process": "ND", "treshold": 0.5})
    assert info.value.field == "treshold"
    assert "threshold" in str(info.value)  # the known names are listed


@pytest.mark.parametrize("changes, field, hint", [
    ({"process": "XYZ"}, "process", "IMDD"),
    ({"vote": "majority"}, "vote", "hard, soft"),
    ({"threshold": 1.5}, "threshold", "0.0 to 1.0"),
    ({"process": "IDD", "networks": ["ResNet18", "ResNet34"]}, "networks", "exactly one"),
    ({"process": "MD", "transforms": ["H Flip"]}, "transforms", "no test-time transforms"),
    ({"process": "DD", "threshold": 0.5}, "threshold", "iterative"),
    ({"process": "IDD", "transforms": []}, "transforms", "at least one"),
    ({"networks": ["ResNet18", "resnet18"]}, "networks", "twice"),
    ({"networks": ["Not A Net!"]}, "networks", "ResNet18"),
    ({"transforms": ["Sepia"]}, "transforms", "Gaussian Blur"),
    ({"image_size": 8}, "image_size", "16 to 2048"),
    ({"batch_size": "many"}, "batch_size", "number"),
    ({"epochs_frozen": 0, "epochs_unfrozen": 0}, "epochs_unfrozen", "at least one epoch"),
    ({"valid_fraction": 0.5, "test_fraction": 0.5}, "test_fraction", "training"),
    ({"pretrained": "maybe"}, "pretrained", "true or false"),
    ({"select_on": "train"}, "select_on", "validation, test"),
    ({"process": "MD", "max_rounds": 3}, "max_rounds", "exactly 1"),
    ({"seed": 1.5}, "seed", "whole number"),
])
def test_bad_values_name_the_field_and_what_is_allowed(changes, field, hint):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(changes)
    assert info.value.field == field
    assert hint in str(info.value)


def test_text_values_from_flags_are_converted():
    config = RunConfig.from_dict({"process": "IMD", "networks": "resnet18,ResNet34", "threshold": "0.9",
                                  "max_rounds": "2", "pretrained": "false", "image_size": "64"})
    assert config.networks == ["ResNet18", "ResNet34"]
    assert (config.threshold, config.max_rounds, config.pretrained, config.image_size) == (0.9, 2, False, 64)


def test_replace_with_another_process_takes_its_defaults():
    config = RunConfig(process="IMDD", threshold=0.9, seed=5)
    nd = config.replace(process="ND")
    assert nd.transforms == [] and nd.threshold == 0.0 and nd.max_rounds == 0
    assert nd.seed == 5


def test_fingerprint_ignores_paths_only():
    a = RunConfig(dataset_dir="a", output_dir="x")
    b = RunConfig(dataset_dir="b", output_dir="y")
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != RunConfig(seed=1).fingerprint()


def test_every_field_declares_its_help_and_wizard_page_and_numbers_their_bounds():
    from dataclasses import fields

    from atlass_runtime import RunConfig

    pages = {"process", "transforms", "networks", "threshold", "training", None}
    for f in fields(RunConfig):
        assert f.metadata.get("help"), f"{f.name}: no help text"
        assert "page" in f.metadata and f.metadata["page"] in pages, f"{f.name}: no wizard page (None: none)"
        numeric = f.type in ("int", "float", "int | None", "float | None")
        assert ("bounds" in f.metadata) == numeric, f"{f.name}: numbers declare (low, high), others do not"
    low, high = RunConfig.bounds("seed")
    assert RunConfig(seed=high).seed == high
    with pytest.raises(ConfigError, match="out of range"):
        RunConfig(seed=high + 1)


@pytest.mark.parametrize("changes", [
    {},
    {"process": "IDD", "class_balance": False, "revote": True, "candidates": "pseudo-labelled"},
    {"process": "MDD", "transforms": ["auto"], "calibrate": True, "image_size": 96, "seed": 7},
    {"process": "ND", "recipe": "paper", "epochs_frozen": 1, "epochs_unfrozen": 3, "pretrained": False},
    {"process": "IMD", "recipe": "quick", "threshold": 0.65, "max_rounds": 2, "vote": "soft"},
])
def test_config_as_flags_reads_back_to_the_same_config(changes):
    import argparse

    from atlass_runtime.config_cli import add_config_arguments, config_as_flags, config_from_args

    config = RunConfig(**changes)
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    flags = config_as_flags(config)
    assert config_from_args(parser.parse_args(flags)) == config
    assert len(flags) <= 2 + 2 * len(changes)          # only what differs from the defaults


# A value the user might set for each setting a process can deny (the process's default is kept
# otherwise): the process's `settable` and RunConfig's validation must agree.
DENIABLE = {"transforms": ["H Flip"], "threshold": 0.5, "max_rounds": 3, "revote": True,
            "class_balance": True, "calibrate": True, "label_spreading": True}


@pytest.mark.parametrize("code", list(PROCESSES))
def test_a_setting_the_process_does_not_let_you_set_is_refused(code):
    process = PROCESSES[code]
    for name, value in DENIABLE.items():
        if process.settable(name):
            RunConfig(process=code, **{name: value})              # accepted
        else:
            with pytest.raises(ConfigError) as caught:
                RunConfig(process=code, **{name: value})
            assert caught.value.field == name


def test_the_steps_of_a_process_say_what_it_does():
    assert len(PROCESSES["ND"].steps()) == 4 and "unlabelled images are not used" in PROCESSES["ND"].steps()[1]
    imdd = PROCESSES["IMDD"].steps()
    assert len(imdd) == 5 and "transformed versions" in imdd[1] and "repeat" in imdd[1]
    assert "transformed" not in PROCESSES["MD"].steps()[1] and "Every voted label" in PROCESSES["MD"].steps()[1]


def test_the_help_states_the_defaults_decided_elsewhere():
    from dataclasses import fields

    from atlass_runtime.config import SELF_TRAINING_DEFAULTS
    from atlass_runtime.recipes import RECIPES

    helps = {f.name: f.metadata["help"] for f in fields(RunConfig)}
    iterative = PROCESSES["IMDD"]
    assert f"default {iterative.default_threshold:g})" in helps["threshold"]
    assert f"default {iterative.default_max_rounds})" in helps["max_rounds"]
    assert ", ".join(iterative.default_transforms) in helps["transforms"]
    assert f"lp-ft {RECIPES['lp-ft'].epochs_unfrozen}" in helps["epochs_unfrozen"]
    assert f"paper {RECIPES['paper'].epochs_frozen}" in helps["epochs_frozen"]
    for name, on in SELF_TRAINING_DEFAULTS.items():
        assert f"default {'on' if on else 'off'}" in helps[name]

"""The wizard's decisions without any widget: pages per process, processes per dataset, cost,
preview images, the RunConfig written through the model, the equivalent `atlass export`."""
from __future__ import annotations

import argparse
import shlex

import numpy as np
import pytest

from atlass_runtime import PROCESSES, RunConfig
from atlass_runtime.config_cli import add_config_arguments, config_from_args
from atlass_runtime.imageio import network_image
from atlass_project import inspect_dataset
from wizard_ui_helpers import EXPECTED_PAGES

from wizard import cost as costs
from wizard import pages, plan
from wizard.plan import WizardModel


@pytest.mark.parametrize("process", list(PROCESSES))
def test_each_process_gets_its_pages_in_order(process):
    assert pages.pages_for(process) == EXPECTED_PAGES[process]
    walked, page = [], "dataset"
    while page:
        walked.append(page)
        page = pages.next_page(page, process)
    assert walked == EXPECTED_PAGES[process]


def test_the_next_page_of_a_page_the_process_skips_is_the_following_one_it_uses():
    assert pages.next_page("transforms", "IMD") == "networks"
    assert pages.next_page("threshold", "MDD") == "training"


def test_without_unlabelled_images_only_no_distillation_is_available():
    assert [c.code for c in pages.process_choices(False) if c.available] == ["ND"]
    assert [c.code for c in pages.process_choices(True) if c.available] == list(PROCESSES)
    assert all(c.explanation for c in pages.process_choices(True))


@pytest.mark.parametrize("process, networks, rounds, expected", [
    ("ND", ["ResNet18", "ResNet34", "ResNet50"], None, (3, 3)),
    ("DD", ["ResNet50"], None, (2, 2)),
    ("IDD", ["ResNet50"], 5, (1, 6)),
    ("MD", ["ResNet18", "ResNet34"], None, (4, 4)),
    ("IMD", ["ResNet18", "ResNet34"], 3, (2, 8)),
    ("MDD", ["ResNet18", "ResNet34", "ResNet50", "DenseNet121"], None, (8, 8)),
    ("IMDD", ["ResNet18", "ResNet34", "ResNet50", "DenseNet121"], 5, (4, 24)),
])
def test_the_cost_counts_the_networks_each_process_trains(process, networks, rounds, expected):
    config = RunConfig(process=process, networks=networks, max_rounds=rounds, epochs_frozen=1, epochs_unfrozen=4)
    cost = costs.training_cost(config)
    assert (cost.fewest, cost.most) == expected
    assert cost.epochs == 5
    text = cost.text()
    assert f"{expected[1]} network" in text and "5 epochs" in text
    assert ("between" in text) == (expected[0] != expected[1])


def test_the_model_keeps_a_refused_value_pending_with_the_field_that_refused_it():
    model = WizardModel(config=RunConfig(process="IMDD"))
    assert model.set(transforms=[]).field == "transforms"
    assert model.error_for("transforms") == "process IMDD needs at least one transform"
    assert model.error_for("networks") is None
    assert model.config.transforms == ["H Flip", "V Flip", "H+V Flip", "Blurring", "Gamma"]   # unchanged
    assert model.set(valid_fraction=0.2).field == "transforms"     # still pending: still refused
    assert model.set(transforms=["Gamma"]) is None
    assert model.config.transforms == ["Gamma"] and model.config.valid_fraction == 0.2
    assert model.pending == {} and model.error is None


def test_going_back_forgets_a_refused_value():
    model = WizardModel(config=RunConfig(process="ND"))
    model.set(networks=[])
    model.discard_pending()
    assert model.error is None
    assert model.set(process="MD") is None
    assert model.config.networks == ["ResNet34", "ResNet50", "ResNet101", "DenseNet121"]


def test_a_dataset_without_unlabelled_images_switches_the_process_to_nd(labelled_dataset, mixed_dataset):
    model = WizardModel(labelled_dataset)
    assert model.config.process == "IMDD"           # RunConfig's default, as `atlass export`
    model.set_report(inspect_dataset(labelled_dataset))
    assert model.config.process == "ND" and not model.has_unlabelled
    assert model.zip_path == labelled_dataset.resolve().parent / "labelled only.zip"
    model.set_dataset(mixed_dataset)                # the default zip path follows the dataset
    assert model.report is None and model.zip_path is None
    model.set_report(inspect_dataset(mixed_dataset))
    assert model.zip_path == mixed_dataset.resolve().parent / "cells.zip"
    assert model.config.process == "ND"             # kept: the user can change it now
    assert model.has_unlabelled
    model = WizardModel(mixed_dataset, zip_path=mixed_dataset.parent / "chosen.zip")
    model.set_report(inspect_dataset(mixed_dataset))
    assert model.config.process == "IMDD" and model.zip_path == mixed_dataset.parent / "chosen.zip"
    model.set_dataset(labelled_dataset)             # a path the user chose stays
    assert model.zip_path == mixed_dataset.parent / "chosen.zip"


def test_preview_candidates_start_with_unlabelled_images_then_one_per_category(mixed_dataset):
    report = inspect_dataset(mixed_dataset)
    candidates = plan.preview_candidates(report)
    assert [p.parent.name for p in candidates] == ["unlabelled"] * 10 + ["G1", "G2", "S"]
    assert plan.preview_candidates(None) == []


def test_previews_are_the_network_image_under_each_transform(mixed_dataset):
    tiff = mixed_dataset / "unlabelled" / "u_00.tif"
    views = plan.transform_previews(tiff, 32)
    original = network_image(tiff, 32)
    assert list(views)[0] == "Original" and len(views) == 11
    assert all(v.shape == (32, 32, 3) and v.dtype == np.uint8 for v in views.values())
    assert np.array_equal(views["Original"], original)
    assert np.array_equal(views["H Flip"], original[:, ::-1])
    assert np.array_equal(views["V Flip"], original[::-1])
    assert not np.array_equal(views["Blurring"], original)


def test_zip_path_problems_are_said_in_words(tmp_path):
    assert plan.zip_path_problem("") == "choose where the zip goes"
    assert "end in .zip" in plan.zip_path_problem(str(tmp_path / "project.tar"))
    (tmp_path / "folder.zip").mkdir()
    assert "folder" in plan.zip_path_problem(str(tmp_path / "folder.zip"))
    assert plan.zip_path_problem(str(tmp_path / "new" / "deeper" / "project.zip")) is None


def _export_config(command: list[str]) -> RunConfig:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset")
    parser.add_argument("-o")
    add_config_arguments(parser)
    return config_from_args(parser.parse_args(command[2:]), dataset_dir="dataset")


@pytest.mark.parametrize("changes", [
    {"process": "ND"},
    {"process": "IDD", "networks": ["DenseNet121"], "transforms": ["Median Blur", "2D-Filter"], "threshold": 0.95},
    {"process": "IMDD", "max_rounds": 2, "epochs_frozen": 1, "epochs_unfrozen": 3, "pretrained": False,
     "valid_fraction": 0.2, "vote": "soft", "select_on": "test", "mixed_precision": False, "seed": 7},
])
def test_the_equivalent_export_command_gives_the_same_config(changes):
    config = RunConfig(dataset_dir="dataset").replace(**changes)
    command = plan.export_command(config, "my cells", "out/project.zip")
    assert command[:6] == ["atlass", "export", "my cells", "-o", "out/project.zip", "--process"]
    assert _export_config(command).to_json() == config.to_json()
    assert shlex.split(plan.shell_text(command)) == command


def test_the_summary_names_what_will_run(mixed_dataset):
    model = WizardModel(mixed_dataset)
    model.set_report(inspect_dataset(mixed_dataset))
    model.set(process="IDD", networks=["ResNet18"], threshold=0.9, max_rounds=3)
    lines = dict(model.summary())
    assert "24 labelled and 10 unlabelled images" in lines["Dataset"]
    assert lines["Network"] == "ResNet18"
    assert "0.9" in lines["Threshold"] and "3 round" in lines["Threshold"]
    assert "between 1 and 4 networks" in lines["Cost"]

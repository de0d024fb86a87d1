"""The CLI only turns options into one call: patch that call and check what it received."""

import pytest

import atlass_runtime.workflow as workflow
from atlass_cli.main import main


class Captured(Exception):
    pass


@pytest.fixture
def captured(monkeypatch):
    calls = {}

    def fake_run(config, log=print, restart=False, **kwargs):
        calls.update(config=config, restart=restart)
        raise Captured()

    monkeypatch.setattr(workflow, "run_workflow", fake_run)
    return calls


def test_train_flags_become_a_run_config(captured, tmp_path):
    with pytest.raises(Captured):
        main(["train", str(tmp_path / "ds"), "-o", str(tmp_path / "out"), "--process", "imd",
              "--networks", "resnet18,ResNet34", "--epochs", "1,3", "--no-pretrained", "--size", "64",
              "--threshold", "0.9", "--vote", "soft", "--restart"])
    config = captured["config"]
    assert (config.process, config.networks, config.epochs, config.pretrained) == (
        "IMD", ["ResNet18", "ResNet34"], (1, 3), False)
    assert (config.image_size, config.threshold, config.vote) == (64, 0.9, "soft")
    assert config.dataset_dir == str(tmp_path / "ds") and config.output_dir == str(tmp_path / "out")
    assert captured["restart"] is True


def test_config_file_then_flags(captured, tmp_path):
    settings = tmp_path / "run.yaml"
    settings.write_text("process: IDD\nnetworks: [ResNet18]\nthreshold: 0.7\nseed: 3\n")
    with pytest.raises(Captured):
        main(["train", "ds", "-o", "out", "--config", str(settings), "--seed", "11"])
    config = captured["config"]
    assert (config.process, config.networks, config.threshold, config.seed) == ("IDD", ["ResNet18"], 0.7, 11)


def test_bad_settings_exit_with_the_field_named(capsys):
    assert main(["train", "ds", "-o", "out", "--process", "IDD", "--networks", "ResNet18,ResNet34"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: --networks:") and "exactly one" in err


def test_unknown_key_in_a_config_file(capsys, tmp_path):
    settings = tmp_path / "run.json"
    settings.write_text('{"process": "ND", "epoch": 3}')
    assert main(["train", "ds", "-o", "out", "--config", str(settings)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: config: ") and "run.json: epoch: unknown setting" in err


def test_predict_with_something_that_is_not_a_model(capsys, tmp_path):
    assert main(["predict", str(tmp_path), str(tmp_path)]) == 1
    assert "not an exported ATLASS model" in capsys.readouterr().err


def test_train_on_a_missing_folder_says_so(capsys, tmp_path):
    assert main(["train", str(tmp_path / "nowhere"), "-o", str(tmp_path / "o"), "--process", "ND"]) == 1
    assert "does not exist" in capsys.readouterr().err

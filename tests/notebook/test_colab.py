"""The notebook's set-up helpers: what is missing, installing without touching PyTorch, Drive."""
from __future__ import annotations

import importlib.metadata
import subprocess
import zipfile

import pytest

from atlass_runtime import colab


def requirements(tmp_path, text):
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_module_names_of_distributions():
    assert colab.module_of("opencv-python-headless") == "cv2"
    assert colab.module_of("scikit-learn") == "sklearn"
    assert colab.module_of("Pillow") == "PIL"
    assert colab.module_of("fastai") == "fastai" and colab.module_of("plum_dispatch") == "plum_dispatch"


def test_only_what_cannot_be_imported_is_missing(tmp_path):
    path = requirements(tmp_path, "numpy==0.0.1\nscikit-learn==9.9\nsurely-not-a-real-package-xyz==1.0\n")
    assert colab.missing_requirements(path) == ["surely-not-a-real-package-xyz==1.0"]


def test_install_keeps_the_installed_torch(tmp_path):
    path = requirements(tmp_path, "torch==1.0\nsurely-not-a-real-package-xyz==1.0\n")
    commands = []

    def runner(command):
        constraints = command[command.index("-c") + 1]
        commands.append((command, open(constraints, encoding="utf-8").read()))

    installed = colab.install_missing_requirements(path, runner=runner)
    assert installed == ["surely-not-a-real-package-xyz==1.0"]
    (command, constraints), = commands
    assert command[1:4] == ["-m", "pip", "install"] and command[-1] == "surely-not-a-real-package-xyz==1.0"
    assert "torch==1.0" not in command                                     # torch is importable: not installed
    assert f"torch=={importlib.metadata.version('torch')}" in constraints   # and pinned to what is there


def test_a_pin_pip_cannot_find_is_retried_without_it(tmp_path, capsys):
    path = requirements(tmp_path, "surely-not-a-real-package-xyz==1.0\n")
    commands = []

    def runner(command):
        commands.append(command)
        if len(commands) == 1:
            raise subprocess.CalledProcessError(1, command)

    colab.install_missing_requirements(path, runner=runner)
    assert [c[-1] for c in commands] == ["surely-not-a-real-package-xyz==1.0", "surely-not-a-real-package-xyz"]
    assert "not available" in capsys.readouterr().out


@pytest.fixture
def old_fastai(monkeypatch):
    """fastai 2.7 installed (Colab's, for a while), everything else as it is here."""
    real = colab.installed_version
    monkeypatch.setattr(colab, "installed_version", lambda name: "2.7.19" if name == "fastai" else real(name))


def test_a_fastai_too_old_is_upgraded_with_its_companions_but_torch_kept(tmp_path, old_fastai, capsys):
    path = requirements(tmp_path, "fastai==2.8.12\nfastcore==1.8.14\nfasttransform==0.0.2\ntorch==1.0\nnumpy==1.0\n")
    commands = []

    def runner(command):
        constraints = command[command.index("-c") + 1]
        commands.append((command, open(constraints, encoding="utf-8").read()))

    installed = colab.install_missing_requirements(path, runner=runner)
    assert installed == ["fastai==2.8.12", "fastcore==1.8.14", "fasttransform==0.0.2"]
    (command, constraints), = commands
    assert command[-3:] == installed and not any(c.startswith(("torch", "numpy")) for c in command)
    assert f"torch=={importlib.metadata.version('torch')}" in constraints
    assert "fastai 2.7.19 is installed" in capsys.readouterr().out


def test_an_upgrade_without_its_pins_stays_in_the_supported_range(tmp_path, old_fastai):
    path = requirements(tmp_path, "fastai==2.8.12\nfastcore==1.8.14\n")
    commands = []

    def runner(command):
        commands.append(command)
        if len(commands) == 1:
            raise subprocess.CalledProcessError(1, command)

    colab.install_missing_requirements(path, runner=runner)
    assert commands[1][-3:] == ["fastai>=2.8,<2.9", "fastcore", "fasttransform"]


def test_a_recent_enough_fastai_is_kept(tmp_path, monkeypatch):
    real = colab.installed_version
    monkeypatch.setattr(colab, "installed_version", lambda name: "2.8.1" if name == "fastai" else real(name))
    assert colab.outdated_requirements(requirements(tmp_path, "fastai==2.8.12\n")) == []
    monkeypatch.setattr(colab, "installed_version", lambda name: None if name == "fastai" else real(name))
    assert colab.outdated_requirements(requirements(tmp_path, "fastai==2.8.12\n")) == []   # missing: not "old"


def test_nothing_to_install(tmp_path, capsys):
    def runner(command):
        raise AssertionError("pip must not run")

    assert colab.install_missing_requirements(requirements(tmp_path, "numpy\n"), runner=runner) == []
    assert "already installed" in capsys.readouterr().out


def test_output_on_drive(tmp_path, monkeypatch):
    drive = tmp_path / "drive"
    (drive / "MyDrive").mkdir(parents=True)
    project = tmp_path / "content" / "cells"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    target = colab.output_on_drive("atlass_output", drive=str(drive))
    assert target == str(drive / "MyDrive" / "ATLASS" / "cells" / "atlass_output")
    assert (drive / "MyDrive" / "ATLASS" / "cells" / "atlass_output").is_dir()
    assert colab.output_on_drive("/already/absolute", drive=str(drive)) == "/already/absolute"


def test_results_zip_leaves_checkpoints_out(tmp_path):
    output = tmp_path / "atlass_output"
    (output / "checkpoints").mkdir(parents=True)
    (output / "checkpoints" / "round-1_ResNet18.pth").write_bytes(b"big")
    (output / "model").mkdir()
    (output / "model" / "model.onnx").write_bytes(b"onnx")
    (output / "results.json").write_text("{}")
    with zipfile.ZipFile(colab.results_zip(output)) as archive:
        assert sorted(archive.namelist()) == ["atlass_output/model/model.onnx", "atlass_output/results.json"]


def test_device_and_colab_detection(capsys):
    import torch

    assert colab.in_colab() is False
    device = colab.describe_device()
    assert device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert ("GPU found" if device == "cuda" else "No GPU found") in capsys.readouterr().out


@pytest.mark.parametrize("module", ["atlass_runtime.colab", "atlass_runtime.notebook_display"])
def test_notebook_helpers_import_neither_jinja_nor_qt_nor_the_wizard(module):
    import sys

    code = (f"import sys, {module}; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('jinja2', 'PySide6', 'wizard', 'annotator', 'atlass_cli')]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

"""Bad input at the command line: one clear line naming the file or flag and what to do, exit
code 1, never a Python traceback (each case is a real `atlass` subprocess)."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from helpers import write_png

ATLASS = [sys.executable, "-m", "atlass_cli.main"]


def atlass(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(ATLASS + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=600)


def refused(result, *phrases) -> str:
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "Traceback" not in text, text
    for phrase in phrases:
        assert phrase in text, text
    return text


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "cells"
    rng = np.random.default_rng(0)
    for name, level in (("dark", 50), ("bright", 200)):
        for i in range(6):
            write_png(root / name / f"{name}_{i}.png", np.clip(rng.normal(level, 10, (16, 16, 3)), 0, 255).astype(np.uint8))
    write_png(root / "unlabelled" / "u.png", rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
    return root


@pytest.fixture(scope="module")
def model(dataset, tmp_path_factory):
    """A real exported model, as fast as one can be made (the linear probe, random weights)."""
    out = tmp_path_factory.mktemp("run") / "out"
    result = atlass("train", dataset, "-o", out, "--process", "ND", "--networks", "EfficientNet-Lite0",
                    "--recipe", "quick", "--no-pretrained", "--size", "16")
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "model"


def test_an_invalid_yaml_file(dataset, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("process: [IDD\nthreshold: 0.5\n")
    refused(atlass("train", dataset, "-o", tmp_path / "o", "--config", bad), "bad.yaml is not valid YAML")


def test_a_bad_value_in_the_config_file_names_the_file(dataset, tmp_path):
    settings = tmp_path / "run.yaml"
    settings.write_text("image_size: 8\n")
    refused(atlass("train", dataset, "-o", tmp_path / "o", "--config", settings),
            "run.yaml: image_size: 8 is out of range")


def test_an_output_that_is_a_file_is_refused_before_reading_images(dataset, tmp_path):
    (tmp_path / "afile").write_text("x")
    text = refused(atlass("train", dataset, "-o", tmp_path / "afile", "--process", "ND"),
                   "--output:", "is a file")
    assert "Reading" not in text


def test_errors_name_the_flag_typed(dataset, tmp_path):
    refused(atlass("train", dataset, "-o", tmp_path / "o", "--size", "8"), "Error: --size: '8' is out of range")
    refused(atlass("export", dataset, "-o", dataset / "x.zip"), "--output:", "inside the dataset folder")
    assert not (dataset / "x.zip").exists()


def test_help_shows_the_defaults_and_the_ten_transforms():
    text = re.sub(r"-\n\s+", "-", atlass("train", "--help").stdout)
    text = " ".join(text.split())                          # as wrapped for the terminal
    assert "(default: 224)" in text and "Bilateral Filter" in text and "Equalize histogram" in text
    assert "EfficientNet-Lite0" in text


def test_predict_takes_any_file_of_the_model_folder(model, dataset, tmp_path):
    for given in (model / "model.json", model / "model.onnx", model.parent):
        result = atlass("predict", given, dataset / "unlabelled", "-o", tmp_path / "p.csv")
        assert result.returncode == 0 and "1 image(s) classified" in result.stdout, result.stderr


def test_predict_refuses_bad_devices_and_files_that_are_not_images(model, dataset, tmp_path):
    refused(atlass("predict", model, dataset, "--device", "tpu"), "--device", "'tpu' is not a device")
    if not __import__("torch").cuda.is_available():
        refused(atlass("predict", model, dataset, "--device", "cuda"), "no CUDA GPU is available here")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    refused(atlass("predict", model, notes), "notes.txt is not an image file")
    fake = tmp_path / "fake.png"
    fake.write_text("not a png")
    refused(atlass("predict", model, fake), "none of the 1 image file(s) could be read")


def test_run_says_missing_damaged_and_bad_settings_before_unpacking(dataset, tmp_path):
    refused(atlass("run", tmp_path / "nope.zip"), "nope.zip does not exist")
    project = tmp_path / "cells.zip"
    assert atlass("export", dataset, "-o", project, "--process", "ND").returncode == 0
    cut = tmp_path / "cut.zip"
    cut.write_bytes(project.read_bytes()[: project.stat().st_size // 2])
    refused(atlass("run", cut, "-o", tmp_path / "cut"), "is damaged or not a zip")
    refused(atlass("run", project, "-o", tmp_path / "unpacked", "-p", "threshold", "1.5"), "-p threshold:")
    assert not (tmp_path / "unpacked").exists()                     # refused before unpacking


def test_run_of_a_zip_with_a_damaged_member_leaves_no_empty_notebook(dataset, tmp_path):
    project = tmp_path / "cells.zip"
    assert atlass("export", dataset, "-o", project, "--process", "ND").returncode == 0
    data = bytearray(project.read_bytes())
    with zipfile.ZipFile(project) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("atlass.ipynb"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 10:start + 60] = bytes(50)                          # corrupt the deflated notebook
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    refused(atlass("run", broken, "-o", tmp_path / "b"), "is damaged", "atlass.ipynb")
    assert not (tmp_path / "b" / "atlass.ipynb").exists()

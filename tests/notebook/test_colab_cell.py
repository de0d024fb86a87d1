"""The notebook's Colab cell, run as Colab would run it: a fake `google.colab`, and the cell's
/content folder moved into a temporary one. It must find the project whether the zip was
uploaded (even renamed by the browser) or put, unzipped, in Google Drive."""
from __future__ import annotations

import notebook_helpers  # noqa: F401  (first: puts the repository on sys.path; see there)

import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

import atlass_runtime.colab
from atlass_runtime import RunConfig
from wizard import build_zip, extract_project, render_notebook


def colab_cell(content: Path) -> str:
    notebook = render_notebook(RunConfig(process="IDD"))
    source = next(c.source for c in notebook.cells if c.id == "colab")
    assert source.count("/content") >= 3
    return source.replace("/content", str(content))


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """A fake Colab: google.colab with drive.mount recorded, pip installs recorded, cwd and
    sys.path restored afterwards."""
    mounted, installed = [], []
    google = types.ModuleType("google")
    module = types.ModuleType("google.colab")
    module.drive = types.SimpleNamespace(mount=lambda path: mounted.append(path))
    google.colab = module
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", module)
    monkeypatch.setattr(atlass_runtime.colab, "install_missing_requirements", lambda path: installed.append(path))
    content = tmp_path / "content"
    content.mkdir()
    monkeypatch.chdir(content)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return types.SimpleNamespace(content=content, mounted=mounted, installed=installed)


def write_image(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cv2.imencode(".png", image)[1].tobytes())


@pytest.fixture
def project_zip(tmp_path) -> Path:
    rng = np.random.default_rng(4)
    for name in ("a", "b"):
        for i in range(4):
            write_image(tmp_path / "data" / name / f"{i}.png", rng.integers(0, 255, (8, 8, 3), dtype=np.uint8))
    return build_zip(tmp_path / "data", RunConfig(process="IDD", networks=["ResNet18"]), tmp_path / "cells.zip")


def run_cell(source: str) -> dict:
    namespace = {"output_dir": "atlass_output"}
    exec(compile(source, "colab-cell", "exec"), namespace)
    return namespace


def test_an_uploaded_zip_is_found_unzipped_and_entered(colab, project_zip):
    project_zip.rename(colab.content / "cells (1).zip")            # the browser renamed it
    (colab.content / "still_uploading.zip").write_bytes(b"PK\x03\x04 half a zip")
    (colab.content / "holidays.zip").write_bytes(b"")                 # not a zip at all
    namespace = run_cell(colab_cell(colab.content))
    assert namespace["IN_COLAB"] is True
    assert Path.cwd() == colab.content / "cells"
    assert (colab.content / "cells" / "atlass_runtime" / "colab.py").is_file()
    assert (colab.content / "cells" / "dataset" / "a" / "0.png").is_file()
    assert colab.installed == ["requirements.txt"] and colab.mounted == []
    assert namespace["output_dir"] == "atlass_output"                 # Drive not asked for
    assert sys.path[0] == str(colab.content / "cells")


def test_an_unzipped_folder_in_google_drive_is_used_in_place(colab, project_zip):
    in_drive = extract_project(project_zip, colab.content / "drive" / "MyDrive" / "projects" / "cells")
    run_cell(colab_cell(colab.content))
    assert colab.mounted == [str(colab.content / "drive")]
    assert Path.cwd() == in_drive
    assert colab.installed == ["requirements.txt"]


def test_running_the_cell_again_changes_nothing(colab, project_zip):
    project_zip.rename(colab.content / "cells.zip")
    run_cell(colab_cell(colab.content))
    (Path.cwd() / "atlass_output").mkdir()
    run_cell(colab_cell(colab.content))                           # now in the project folder
    assert Path.cwd() == colab.content / "cells" and (Path.cwd() / "atlass_output").is_dir()
    assert colab.installed == ["requirements.txt", "requirements.txt"]


def test_no_project_anywhere_says_what_to_do(colab):
    with pytest.raises(FileNotFoundError, match="Upload the project zip"):
        run_cell(colab_cell(colab.content))
    assert colab.mounted == [str(colab.content / "drive")]


def test_outside_colab_the_cell_does_nothing(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.chdir(tmp_path)
    namespace = run_cell(colab_cell(tmp_path / "content"))
    assert namespace["IN_COLAB"] is False and Path.cwd() == tmp_path and namespace["output_dir"] == "atlass_output"

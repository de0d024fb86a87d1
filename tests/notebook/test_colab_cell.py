"""The notebook's Colab cell, run as Colab would run it: a fake `google.colab`, and the cell's
/content folder moved into a temporary one. It must find the project whether the zip was
uploaded (even renamed by the browser) or put, unzipped, in Google Drive."""
from __future__ import annotations


import os
import sys
import types
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

import atlass_runtime.colab
from atlass_runtime import RunConfig
from atlass_project import build_zip, extract_project, render_notebook


def colab_cell(content: Path, name: str = "cells", keep_results_on_drive: bool = False) -> str:
    """The cell as Colab runs it, /content moved; results kept in /content unless asked (the
    form's default, on Drive, has its own test)."""
    notebook = render_notebook(RunConfig(process="IDD"), name)
    source = next(c.source for c in notebook.cells if c.id == "colab")
    assert source.count("/content") >= 3 and "keep_results_on_drive = True  # @param" in source
    if not keep_results_on_drive:
        source = source.replace("keep_results_on_drive = True  # @param", "keep_results_on_drive = False  # @param")
    return source.replace("/content", str(content))


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """A fake Colab: google.colab with drive.mount recorded, pip installs recorded, cwd and
    sys.path restored afterwards."""
    mounted, installed, asked = [], [], []
    google = types.ModuleType("google")
    module = types.ModuleType("google.colab")
    module.drive = types.SimpleNamespace(mount=lambda path: mounted.append(path))
    module.files = types.SimpleNamespace(upload=lambda: asked.append(Path.cwd()) or {})
    google.colab = module
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", module)
    monkeypatch.setattr(atlass_runtime.colab, "install_missing_requirements", lambda path: installed.append(path))
    content = tmp_path / "content"
    content.mkdir()
    monkeypatch.setattr(atlass_runtime.colab, "DRIVE", str(content / "drive"))
    monkeypatch.chdir(content)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return types.SimpleNamespace(content=content, mounted=mounted, installed=installed, asked=asked,
                                 module=module)


def write_image(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cv2.imencode(".png", image)[1].tobytes())


CONFIG = RunConfig(process="IDD", networks=["ResNet18"])


@pytest.fixture
def project_zip(tmp_path) -> Path:
    rng = np.random.default_rng(4)
    for name in ("a", "b"):
        for i in range(4):
            write_image(tmp_path / "data" / name / f"{i}.png", rng.integers(0, 255, (8, 8, 3), dtype=np.uint8))
    write_image(tmp_path / "data" / "unlabelled" / "u.png", rng.integers(0, 255, (8, 8, 3), dtype=np.uint8))
    return build_zip(tmp_path / "data", CONFIG, tmp_path / "cells.zip")


def run_cell(source: str, **settings) -> dict:
    namespace = {"output_dir": "atlass_output", **settings}
    exec(compile(source, "colab-cell", "exec"), namespace)
    return namespace


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


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


def test_the_zip_of_this_notebook_is_chosen_not_the_newest(colab, project_zip, tmp_path):
    project_zip.rename(colab.content / "cells.zip")
    other = build_zip(tmp_path / "data", CONFIG, colab.content / "other.zip")
    os.utime(other, (other.stat().st_mtime + 60,) * 2)                    # uploaded later
    run_cell(colab_cell(colab.content))
    assert Path.cwd() == colab.content / "cells" and not (colab.content / "other").exists()
    assert colab.mounted == []


def test_several_projects_and_none_of_this_notebook_is_an_error(colab, project_zip, tmp_path):
    project_zip.rename(colab.content / "cells.zip")
    build_zip(tmp_path / "data", CONFIG, colab.content / "other.zip")
    with pytest.raises(FileNotFoundError, match=r"jurkat\.zip.*other projects: cells, other"):
        run_cell(colab_cell(colab.content, "jurkat"))
    assert Path.cwd() == colab.content and colab.mounted == [str(colab.content / "drive")]


def test_the_only_project_is_used_whatever_its_name(colab, project_zip, capsys):
    project_zip.rename(colab.content / "renamed.zip")                      # its folder inside is 'cells'
    run_cell(colab_cell(colab.content, "jurkat"))
    assert Path.cwd() == colab.content / "cells"
    assert "the only project found (this notebook was made for 'jurkat')" in capsys.readouterr().out


def test_an_interrupted_unzip_is_redone_whole_and_the_results_kept(colab, project_zip):
    project_zip.rename(colab.content / "cells.zip")
    stale = colab.content / "cells"                            # what an interrupted unzip left
    (stale / "dataset" / "a").mkdir(parents=True)
    (stale / "atlass.ipynb").write_text("{}")
    (stale / "dataset" / "a" / "gone.png").write_bytes(b"from an older export")
    (stale / "atlass_output").mkdir()
    (stale / "atlass_output" / "run_state.json").write_text("kept")
    (colab.content / ".cells.unzipping" / "cells").mkdir(parents=True)    # and an unzip cut short
    run_cell(colab_cell(colab.content))
    with zipfile.ZipFile(colab.content / "cells.zip") as archive:
        shipped = {n.removeprefix("cells/") for n in archive.namelist() if not n.endswith("/")}
    assert files(stale) == shipped | {"atlass_output/run_state.json", ".atlass_unzipped"}
    assert (stale / "atlass_output" / "run_state.json").read_text() == "kept"
    assert sorted(p.name for p in colab.content.iterdir()) == ["cells", "cells.zip"]


def test_a_new_upload_replaces_the_unzipped_copy(colab, project_zip, tmp_path):
    project_zip.rename(colab.content / "cells.zip")
    run_cell(colab_cell(colab.content))
    (Path.cwd() / "atlass_output").mkdir()
    (Path.cwd() / "atlass_output" / "model.pkl").write_bytes(b"trained")
    (tmp_path / "data" / "unlabelled" / "u.png").rename(tmp_path / "data" / "a" / "u.png")   # sorted since
    newer = build_zip(tmp_path / "data", CONFIG, tmp_path / "v2" / "cells.zip").rename(colab.content / "cells (1).zip")
    os.utime(newer, (newer.stat().st_mtime + 60,) * 2)
    run_cell(colab_cell(colab.content))                        # run again from the project folder
    dataset = colab.content / "cells" / "dataset"
    assert (dataset / "a" / "u.png").is_file() and not (dataset / "unlabelled" / "u.png").exists()
    assert (colab.content / "cells" / "atlass_output" / "model.pkl").read_bytes() == b"trained"
    assert Path.cwd() == colab.content / "cells"


def test_a_folder_of_the_same_name_that_is_no_project_is_left_alone(colab, project_zip):
    project_zip.rename(colab.content / "cells.zip")
    (colab.content / "cells").mkdir()
    (colab.content / "cells" / "thesis.docx").write_text("precious")
    with pytest.raises(FileExistsError, match="not an ATLASS project"):
        run_cell(colab_cell(colab.content))
    assert files(colab.content / "cells") == {"thesis.docx"}


def test_no_project_anywhere_asks_for_the_zip_then_says_what_to_do(colab):
    with pytest.raises(FileNotFoundError, match="Upload the project zip .* at most 3 folders deep"):
        run_cell(colab_cell(colab.content))
    assert colab.mounted == [str(colab.content / "drive")] and colab.asked == [colab.content]


def test_the_one_upload_the_zip_asked_for_is_used(colab, project_zip):
    def upload():                       # the user picks the zip in the browser's dialog
        (colab.content / "cells.zip").write_bytes(project_zip.read_bytes())
        return {"cells.zip": b"..."}

    colab.module.files.upload = upload
    run_cell(colab_cell(colab.content))
    assert Path.cwd() == colab.content / "cells" and (colab.content / "cells" / "config.json").is_file()


def test_results_go_to_google_drive_by_default(colab, project_zip):
    project_zip.rename(colab.content / "cells.zip")
    namespace = run_cell(colab_cell(colab.content, keep_results_on_drive=True))
    assert namespace["output_dir"] == str(colab.content / "drive" / "MyDrive" / "ATLASS" / "cells" / "atlass_output")
    assert namespace["start_over"] is False


def test_projects_deeper_in_drive_are_found(colab, project_zip):
    deep = colab.content / "drive" / "MyDrive" / "work" / "2026" / "cells.zip"
    deep.parent.mkdir(parents=True)
    project_zip.rename(deep)
    run_cell(colab_cell(colab.content))
    assert Path.cwd() == colab.content / "cells"


def test_outside_colab_the_cell_does_nothing(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.chdir(tmp_path)
    namespace = run_cell(colab_cell(tmp_path / "content"))
    assert namespace["IN_COLAB"] is False and Path.cwd() == tmp_path and namespace["output_dir"] == "atlass_output"

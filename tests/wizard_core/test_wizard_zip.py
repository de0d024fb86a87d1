"""The project zip: layout of design section 3, images stored byte for byte, explicit folders,
empty categories kept, a pinned requirements.txt, cancellable without leftovers."""
from __future__ import annotations


import ast
import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from wizard_helpers import write_image as write_png

import atlass_runtime
from atlass_runtime import RunConfig
from atlass_runtime.colab import module_of, read_requirements
from atlass_project import ExportCancelled, build_zip
from atlass_project.errors import ProjectError
from atlass_project.render import parameters_cell
from atlass_project.requirements import pinned_requirements
from atlass_project.zip_builder import project_config, project_name


@pytest.fixture
def dataset(tmp_path) -> Path:
    """Two categories (one with a sub-folder), an empty one, unlabelled images, a loose image at
    the root, a non-image file, and a category name with accents."""
    rng = np.random.default_rng(1)
    root = tmp_path / "my data"
    image = lambda: rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)  # noqa: E731
    for i in range(4):
        write_png(root / "Mitose" / f"m{i}.png", image())
        write_png(root / "Intérphase" / f"i{i}.png", image())
    write_png(root / "Mitose" / "day2" / "m9.png", image())
    (root / "empty_class").mkdir()
    for i in range(3):
        write_png(root / "unlabelled" / f"u{i}.png", image())
    write_png(root / "loose.png", image())
    (root / "Mitose" / "notes.txt").write_text("not an image")
    return root


CONFIG = RunConfig(process="IDD", networks=["ResNet18"], image_size=32, pretrained=False)


def build(dataset, tmp_path, **kwargs) -> Path:
    return build_zip(dataset, CONFIG, tmp_path / "out" / "cells project.zip", **kwargs)


def test_layout_of_the_zip(dataset, tmp_path):
    path = build(dataset, tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert all("\\" not in n and not n.startswith("/") for n in names)
        assert len(names) == len(set(names))
        top = "cells project/"
        assert all(n.startswith(top) for n in names)
        for folder in ("", "atlass_runtime/", "dataset/", "dataset/Mitose/", "dataset/Mitose/day2/",
                       "dataset/Intérphase/", "dataset/empty_class/", "dataset/unlabelled/"):
            assert top + folder in names, folder
            assert archive.getinfo(top + folder).is_dir()
        for name in names:  # every file's folder has its own entry
            parent = name.rstrip("/").rpartition("/")[0]
            assert parent == "" or parent + "/" in names, name
        expected = {"dataset/Mitose/m0.png", "dataset/Mitose/day2/m9.png", "dataset/Intérphase/i3.png",
                    "dataset/unlabelled/u2.png", "dataset/unlabelled/loose.png"}
        assert expected <= {n.removeprefix(top) for n in names}
        assert not any(n.endswith("notes.txt") for n in names)
        images = [i for i in archive.infolist() if i.filename.endswith(".png")]
        assert len(images) == 4 + 4 + 1 + 3 + 1
        assert all(i.compress_type == zipfile.ZIP_STORED for i in images)
        assert archive.read(top + "dataset/Mitose/day2/m9.png") == (dataset / "Mitose" / "day2" / "m9.png").read_bytes()
        assert archive.testzip() is None


def test_config_notebook_readme_requirements_and_runtime(dataset, tmp_path):
    path = build(dataset, tmp_path)
    top = "cells project/"
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        config_text = archive.read(top + "config.json").decode("utf-8")
        assert config_text == project_config(CONFIG).to_json()
        config = RunConfig.from_dict(json.loads(config_text))
        assert config.dataset_dir == "dataset" and config.output_dir == "atlass_output"
        notebook = nbformat.reads(archive.read(top + "atlass.ipynb").decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
        values = {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(parameters_cell(notebook).source).body}
        assert RunConfig.from_dict(values) == config             # the notebook and config.json agree
        assert RunConfig.from_settings(values, json.loads(config_text)) == (config, [])
        assert "cells project" in notebook.cells[0].source
        assert "Google Colab" in archive.read(top + "README.md").decode("utf-8")
        requirements = archive.read(top + "requirements.txt").decode("utf-8")
        runtime = {p.name for p in Path(atlass_runtime.__file__).parent.glob("*.py")}
        shipped = {n.removeprefix(top + "atlass_runtime/") for n in names if n.startswith(top + "atlass_runtime/")}
        assert runtime <= shipped and "colab.py" in shipped and "notebook_display.py" in shipped
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        assert not any(n.startswith(tuple(top + p for p in ("wizard/", "atlass_cli/", "notebook_templates/")))
                       for n in names)
    lines = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert lines == pinned_requirements()
    # this environment has every one of them: each is pinned (for some Pythons at least)
    pinned = {line.split("==")[0] for line in lines if "==" in line}
    assert {line.split(";")[0].split(">=")[0].split("==")[0] for line in lines} == pinned


def test_requirements_cover_every_module_the_runtime_imports():
    """Scan the runtime's imports: each third-party module must come from a listed requirement."""
    import sys

    package = Path(atlass_runtime.__file__).parent
    imported = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "atlass_runtime"}
    optional = {"google", "IPython"}           # Colab only; present in any notebook
    provided = {module_of(line.split("==")[0]) for line in pinned_requirements()}
    assert "torch" in third_party and "cv2" in third_party       # the scan sees the real imports
    assert third_party - optional <= provided, third_party - optional - provided


def test_progress_reaches_the_total_and_never_goes_back(dataset, tmp_path):
    calls = []
    build(dataset, tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) > 13
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1][0] == calls[-1][1] == calls[0][1]


def test_cancel_leaves_nothing_and_keeps_an_older_zip(dataset, tmp_path):
    target = tmp_path / "out" / "cells project.zip"
    target.parent.mkdir()
    target.write_bytes(b"an older export")
    seen = []

    def cancel():
        seen.append(1)
        return len(seen) > 20

    with pytest.raises(ExportCancelled):
        build(dataset, tmp_path, cancel=cancel)
    assert target.read_bytes() == b"an older export"
    assert sorted(p.name for p in target.parent.iterdir()) == ["cells project.zip"]


def test_a_failure_midway_leaves_no_partial_file(dataset, tmp_path, monkeypatch):
    import atlass_project.zip_builder as zb

    calls = []
    real = zb._write

    def failing(archive, entry, info):
        calls.append(entry.name)
        if len(calls) == 15:
            raise OSError("disk full")
        real(archive, entry, info)

    monkeypatch.setattr(zb, "_write", failing)
    with pytest.raises(OSError, match="disk full"):
        build(dataset, tmp_path)
    assert list((tmp_path / "out").iterdir()) == []


def test_unreadable_files_can_be_left_out(dataset, tmp_path):
    path = build(dataset, tmp_path, exclude=[dataset / "Mitose" / "m1.png"])
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert not any(n.endswith("Mitose/m1.png") for n in names) and any(n.endswith("Mitose/m2.png") for n in names)


def test_an_absolute_escaping_or_dataset_output_dir_becomes_the_default():
    assert project_config(CONFIG.replace(output_dir="/abs/run")).output_dir == "atlass_output"
    assert project_config(CONFIG.replace(output_dir="../up")).output_dir == "atlass_output"
    assert project_config(CONFIG.replace(output_dir="C:\\runs")).output_dir == "atlass_output"
    assert project_config(CONFIG.replace(output_dir="runs/one")).output_dir == "runs/one"
    assert project_config(CONFIG.replace(output_dir="dataset/results")).output_dir == "atlass_output"
    assert project_config(CONFIG.replace(output_dir=".")).output_dir == "atlass_output"


def test_project_names_are_safe_folder_names():
    assert project_name("x/Cell cycle.zip") == "Cell cycle"
    assert project_name("p.zip", "a/b:c*") == "a_b_c_"
    with pytest.raises(ProjectError):
        project_name("p.zip", "...")


def test_requirements_file_reads_back():
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "requirements.txt")
        path.write_text("# comment\nfastai==2.8.12\n\nscikit-learn>=1.2  # why\n-e .\n", encoding="utf-8")
        assert read_requirements(path) == [("fastai", "fastai==2.8.12"), ("scikit-learn", "scikit-learn>=1.2")]


def test_images_that_are_links_to_elsewhere_keep_their_name_and_store_their_bytes(tmp_path):
    """A dataset made of links (to images outside it, or a category folder that is a link) is
    exported: each image under its name in the dataset, with the bytes of the file linked to."""
    rng = np.random.default_rng(3)
    store = tmp_path / "store"
    originals = [write_png(store / f"original{i}.png", rng.integers(0, 255, (12, 12, 3), dtype=np.uint8))
                 for i in range(4)]
    write_png(store / "category b" / "b0.png", rng.integers(0, 255, (12, 12, 3), dtype=np.uint8))
    root = tmp_path / "linked"
    for folder, link, target in [("a", "a0.png", 0), ("a", "a1.png", 1), ("unlabelled", "u0.png", 2)]:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / link).symlink_to(originals[target])
    (root / "loose.png").symlink_to(originals[3])
    (root / "b").symlink_to(store / "category b", target_is_directory=True)
    path = build_zip(root, CONFIG, tmp_path / "linked.zip", exclude=[root / "a" / "a1.png"])
    with zipfile.ZipFile(path) as archive:
        images = {n.removeprefix("linked/dataset/"): archive.read(n) for n in archive.namelist() if n.endswith(".png")}
    assert images == {"a/a0.png": originals[0].read_bytes(), "unlabelled/u0.png": originals[2].read_bytes(),
                      "unlabelled/loose.png": originals[3].read_bytes(),
                      "b/b0.png": (store / "category b" / "b0.png").read_bytes()}


def test_excluded_files_match_however_the_dataset_path_is_written(dataset, tmp_path, monkeypatch):
    monkeypatch.chdir(dataset.parent)
    (tmp_path / "via link").symlink_to(dataset, target_is_directory=True)
    path = build_zip(tmp_path / "via link", CONFIG, tmp_path / "x.zip", exclude=[Path("my data/Mitose/m1.png")])
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "x/dataset/Mitose/m0.png" in names and "x/dataset/Mitose/m1.png" not in names


def test_pinned_fastai_is_the_range_the_project_and_the_colab_upgrade_accept():
    import tomllib

    from packaging.requirements import Requirement

    from atlass_runtime.colab import SUPPORTED_VERSIONS

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    fastai = next(Requirement(d) for d in pyproject["project"]["dependencies"] if d.startswith("fastai"))
    lowest, beyond = SUPPORTED_VERSIONS["fastai"]
    assert fastai.specifier == Requirement(f"fastai>={lowest},<{beyond}").specifier
    pins = dict(line.split(";")[0].split("==") for line in pinned_requirements() if "==" in line)
    assert pins["fastai"] in fastai.specifier and "fasttransform" in pins and "timm" in pins


def test_the_notebook_is_written_next_to_the_zip_too(dataset, tmp_path):
    path = build(dataset, tmp_path)
    beside = path.with_name(path.name.removesuffix(".zip") + ".ipynb")
    with zipfile.ZipFile(path) as archive:
        inside = archive.read(next(n for n in archive.namelist() if n.endswith("/atlass.ipynb")))
    assert beside.read_bytes() == inside

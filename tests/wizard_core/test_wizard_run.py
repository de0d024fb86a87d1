"""`atlass run` without a kernel: safe extraction, project detection, parameters, the CLI's calls."""
from __future__ import annotations


import json
import os
import stat
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from wizard_helpers import random_image, write_image

from atlass_cli.main import main
from atlass_runtime import RunConfig
from atlass_runtime.errors import ConfigError
from atlass_project import ProjectError, UnsafeArchiveError, build_zip, extract_project
from atlass_project.cli import parse_value
from atlass_project.run_project import kernel_for, open_project, resolve_parameters


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def evil_zip(path: Path, name: str, symlink: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("proj/atlass.ipynb", "{}")
        archive.writestr("proj/config.json", "{}")
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd" if symlink else "gotcha")
    return path


@pytest.mark.parametrize("name, reason", [
    ("../evil.txt", "'..'"), ("proj/../../evil.txt", "'..'"), ("/tmp/evil.txt", "absolute"),
    ("\\evil.txt", "absolute"), ("C:/evil.txt", "drive letter"), ("proj\\..\\..\\evil.txt", "'..'"),
    ("proj/a:b.txt", "':'"), ("proj//x.txt", "empty"),
])
def test_escaping_entries_are_refused_and_nothing_is_written(tmp_path, name, reason):
    work = tmp_path / "work"
    work.mkdir()
    archive = evil_zip(tmp_path / "evil.zip", name)
    before = listing(tmp_path)
    with pytest.raises(UnsafeArchiveError, match=reason) as caught:
        extract_project(archive, work / "target")
    assert repr(name) in str(caught.value) and "Nothing was extracted" in str(caught.value)
    assert listing(tmp_path) == before


def test_links_are_refused(tmp_path):
    archive = evil_zip(tmp_path / "link.zip", "proj/dataset/a/x.png", symlink=True)
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_project(archive, tmp_path / "target")
    assert not (tmp_path / "target").exists()


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/atlass-evil-absolute.txt"])
def test_atlass_run_refuses_with_a_clear_message(tmp_path, capsys, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    archive = evil_zip(tmp_path / "evil.zip", name)
    before = listing(tmp_path)
    assert main(["run", str(archive), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and name in err and "refused" in err
    assert listing(tmp_path) == before
    assert not Path("/tmp/atlass-evil-absolute.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


def test_a_symlink_already_in_the_target_cannot_be_used_to_escape(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (target / "atlass.ipynb").write_text("{}")
    os.symlink(outside, target / "dataset")
    with zipfile.ZipFile(tmp_path / "p.zip", "w") as archive:
        archive.writestr("p/atlass.ipynb", "{}")
        archive.writestr("p/dataset/x.txt", "through the link")
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract_project(tmp_path / "p.zip", target)
    assert list(outside.iterdir()) == []


@pytest.fixture
def project_zip(tmp_path) -> Path:
    rng = np.random.default_rng(5)
    root = tmp_path / "data"
    for name in ("a", "b"):
        for i in range(5):
            write_image(root / name / f"{i}.png", random_image(rng))
    write_image(root / "unlabelled" / "u.png", random_image(rng))
    return build_zip(root, RunConfig(process="IDD", networks=["ResNet18"], pretrained=False), tmp_path / "proj.zip")


def test_extraction_strips_the_top_folder_and_reextraction_keeps_outputs(project_zip, tmp_path):
    target = extract_project(project_zip, tmp_path / "run")
    assert (target / "atlass.ipynb").is_file() and (target / "dataset" / "a" / "0.png").is_file()
    assert (target / "dataset" / "unlabelled" / "u.png").is_file()
    (target / "atlass_output").mkdir()
    (target / "atlass_output" / "run_state.json").write_text("kept")
    stamp = (target / "dataset" / "a" / "0.png").stat().st_mtime_ns
    (target / "config.json").write_text("changed")              # a changed file is rewritten
    extract_project(project_zip, target)
    assert (target / "atlass_output" / "run_state.json").read_text() == "kept"
    assert (target / "dataset" / "a" / "0.png").stat().st_mtime_ns == stamp   # identical: not rewritten
    assert json.loads((target / "config.json").read_text())["process"] == "IDD"


def dataset_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_unpacking_a_new_export_over_the_old_copy_replaces_the_project_but_keeps_the_run(tmp_path, project_zip):
    target = extract_project(project_zip, tmp_path / "run")
    (target / "atlass_output").mkdir()
    (target / "atlass_output" / "run_state.json").write_text("kept")
    (target / "my notes.txt").write_text("kept too")
    (target / "atlass_runtime" / "__pycache__").mkdir()
    (target / "atlass_runtime" / "__pycache__" / "old.pyc").write_bytes(b"stale")
    data = tmp_path / "data"                              # the user sorts an image, deletes another
    (data / "unlabelled" / "u.png").rename(data / "a" / "u.png")
    (data / "b" / "4.png").unlink()
    (data / "b" / "day2").mkdir()
    (data / "b" / "3.png").rename(data / "b" / "day2" / "3.png")
    again = build_zip(data, RunConfig(process="IDD", networks=["ResNet18"], pretrained=False), tmp_path / "v2" / "proj.zip")
    extract_project(again, target)
    with zipfile.ZipFile(again) as archive:
        shipped = {n.removeprefix("proj/") for n in archive.namelist() if not n.endswith("/")}
    assert dataset_files(target / "dataset") == {n.removeprefix("dataset/") for n in shipped if n.startswith("dataset/")}
    assert (target / "dataset" / "a" / "u.png").is_file() and not (target / "dataset" / "unlabelled" / "u.png").exists()
    assert (target / "dataset" / "unlabelled").is_dir() and not (target / "dataset" / "b" / "3.png").exists()
    assert dataset_files(target / "atlass_runtime") == {n.removeprefix("atlass_runtime/") for n in shipped
                                                        if n.startswith("atlass_runtime/")}
    assert (target / "atlass_output" / "run_state.json").read_text() == "kept"
    assert (target / "my notes.txt").read_text() == "kept too"


def test_an_output_folder_inside_the_dataset_is_kept_too(tmp_path):
    rng = np.random.default_rng(6)
    for name in ("a", "b"):
        write_image(tmp_path / "data" / name / "0.png", random_image(rng))
    config = RunConfig(process="ND", networks=["ResNet18"])
    built = build_zip(tmp_path / "data", config, tmp_path / "built.zip")
    # export no longer writes such a config, but a hand-edited or older one may have it
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(tmp_path / "p.zip", "w") as edited:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("/config.json"):
                data = json.dumps({**json.loads(data), "output_dir": "dataset/results"}).encode()
            edited.writestr(info, data)
    target = extract_project(tmp_path / "p.zip", tmp_path / "run")
    (target / "dataset" / "results").mkdir()
    (target / "dataset" / "results" / "run_state.json").write_text("kept")
    (target / "dataset" / "a" / "stray.png").write_bytes(b"not in the zip")
    extract_project(tmp_path / "p.zip", target)
    assert (target / "dataset" / "results" / "run_state.json").read_text() == "kept"
    assert not (target / "dataset" / "a" / "stray.png").exists()


def test_an_interrupted_unpacking_leaves_a_folder_known_as_the_project(tmp_path, project_zip, monkeypatch):
    import atlass_project.safe_extract as safe_extract

    written = []

    def failing_copy(source, out, length):
        written.append(out.name)
        if len(written) == 3:
            raise OSError("disk full")
        real_copy(source, out, length)

    real_copy = safe_extract.shutil.copyfileobj
    monkeypatch.setattr(safe_extract.shutil, "copyfileobj", failing_copy)
    with pytest.raises(OSError, match="disk full"):
        extract_project(project_zip, tmp_path / "run")
    monkeypatch.undo()
    assert Path(written[0]).name == "atlass.ipynb.partial"          # written beside, then renamed
    assert (tmp_path / "run" / "atlass.ipynb").is_file()
    assert not list((tmp_path / "run").rglob("*.partial"))          # nothing half-written is left
    extract_project(project_zip, tmp_path / "run")                 # the same command again finishes it
    assert (tmp_path / "run" / "dataset" / "unlabelled" / "u.png").is_file()


def test_a_zip_recompressed_by_macos_finder_is_accepted_without_its_extras(tmp_path, project_zip, monkeypatch):
    finder = tmp_path / "finder.zip"
    with zipfile.ZipFile(project_zip) as source, zipfile.ZipFile(finder, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        for name in ("__MACOSX/", "__MACOSX/proj/", "__MACOSX/proj/._atlass.ipynb",
                     "__MACOSX/proj/dataset/a/._0.png", "proj/.DS_Store", "proj/dataset/a/._1.png"):
            target.writestr(name, b"" if name.endswith("/") else b"\x00\x05\x16\x07 resource fork")
    folder, _ = open_project(finder, tmp_path / "run")
    assert (folder / "atlass.ipynb").is_file() and (folder / "dataset" / "a" / "1.png").is_file()
    assert not any(p.name.startswith("._") or p.name in ("__MACOSX", ".DS_Store") for p in folder.rglob("*"))
    assert not (tmp_path / "__MACOSX").exists()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert open_project(finder)[0] == tmp_path / "elsewhere" / "proj"    # named after its top folder


def test_a_zip_without_top_folder_is_accepted(tmp_path, project_zip):
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(project_zip) as source, zipfile.ZipFile(flat, "w") as target:
        for info in source.infolist():
            if info.filename != "proj/":
                target.writestr(info.filename.removeprefix("proj/"), source.read(info))
    assert (extract_project(flat, tmp_path / "x") / "config.json").is_file()


def test_things_that_are_not_projects(tmp_path, project_zip):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("x/readme.txt", "hi")
    with pytest.raises(ProjectError, match="no atlass.ipynb"):
        extract_project(tmp_path / "other.zip", tmp_path / "t")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("precious")
    (tmp_path / "busy" / "dataset" / "a").mkdir(parents=True)
    (tmp_path / "busy" / "dataset" / "a" / "mine.png").write_bytes(b"precious")
    with pytest.raises(ProjectError, match="not empty.*nothing in it was changed"):
        extract_project(project_zip, tmp_path / "busy")
    assert listing(tmp_path / "busy") == ["dataset", "dataset/a", "dataset/a/mine.png", "thesis.docx"]
    (tmp_path / "notzip.zip").write_text("plain text")
    with pytest.raises(ProjectError, match="damaged or not a zip"):
        open_project(tmp_path / "notzip.zip")
    with pytest.raises(ProjectError, match="does not exist"):
        open_project(tmp_path / "nowhere.zip")
    with pytest.raises(ProjectError, match="not an ATLASS project folder"):
        open_project(tmp_path / "busy")


def test_default_output_is_the_project_name_in_the_current_folder(tmp_path, project_zip, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder, results = open_project(project_zip)
    assert folder == tmp_path / "proj" and results is None
    folder, results = open_project(tmp_path / "proj", output="elsewhere")
    assert folder == tmp_path / "proj" and results == tmp_path / "elsewhere"


# ---------------------------------------------------------------------- parameters
BASE = RunConfig(process="IDD", networks=["ResNet18"], pretrained=False).to_dict()


def test_parameters_are_checked_and_only_changes_injected():
    config, inject = resolve_parameters(BASE, {"threshold": "0.9", "epochs_unfrozen": "3", "pretrained": "false"})
    assert config.threshold == 0.9 and config.epochs_unfrozen == 3
    assert inject == {"threshold": 0.9, "epochs_unfrozen": 3, "pretrained": False}
    config, inject = resolve_parameters(BASE, {"process": "IMDD", "networks": "resnet18,densenet121"})
    assert inject["networks"] == ["ResNet18", "DenseNet121"] and inject["process"] == "IMDD"
    with pytest.raises(ConfigError, match="threshold"):
        resolve_parameters(BASE, {"threshold": "2"})
    with pytest.raises(ConfigError, match="treshold: unknown setting"):
        resolve_parameters(BASE, {"treshold": "0.9"})


def test_changing_the_process_resets_what_depends_on_it():
    config, inject = resolve_parameters(BASE, {"process": "ND"})
    assert config.transforms == [] and config.threshold == 0.0
    assert inject["transforms"] == [] and inject["threshold"] == 0.0


def test_parse_value():
    assert parse_value("0.9") == "0.9"
    assert parse_value("['ResNet18', 'ResNet34']") == ["ResNet18", "ResNet34"]
    assert parse_value("[H Flip, Gamma]") == ["H Flip", "Gamma"]


def test_kernel_spec_points_at_the_interpreter_and_is_removed_after(tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager

    previous = os.environ.get("JUPYTER_PATH")
    with kernel_for(tmp_path / "bin" / "python") as name:
        spec = KernelSpecManager().get_kernel_spec(name)
        assert spec.argv[0] == str(tmp_path / "bin" / "python") and spec.argv[1:3] == ["-m", "ipykernel_launcher"]
    assert os.environ.get("JUPYTER_PATH") == previous


# ---------------------------------------------------------------------- the CLI only calls the core
def test_run_command_passes_its_arguments(monkeypatch, tmp_path, capsys):
    import atlass_project.cli as cli

    calls = {}

    class Finished:
        notebook, results_path, model_dir = tmp_path / "nb.ipynb", tmp_path / "results.json", tmp_path / "model"
        results = {"selected": {"network": "ResNet18", "select_on": "validation",
                                "test": {"n_images": 3, "accuracy": 1.0, "macro_f1": 1.0}}}

    def fake_run(project, output, parameters, **kwargs):
        calls.update(project=project, output=output, parameters=parameters, **kwargs)
        return Finished()

    monkeypatch.setattr(cli, "run_project", fake_run)
    monkeypatch.setattr(cli, "print_summary", lambda results: print("SUMMARY", results["selected"]["network"]))
    code = main(["run", "p.zip", "-o", "out", "-p", "threshold", "0.9", "-p", "networks", "[ResNet18]", "-q"])
    assert code == 0
    assert calls["project"] == "p.zip" and calls["output"] == "out"
    assert calls["parameters"] == {"threshold": "0.9", "networks": ["ResNet18"]}
    assert calls["stdout"] is None
    out = capsys.readouterr().out
    assert "SUMMARY ResNet18" in out and "nb.ipynb" in out and "results.json" in out


def test_run_command_restart_flag(monkeypatch):
    import atlass_project.cli as cli

    calls = []
    monkeypatch.setattr(cli, "run_project", lambda *args, **kwargs: calls.append(kwargs["restart"]) or 1 / 0)
    for flags in ([], ["--restart"]):
        with pytest.raises(ZeroDivisionError):
            main(["run", "p.zip", *flags])
    assert calls == [False, True]


def test_restart_reaches_the_kernel_as_an_environment_variable(project_zip, tmp_path, monkeypatch):
    import papermill

    from atlass_project.run_project import RESTART_VARIABLE, run_project

    seen = []
    monkeypatch.setenv(RESTART_VARIABLE, "1")                 # left over in the shell: not used
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: seen.append(os.environ[RESTART_VARIABLE]))
    run_project(project_zip, tmp_path / "run")
    run_project(project_zip, tmp_path / "run", restart=True)
    assert seen == ["0", "1"] and os.environ[RESTART_VARIABLE] == "1"
    dataset_cell = next(c.source for c in nbformat.read(tmp_path / "run" / "atlass.ipynb", as_version=4).cells
                        if c.get("id") == "dataset")
    assert f'restart=start_over or os.environ.get("{RESTART_VARIABLE}") == "1"' in dataset_cell


def test_a_run_that_cannot_be_resumed_says_how_to_restart_it(project_zip, tmp_path, monkeypatch):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from atlass_project import NotebookExecutionError
    from atlass_project.run_project import run_project

    def refuse(*args, **kwargs):
        raise PapermillExecutionError(7, 7, "wf = Workflow(...)", "ResumeError",
                                      "atlass_output holds a run with other settings (seed: 0 -> 1)", [])

    monkeypatch.setattr(papermill, "execute_notebook", refuse)
    with pytest.raises(NotebookExecutionError, match=f"atlass run {project_zip} --restart"):
        run_project(project_zip, tmp_path / "run", {"seed": "1"})


def test_export_command_builds_the_config_from_flags(monkeypatch, tmp_path, capsys):
    import atlass_project.cli as cli

    rng = np.random.default_rng(2)
    for name in ("a", "b"):
        for i in range(22):
            write_image(tmp_path / "d" / name / f"{i}.png", random_image(rng))
    calls = {}

    def fake_build(dataset, config, zip_path, **kwargs):
        calls.update(dataset=dataset, config=config, zip_path=zip_path, **kwargs)
        Path(zip_path).write_bytes(b"zip")
        return zip_path

    monkeypatch.setattr(cli, "build_zip", fake_build)
    code = main(["export", str(tmp_path / "d"), "-o", str(tmp_path / "p.zip"), "--process", "imd",
                 "--networks", "resnet18,resnet34", "--epochs", "1,2", "--size", "40", "--no-pretrained"])
    assert code == 0
    config = calls["config"]
    assert config.process == "IMD" and config.networks == ["ResNet18", "ResNet34"]
    assert (config.epochs_frozen, config.epochs_unfrozen, config.image_size, config.pretrained) == (1, 2, 40, False)
    assert config.dataset_dir == "dataset" and calls["zip_path"] == tmp_path / "p.zip"
    out = capsys.readouterr().out
    assert "Warning: process IMD learns from unlabelled images" in out and "p.zip" in out


def test_export_reads_a_yaml_config_and_refuses_a_blocking_problem(tmp_path, capsys):
    rng = np.random.default_rng(2)
    for i in range(22):
        write_image(tmp_path / "d" / "a" / f"{i}.png", random_image(rng))
    (tmp_path / "d" / "b").mkdir()
    (tmp_path / "run.yaml").write_text("process: ND\nnetworks: [ResNet18]\n")
    assert main(["export", str(tmp_path / "d"), "-o", str(tmp_path / "p.zip"), "--config", str(tmp_path / "run.yaml")]) == 1
    captured = capsys.readouterr()
    assert "Problem: no readable labelled image in 'b'" in captured.out and captured.err.startswith("Error:")
    assert not (tmp_path / "p.zip").exists()


def test_export_writes_a_real_zip(tmp_path, capsys):
    rng = np.random.default_rng(2)
    for name in ("a", "b"):
        for i in range(22):
            write_image(tmp_path / "d" / name / f"{i}.png", random_image(rng))
    (tmp_path / "run.yaml").write_text("process: ND\nnetworks: [ResNet18]\nthreshold: 0\n")
    assert main(["export", str(tmp_path / "d"), "-o", str(tmp_path / "p.zip"), "--config", str(tmp_path / "run.yaml"),
                 "--batch-size", "8"]) == 0
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        config = json.loads(archive.read("p/config.json"))
    assert config["process"] == "ND" and config["batch_size"] == 8 and config["networks"] == ["ResNet18"]


def test_the_advice_repeats_the_users_whole_command(project_zip, tmp_path, monkeypatch, capsys):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    def refuse(*args, **kwargs):
        raise PapermillExecutionError(7, 7, "wf = Workflow(...)", "ResumeError", "other settings", [])

    monkeypatch.setattr(papermill, "execute_notebook", refuse)
    out = tmp_path / "run"
    assert main(["run", str(project_zip), "-o", str(out), "-p", "seed", "1"]) == 1
    assert f"atlass run {project_zip} -o {out} -p seed 1 --restart" in capsys.readouterr().err


def test_a_finished_runs_executed_notebook_is_never_overwritten(tmp_path):
    from atlass_project.run_project import executed_notebook_path

    assert executed_notebook_path(tmp_path).name == "atlass_executed.ipynb"
    (tmp_path / "atlass_executed.ipynb").write_text("{}")
    assert executed_notebook_path(tmp_path).name == "atlass_executed.ipynb"     # unfinished: continued
    (tmp_path / "results.json").write_text("{}")
    assert executed_notebook_path(tmp_path).name == "atlass_executed-2.ipynb"
    (tmp_path / "atlass_executed-2.ipynb").write_text("{}")
    assert executed_notebook_path(tmp_path).name == "atlass_executed-3.ipynb"


def test_a_changed_dataset_runs_into_a_new_output_folder(project_zip, tmp_path, monkeypatch):
    """After review, the same `atlass run` of the re-exported project trains anew beside the old run."""
    import papermill

    from atlass_runtime.run_state import dataset_signature
    from atlass_project.run_project import run_project

    seen = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: seen.append(k["parameters"]))
    first = run_project(project_zip, tmp_path / "run")
    first.output_dir.mkdir(parents=True, exist_ok=True)
    (first.output_dir / "run_state.json").write_text(json.dumps({"dataset": dataset_signature([], [])}))
    again = run_project(project_zip, tmp_path / "run")
    assert again.output_dir == first.output_dir.with_name(first.output_dir.name + "-2")
    assert seen[-1]["output_dir"] == str(again.output_dir)

"""The generated notebook really runs: under papermill on real 16-bit images (iterative process),
again to resume, with a failing cell named, and from an unzipped project in an environment that
has fastai and papermill but not this project (what Colab is). CPU, tiny images, minutes."""
from __future__ import annotations


import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from atlass_cli.main import main
from atlass_runtime import RunConfig
from atlass_project import (KernelStoppedError, NotebookExecutionError, build_zip, extract_project, inspect_dataset,
                    run_project)

pytestmark = pytest.mark.slow

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TINY = dict(networks=["ResNet18"], image_size=32, batch_size=16, epochs_frozen=1, epochs_unfrozen=1,
            pretrained=False)


@pytest.fixture(autouse=True)
def passive_openmp(monkeypatch):
    """Kernels inherit this: OpenMP threads that spin while waiting crawl on a CPU shared with
    other programs (5-10x slower on the 2 shared cores these tests are written for)."""
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")


def jurkat_dataset(target: Path, labelled_per_class: int = 10) -> Path:
    """The 16-bit Jurkat cell-cycle TIFFs: a few labelled per class, the rest unlabelled."""
    source = SHARED_DATA / "jurkat-cellcycle-16bit-tiff"
    if not source.is_dir():
        pytest.skip(f"{source} is not available (real datasets live beside the project checkout)")
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(folder.glob("*.tif*"))
        for i, path in enumerate(files):
            destination = (target / folder.name if i < labelled_per_class else target / "unlabelled") / path.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, destination)
            except OSError:
                shutil.copy2(path, destination)
    return target


def sample_dataset(target: Path) -> Path:
    from atlass_cli.sample_cells import write_sample

    return write_sample(target, labelled_per_class=8, unlabelled=12, size=32)


def code_cells(path: Path):
    return {c.get("id"): c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"}


def outputs_text(cell) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts += [str(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


def test_iterative_process_on_real_16_bit_images_runs_and_resumes(tmp_path):
    dataset = jurkat_dataset(tmp_path / "jurkat")
    report = inspect_dataset(dataset)
    assert report.bit_depths == {"16-bit": 369} and report.labelled == 40 and report.unlabelled == 329
    config = RunConfig(process="IDD", transforms=["H Flip", "Gamma"], threshold=0.4, max_rounds=2, **TINY)
    project = build_zip(dataset, config, tmp_path / "jurkat.zip")

    run = run_project(project, tmp_path / "run", {"seed": "7"})    # a -p override, as text
    executed = code_cells(run.notebook)
    assert all(cell.execution_count for cell in executed.values()), "every code cell ran"
    results = run.results
    assert results["config"] == config.replace(seed=7, dataset_dir="dataset", output_dir="atlass_output").to_dict()
    assert 1 <= len(results["rounds"]) <= 2 and results["classes"] == sorted(results["dataset"]["labelled_per_class"])
    assert "Pseudo-labels added per round" in outputs_text(executed["pseudo-label"])
    assert "unlabelled before" in outputs_text(executed["pseudo-label"])            # the table itself
    assert any("image/png" in o.get("data", {}) for o in executed["confusion"].outputs)
    assert any("image/png" in o.get("data", {}) for o in executed["samples"].outputs)
    assert "Every candidate" in outputs_text(executed["evaluate"])
    assert "image(s) classified" in outputs_text(executed["predict"])
    for name in ("model.pkl", "model.onnx", "model.json"):
        assert (run.model_dir / name).is_file()
    assert (run.output_dir / "predictions.csv").is_file()
    assert str(tmp_path / "run" / "atlass_runtime") in outputs_text(executed["config"])  # the zip's copy ran
    trained = results["models_trained"]

    again = run_project(project, tmp_path / "run", {"seed": "7"})   # the same command again: resumes
    assert again.results["resumed"] is True and again.results["models_trained_this_session"] == 0
    assert again.results["models_trained"] == trained
    assert again.results["selected"] == results["selected"]


def test_a_failing_cell_is_named_and_the_executed_notebook_kept(tmp_path, capsys):
    dataset = sample_dataset(tmp_path / "cells")
    project = build_zip(dataset, RunConfig(process="ND", **TINY), tmp_path / "cells.zip")
    folder = extract_project(project, tmp_path / "unzipped")
    shutil.rmtree(folder / "dataset" / "round")          # a category loses its images after export
    (folder / "dataset" / "round").mkdir()
    with pytest.raises(NotebookExecutionError) as caught:
        run_project(folder)
    error = caught.value
    assert error.cell == "'dataset'" and error.ename == "DatasetError" and "'round'" in error.evalue
    assert Path(error.notebook).is_file()
    saved = code_cells(Path(error.notebook))
    assert any(o.output_type == "error" for o in saved["dataset"].outputs)
    assert saved["train-final"].execution_count is None                 # stopped there

    assert main(["run", str(folder), "-q"]) == 1                          # the command says the same
    err = capsys.readouterr().err
    assert "cell 'dataset'" in err and "DatasetError" in err and str(error.notebook) in err


def test_a_run_with_other_settings_is_refused_until_restart(tmp_path, capsys):
    project = build_zip(sample_dataset(tmp_path / "cells"), RunConfig(process="ND", **TINY), tmp_path / "cells.zip")
    run_project(project, tmp_path / "run")
    command = ["run", str(project), "-o", str(tmp_path / "run"), "-p", "seed", "5", "-q"]
    assert main(command) == 1                                 # the finished run has the default seed
    err = capsys.readouterr().err
    assert "ResumeError" in err and "seed: 42 -> 5" in err
    assert f"atlass run {project} -o {tmp_path / 'run'} -p seed 5 --restart" in err   # a command to paste
    assert main(command + ["--restart"]) == 0
    results = json.loads((tmp_path / "run" / "atlass_output" / "results.json").read_text(encoding="utf-8"))
    assert results["resumed"] is False and results["config"]["seed"] == 5
    assert results["models_trained_this_session"] == results["models_trained"] >= 1


def test_a_cell_past_its_time_stops_the_run_with_the_notebook_kept(tmp_path):
    project = build_zip(sample_dataset(tmp_path / "cells"), RunConfig(process="ND", **TINY), tmp_path / "cells.zip")
    with pytest.raises(KernelStoppedError, match="longer than the 1 s allowed") as caught:
        run_project(project, tmp_path / "run", timeout=1)      # importing fastai alone takes longer
    assert Path(caught.value.notebook).is_file()
    assert "Run the same command again" in str(caught.value)


def test_the_zip_runs_unchanged_without_this_project_installed(tmp_path):
    """A fresh virtual environment sees the packages of ours (fastai, torch, papermill, ipykernel)
    through a .pth line, but not this project: its editable install is another .pth, which Python
    does not process from an added path. The notebook must run from the unzipped folder alone."""
    dataset = sample_dataset(tmp_path / "cells")
    zip_path = build_zip(dataset, RunConfig(process="IDD", max_rounds=1, **TINY), tmp_path / "upload" / "cells.zip")
    unzipped = tmp_path / "colab"
    unzipped.mkdir()
    with zipfile.ZipFile(zip_path) as archive:   # a plain unzip, as a user does
        archive.extractall(unzipped)
    project = unzipped / "cells"

    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "borrowed_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "clean env", "language": "python"}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["JUPYTER_PATH"] = str(tmp_path / "jupyter")

    probe = ("import importlib.util as u, json; print(json.dumps({m: (u.find_spec(m).origin if u.find_spec(m) else None) "
             "for m in ('wizard', 'atlass_cli', 'notebook_templates', 'atlass_runtime', 'fastai', 'papermill')}))")
    found = json.loads(subprocess.run([str(python), "-c", probe], cwd=project, env=env, capture_output=True,
                                      text=True, check=True).stdout)
    assert found["wizard"] is None and found["atlass_cli"] is None and found["notebook_templates"] is None
    assert found["atlass_runtime"] == str(project / "atlass_runtime" / "__init__.py")
    assert found["fastai"] and found["papermill"]

    executed = tmp_path / "executed.ipynb"
    completed = subprocess.run(
        [str(python), "-m", "papermill", str(project / "atlass.ipynb"), str(executed), "--cwd", str(project),
         "-k", "python3", "-p", "epochs_unfrozen", "1", "--no-progress-bar"],
        env=env, capture_output=True, text=True, timeout=800)
    assert completed.returncode == 0, completed.stderr[-3000:]
    cells = code_cells(executed)
    assert str(project / "atlass_runtime") in outputs_text(cells["config"])
    results = json.loads((project / "atlass_output" / "results.json").read_text(encoding="utf-8"))
    assert results["config"]["epochs_unfrozen"] == 1 and results["selected"]["network"] == "ResNet18"
    assert (project / "atlass_output" / "model" / "model.onnx").is_file()

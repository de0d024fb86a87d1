"""`atlass run`: execute a project's notebook headless with papermill, as Colab would run it.

The project (a zip, unpacked safely, or its folder) is run with the project folder as the
working directory, by a kernel of this Python (or of `python=`). Parameters are checked against
RunConfig before a kernel starts, and only the ones that change something are injected. The
executed notebook is saved in the run's output folder even when a cell fails; the error then
names that cell. Running again with the same output folder continues the run (the runtime
resumes from its run_state.json); `restart=True` discards it and starts again.
"""
from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import nbformat

from atlass_runtime import RunConfig
from atlass_runtime.errors import ConfigError
from atlass_runtime.file_names import CONFIG, NOTEBOOK, RESULTS, RunOutput
from atlass_runtime.run_state import next_free_folder

from .errors import KernelStoppedError, NotebookExecutionError, ProjectError
from .safe_extract import extract_project, project_folder_name, read_member

EXECUTED_NAME = "atlass_executed.ipynb"
KERNEL_NAME = "python3"
# Set to "1" for the kernel by `atlass run --restart`: the notebook's Workflow then discards an
# earlier run in its output folder. Not a RunConfig setting, so not in the parameters cell.
RESTART_VARIABLE = "ATLASS_RESTART"
# Set to "lines" for the kernel: training prints one line per epoch (progress bars would reach a
# terminal as nothing for minutes).
PROGRESS_VARIABLE = "ATLASS_PROGRESS"


def resolve_parameters(base: dict, overrides: dict) -> tuple[RunConfig, dict]:
    """(config of the run, values to inject). Unknown names and bad values raise ConfigError
    naming the setting. Changing the process resets the settings that depend on it, as the
    wizard does, unless they are given too."""
    known = set(RunConfig.field_names())
    for key in overrides:
        if key not in known:
            raise ConfigError(key, f"unknown setting; known settings are: {', '.join(sorted(known))}")
    config = RunConfig.from_dict(base).replace(**overrides)
    changed = {k: v for k, v in config.to_dict().items() if k in overrides or v != base.get(k)}
    return config, changed


@contextlib.contextmanager
def environment_variable(name: str, value: str):
    """`name` set to `value` for the duration (kernels started meanwhile inherit it)."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@contextlib.contextmanager
def kernel_for(python: str | Path | None = None):
    """A `python3` kernel spec that runs `python` (default: this interpreter), visible to
    jupyter_client for the duration (via JUPYTER_PATH, ahead of any other python3 spec)."""
    with tempfile.TemporaryDirectory(prefix="atlass-kernel-") as folder:
        spec = Path(folder, "kernels", KERNEL_NAME)
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            # log level ERROR: the kernel's own start-up notices are noise in a terminal
            "argv": [str(python or sys.executable), "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=ERROR"],
            "display_name": "Python 3 (ATLASS run)", "language": "python"}), encoding="utf-8")
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join([folder] + ([previous] if previous else []))
        try:
            yield KERNEL_NAME
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous


def open_project(project: str | Path, output: str | Path | None = None) -> tuple[Path, Path | None]:
    """(project folder, results folder or None for the config's). A zip is unpacked into
    `output` (default: a folder named after it in the current folder); a folder runs in place,
    and `output`, if given, is where its results go."""
    project = Path(project)
    if not project.exists():
        raise ProjectError(f"{project} does not exist; give a project zip (from `atlass export` or the "
                           "wizard) or its unzipped folder")
    if project.is_file():
        target = Path(output) if output else Path.cwd() / project_folder_name(project)
        return extract_project(project, target), None
    if not (project / NOTEBOOK).is_file() or not (project / CONFIG).is_file():
        raise ProjectError(f"{project} is not an ATLASS project folder: it needs {NOTEBOOK} and "
                           "config.json (unzip a project made by `atlass export` or the wizard)")
    return project, (Path(output).resolve() if output else None)


def project_settings(project: str | Path) -> dict:
    """The config.json of a project zip or folder, read without unpacking anything."""
    project = Path(project)
    text = read_member(project, CONFIG) if project.is_file() else None
    if project.is_dir() and (project / CONFIG).is_file():
        text = (project / CONFIG).read_bytes()
    if text is None:
        raise ProjectError(f"{project} is not an ATLASS project: it has no config.json")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"the config.json of {project} is damaged ({exc}); export the project again") from None


def executed_notebook_path(output_dir: Path) -> Path:
    """Where the executed notebook goes: a finished run's is never overwritten (a new run with
    other settings in the same folder, even one that stops at once, gets its own file)."""
    path = output_dir / EXECUTED_NAME
    if not (path.is_file() and (output_dir / RESULTS).is_file()):
        return path
    number = 2
    while (output_dir / f"{path.stem}-{number}{path.suffix}").exists():
        number += 1
    return output_dir / f"{path.stem}-{number}{path.suffix}"


def run_project(project: str | Path, output: str | Path | None = None, parameters: dict | None = None, *,
                python: str | Path | None = None, stdout: TextIO | None = None,
                stderr: TextIO | None = None, timeout: int | None = None, restart: bool = False,
                command: list[str] | None = None) -> RunOutput:
    """Execute a project's notebook; return where the results are.

    project: a project zip or an unpacked project folder. output: for a zip, the folder it is
    unpacked into and run in (default: ./<project name>); for a folder, where the results go
    (default: the config's output_dir inside it). parameters: {setting: value} overriding
    config.json (values may be text, as from a command line). python: the interpreter of the
    kernel (default: this one). stdout/stderr: where the cells' printed output goes (default:
    nowhere; it is in the executed notebook). timeout: seconds allowed per cell (default: none).
    restart: discard an earlier run in the output folder instead of continuing it. command:
    the user's command line, repeated with --restart in the advice of a refused resume.

    Raises ConfigError for a bad parameter (before any kernel starts), NotebookExecutionError
    when a cell fails and KernelStoppedError when the kernel dies or a cell times out (both
    after saving the executed notebook).
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if Path(project).exists():   # the settings are checked before anything is unpacked
        resolve_parameters(project_settings(project), dict(parameters or {}))
    project_dir, results_dir = open_project(project, output)
    project_dir = project_dir.resolve()
    base = json.loads((project_dir / CONFIG).read_text(encoding="utf-8"))
    overrides = dict(parameters or {})
    if results_dir is not None:
        overrides["output_dir"] = str(results_dir)
    config, inject = resolve_parameters(base, overrides)
    output_dir = (project_dir / config.output_dir).resolve()
    if not restart and _dataset_changed(project_dir, config, output_dir):   # a new run, the old one kept
        new = next_free_folder(output_dir)
        if stdout is not None:
            print(f"The dataset changed since the run in {output_dir}: this is a new run, in {new}.",
                  file=stdout, flush=True)
        config, inject = resolve_parameters(base, {**overrides, "output_dir": str(new)})
        output_dir = new
    output_dir.mkdir(parents=True, exist_ok=True)
    executed = executed_notebook_path(output_dir)
    source = project_dir / NOTEBOOK
    with kernel_for(python) as kernel, environment_variable(RESTART_VARIABLE, "1" if restart else "0"), \
            environment_variable(PROGRESS_VARIABLE, "lines"):
        try:
            papermill.execute_notebook(
                str(source), str(executed), parameters=inject, cwd=str(project_dir), kernel_name=kernel,
                progress_bar=False, stdout_file=stdout, stderr_file=stderr, execution_timeout=timeout)
        except PapermillExecutionError as exc:
            advice = ""
            if exc.ename == "ResumeError":   # its own advice is for Python; say it for this command
                again = shlex.join((command or ["atlass", "run", str(project)]) + ["--restart"])
                advice = (f"To discard that run and start again: {again} (or keep it and give another "
                          "output folder with -o DIR)")
            raise NotebookExecutionError(_cell_name(source, exc.source), exc.cell_index, exc.ename,
                                         exc.evalue, executed, advice) from None
        except CellTimeoutError:
            raise KernelStoppedError(f"a cell ran longer than the {timeout} s allowed", executed) from None
        except DeadKernelError as exc:
            raise KernelStoppedError(f"its kernel stopped ({exc}); it may have run out of memory", executed) from None
    return RunOutput(output_dir, config=config, project_dir=project_dir, notebook=executed)


def _dataset_changed(project_dir: Path, config: RunConfig, output_dir: Path) -> bool:
    from atlass_runtime.workflow import dataset_changed_since

    return dataset_changed_since(config.replace(dataset_dir=str(project_dir / config.dataset_dir)), output_dir)


def _cell_name(notebook: Path, source: str) -> str:
    """The template's id of the cell with this source ('dataset', 'train-final'...)."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.strip() == (source or "").strip():
            return repr(cell.get("id", "?"))
    return "(injected parameters)"

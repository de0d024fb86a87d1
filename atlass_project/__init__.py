"""The project layer, headless: dataset -> checks -> RunConfig -> notebook -> zip -> run. No Qt
and no app: the wizard, `atlass export`, `atlass run`, the annotator's train button and the demo
are built on it.

The public API (stable):

    inspect_dataset(path, progress=None, cancel=None) -> DatasetReport
        read every image once; categories, counts, unlabelled, unreadable files, duplicates,
        bit depths, and `findings` in plain words (`report.check(config)` adds those that
        depend on the settings; a finding with `blocking=True` would stop the notebook)
    render_notebook(config, name="ATLASS project") -> nbformat.NotebookNode
        the generated notebook for a RunConfig (validated; values only in the `parameters` cell)
    build_zip(dataset_dir, config, zip_path, progress=None, cancel=None, name=None, exclude=())
        write the project zip; progress(bytes_done, bytes_total), cancel() -> True stops it
        with ExportCancelled and leaves no file behind
    run_project(zip_or_dir, output=None, parameters={}, restart=False) -> RunOutput (atlass_runtime.file_names)
        execute the notebook headless with papermill (resumable, or started again with
        restart=True; errors name the failing cell)
    extract_project(zip_path, target)
        unpack a project zip safely (entries escaping `target` are refused before any write);
        over an earlier copy, the project's files become the zip's and the run's output is kept

Errors are AtlassError subclasses: ProjectError, UnsafeArchiveError, ExportCancelled,
NotebookExecutionError, KernelStoppedError (and the runtime's ConfigError / DatasetError).
"""
from .errors import (ExportCancelled, KernelStoppedError, NotebookExecutionError, ProjectError,
                     UnsafeArchiveError)
from .inspection import DatasetReport, Finding, inspect_dataset
from .render import render_notebook
from .run_project import run_project
from .safe_extract import extract_project
from .zip_builder import build_zip, project_config

__all__ = [
    "inspect_dataset", "DatasetReport", "Finding", "render_notebook", "build_zip", "project_config",
    "run_project", "extract_project", "ProjectError", "UnsafeArchiveError",
    "ExportCancelled", "NotebookExecutionError", "KernelStoppedError",
]

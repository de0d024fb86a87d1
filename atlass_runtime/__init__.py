"""ATLASS runtime: the transfer + semi-supervised workflow engine.

The only package a notebook kernel imports. Qt-free and Jinja-free. The public API:

    RunConfig            the one schema of a run
    run_workflow         train, pseudo-label, iterate, evaluate, export (resumable)
    predict_images       classify new images with an exported model
    scan_dataset         read an organised dataset folder
    AtlassError & co.    errors that say what to do
"""
from ._version import __version__

from .config import RunConfig
from .dataset import Dataset, scan_dataset
from .errors import (AtlassError, AtlassWarning, ConfigError, DatasetError, ImageReadError,
                     ResumeError, SkippedFilesWarning, WeightsUnavailableError)
from .processes import PROCESSES, get_process


def run_workflow(*args, **kwargs):
    """See atlass_runtime.workflow.run_workflow (imported lazily: it pulls in torch)."""
    from .workflow import run_workflow as run

    return run(*args, **kwargs)


def predict_images(*args, **kwargs):
    """See atlass_runtime.predict.predict_images (imported lazily: it pulls in torch)."""
    from .predict import predict_images as predict

    return predict(*args, **kwargs)


__all__ = [
    "RunConfig", "run_workflow", "predict_images", "scan_dataset", "Dataset", "PROCESSES",
    "get_process", "AtlassError", "AtlassWarning", "ConfigError", "DatasetError",
    "ImageReadError", "ResumeError", "SkippedFilesWarning", "WeightsUnavailableError",
]

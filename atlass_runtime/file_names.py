"""The names of the files ATLASS writes, in one place: a project (what the zip holds) and a run's
output folder (what a run leaves). The notebook, the wizard, the CLI and the annotator all take
them from here, and the notebook template gets them passed in."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------- a project (the zip's root)
NOTEBOOK = "atlass.ipynb"
CONFIG = "config.json"
README = "README.md"
REQUIREMENTS = "requirements.txt"
RUNTIME = "atlass_runtime"          # the copy of this package the notebook imports
DATASET = "dataset"
PROJECT_FILES = (NOTEBOOK, CONFIG, README, REQUIREMENTS)
PROJECT_FOLDERS = (RUNTIME, DATASET)
PROJECT_ITEMS = PROJECT_FILES + PROJECT_FOLDERS
OUTPUT = "atlass_output"            # RunConfig.output_dir's default, inside the project

# ---------------------------------------------------------------- a run's output folder
RESULTS = "results.json"
REPORT = "report.html"
FIGURES = "figures"
PSEUDO_LABELS = "pseudo_labels.csv"
SPLIT = "split.csv"
SKIPPED = "skipped_files.csv"
ROUNDS = "rounds"
CHECKPOINTS = "checkpoints"
RUN_STATE = "run_state.json"
MODEL = "model"
MODEL_PICKLE, MODEL_ONNX, MODEL_META = "model.pkl", "model.onnx", "model.json"   # inside MODEL
MODEL_FILES = (MODEL_PICKLE, MODEL_ONNX, MODEL_META, README)


def votes_name(round_number: int) -> str:
    """The vote table of a round, relative to the output folder."""
    return f"{ROUNDS}/round-{round_number}_votes.csv"


@dataclass
class RunOutput:
    """A run's output folder: where each of its files is, and its results once it finished.

    `atlass train` and the notebook get one from the workflow (`results` in memory); `atlass run`
    also fills in the project, the executed notebook and the config it ran with."""
    output_dir: Path
    results_in_memory: dict | None = None
    config: Any = None                      # the RunConfig of the run
    project_dir: Path | None = None         # `atlass run`: the extracted project
    notebook: Path | None = None            # `atlass run`: the executed notebook

    def __post_init__(self):
        self.output_dir = Path(self.output_dir)

    def path(self, name: str) -> Path:
        return self.output_dir / name

    @property
    def results_path(self) -> Path:
        return self.path(RESULTS)

    @property
    def report_path(self) -> Path:
        return self.path(REPORT)

    @property
    def figures_dir(self) -> Path:
        return self.path(FIGURES)

    @property
    def pseudo_labels_path(self) -> Path:
        return self.path(PSEUDO_LABELS)

    @property
    def model_dir(self) -> Path:
        return self.path(MODEL)

    @property
    def checkpoints_dir(self) -> Path:
        return self.path(CHECKPOINTS)

    def votes_path(self, round_number: int) -> Path:
        return self.path(votes_name(round_number))

    @property
    def results(self) -> dict:
        """results.json: the one in memory, else read from the folder."""
        if self.results_in_memory is None:
            self.results_in_memory = json.loads(self.results_path.read_text(encoding="utf-8"))
        return self.results_in_memory

    @property
    def finished(self) -> bool:
        return self.results_in_memory is not None or self.results_path.is_file()

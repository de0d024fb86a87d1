"""What a run has finished, saved after every trained model and every round, so that the same
command started again after a kill (or a Colab disconnect) resumes instead of starting over."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ResumeError
from .file_names import RUN_STATE
from .files import atomic_write_json, read_json

STATE_VERSION = 2


def dataset_signature(labelled: list[tuple[str, str]], unlabelled: list[str]) -> str:
    """A hash of which files are labelled how (relative paths), to notice a changed dataset."""
    digest = hashlib.sha256()
    digest.update(json.dumps([sorted(labelled), sorted(unlabelled)], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


class DatasetChangedError(ResumeError):
    """The output folder holds a run made on another version of the dataset: the new one is a
    new run (the workflow gives it a folder of its own)."""


def saved_signature(folder: Path) -> str | None:
    """The dataset signature of the run saved in `folder`, or None."""
    path = Path(folder) / RUN_STATE
    try:
        return read_json(path)["dataset"] if path.is_file() else None
    except (ValueError, KeyError, TypeError):
        return None


def next_free_folder(folder: Path) -> Path:
    """`atlass_output` -> `atlass_output-2` (or -3...): a folder name not taken yet."""
    number = 2
    while folder.with_name(f"{folder.name}-{number}").exists():
        number += 1
    return folder.with_name(f"{folder.name}-{number}")


@dataclass
class RunState:
    fingerprint: dict
    dataset: str
    trained: list[dict] = field(default_factory=list)     # {stage, network, checkpoint, seconds, lr, lr_reused}
    rounds: list[dict] = field(default_factory=list)      # one summary per finished round
    pseudo_labels: list[dict] = field(default_factory=list)  # {file, label, confidence, round}
    stop_reason: str | None = None
    sessions: int = 1
    transform_choice: dict | None = None   # transforms = "auto": {"chosen": [...], "steps": [...]}
    warnings: list[dict] = field(default_factory=list)   # guard rails raised by the rounds

    # ------------------------------------------------------------------ queries
    def checkpoint_of(self, stage: str, network: str) -> str | None:
        for entry in self.trained:
            if entry["stage"] == stage and entry["network"] == network:
                return entry["checkpoint"]
        return None

    def round_done(self, number: int) -> bool:
        return any(r["round"] == number for r in self.rounds)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path) -> None:
        atomic_write_json(folder / RUN_STATE, {
            "version": STATE_VERSION,
            "fingerprint": self.fingerprint,
            "dataset": self.dataset,
            "trained": self.trained,
            "rounds": self.rounds,
            "pseudo_labels": self.pseudo_labels,
            "stop_reason": self.stop_reason,
            "sessions": self.sessions,
            "transform_choice": self.transform_choice,
            "warnings": self.warnings,
        })

    @classmethod
    def open(cls, folder: Path, fingerprint: dict, dataset: str, restart: bool = False) -> tuple["RunState", bool]:
        """(state, resumed). A fresh state unless `folder` holds a compatible unfinished run."""
        path = folder / RUN_STATE
        if restart or not path.is_file():
            return cls(fingerprint, dataset), False
        saved = read_json(path)
        if saved.get("version") != STATE_VERSION:
            raise ResumeError(f"{path} was written by another version of ATLASS; use a new output "
                              "folder (or --restart to start this one again)")
        changed = sorted(k for k in set(fingerprint) | set(saved["fingerprint"])
                         if fingerprint.get(k) != saved["fingerprint"].get(k))
        if changed:
            details = ", ".join(f"{k}: {saved['fingerprint'].get(k)!r} -> {fingerprint.get(k)!r}" for k in changed)
            raise ResumeError(f"{folder} holds a run with other settings ({details}). Use another "
                              "output folder, or --restart (restart=True) to discard that run.")
        if saved["dataset"] != dataset:
            raise DatasetChangedError(f"{folder} holds a run on a different set of images (files were added, "
                                      "removed or relabelled since)")
        state = cls(fingerprint, dataset, saved["trained"], saved["rounds"], saved["pseudo_labels"],
                    saved["stop_reason"], saved.get("sessions", 1) + 1, saved.get("transform_choice"),
                    saved.get("warnings", []))
        return state, True

"""results.json: every figure of a run in one file (what the notebook tables and plots read)."""
from __future__ import annotations

import platform
import time
from pathlib import Path

from . import guard_rails
from ._version import __version__
from .candidates import LABELS_ALONE, verdict
from .file_names import PSEUDO_LABELS


def build_results(workflow, candidates: list[dict], chosen: dict, model_files: list[Path]) -> dict:
    cfg, state, dataset = workflow.config, workflow.state, workflow.dataset
    pseudo_per_class = {c: 0 for c in workflow.classes}
    for entry in state.pseudo_labels:
        pseudo_per_class[entry["label"]] += 1
    return {
        "atlass_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "python": platform.python_version(),
        "device": str(getattr(workflow.trainer, "device", "unknown")),
        "config": cfg.to_dict(),
        "classes": list(workflow.classes),
        "dataset": {
            "labelled_per_class": dataset.counts(),
            "unlabelled": len(dataset.unlabelled),
            "unlabelled_left_aside": workflow.unlabelled_left_aside,
            "skipped": [{"file": workflow.relative(p), "reason": why} for p, why in dataset.skipped],
            "split": {name: len(workflow.split.of(name)) for name in ("train", "valid", "test")},
        },
        "rounds": state.rounds,
        "stop_reason": state.stop_reason,
        "transforms_chosen": state.transform_choice,
        "pseudo_labels": {"total": len(state.pseudo_labels), "per_class": pseudo_per_class,
                          "file": PSEUDO_LABELS},
        "candidates": candidates,
        "labels_alone": [c["name"] for c in candidates if c["trained_on"] == LABELS_ALONE],
        "selected": {"name": chosen["name"], "network": chosen["network"], "trained_on": chosen["trained_on"],
                     "select_on": cfg.select_on, "test": chosen["test"], "validation": chosen["validation"]},
        "verdict": verdict(candidates) if workflow.process.distills else None,
        "warnings": state.warnings + final_warnings(workflow, candidates, chosen),
        "trained_models": state.trained,
        "models_trained": len(state.trained),
        "models_trained_this_session": workflow.trained_now,
        "resumed": workflow.resumed,
        "sessions": state.sessions,
        "model_files": [p.relative_to(workflow.output).as_posix() for p in model_files],
        "seconds_this_session": round(time.perf_counter() - workflow.started, 1),
    }


def final_warnings(workflow, candidates: list[dict], chosen: dict) -> list[dict]:
    """The guard rails of the final choice: all the pseudo-labels' balance, a chosen model at
    chance, a validation split too small to choose with."""
    from .acceptance import labelled_shares

    classes = workflow.classes
    shares = dict(zip(classes, labelled_shares(workflow._arrays("train").labels, len(classes))))
    per_class = {c: 0 for c in classes}
    for entry in workflow.state.pseudo_labels:
        per_class[entry["label"]] += 1
    valid_counts = {c: 0 for c in classes}
    for index in workflow.split.of("valid"):
        valid_counts[workflow.dataset.labelled[index][1]] += 1
    several_rounds = len(workflow.state.rounds) > 1      # one round has said so already
    found = [guard_rails.uneven_acceptance("In all,", per_class, shares) if several_rounds else None,
             guard_rails.at_chance(chosen["name"], chosen["test"]),
             guard_rails.validation_too_small(valid_counts, sum(c["eligible"] for c in candidates))]
    return [item for item in found if item]

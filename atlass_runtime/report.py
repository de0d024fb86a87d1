"""results.json: every figure of a run in one file (what the notebook tables and plots read)."""
from __future__ import annotations

import platform
import time
from pathlib import Path

from . import __version__


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
            "skipped": [{"file": workflow.relative(p), "reason": why} for p, why in dataset.skipped],
            "split": {name: len(workflow.split.of(name)) for name in ("train", "valid", "test")},
        },
        "rounds": state.rounds,
        "stop_reason": state.stop_reason,
        "pseudo_labels": {"total": len(state.pseudo_labels), "per_class": pseudo_per_class,
                          "file": "pseudo_labels.csv"},
        "candidates": candidates,
        "selected": {"network": chosen["network"], "select_on": cfg.select_on,
                     "test": chosen["test"], "validation": chosen["validation"]},
        "trained_models": state.trained,
        "models_trained": len(state.trained),
        "models_trained_this_session": workflow.trained_now,
        "resumed": workflow.resumed,
        "sessions": state.sessions,
        "model_files": [p.relative_to(workflow.output).as_posix() for p in model_files],
        "seconds_this_session": round(time.perf_counter() - workflow.started, 1),
    }

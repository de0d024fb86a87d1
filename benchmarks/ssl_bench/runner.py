"""One process on one sample: the ATLASS workflow is given only the k labelled images per class
(plus the unlabelled ones), and the model it chooses is scored on the benchmark's own test set."""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from atlass_runtime import RunConfig, get_process
from atlass_runtime.evaluation import evaluate, selection_key
from atlass_runtime.image_store import decode_images

from .model_reuse import reusing_factory
from .sampling import Sample
from .sources import SourceDataset, SourceError


# Self-training settings compared by the protocol, as RunConfig values (those a process gives no
# say in, `Process.settable`, are left to RunConfig). "paper" is the paper's process; "improved" is whatever
# RunConfig defaults to now; the others turn one option on at a time.
PAPER = {"class_balance": False, "revote": False, "calibrate": False, "candidates": "pseudo-labelled"}
VARIANTS: dict[str, dict] = {
    "paper": PAPER,
    "improved": {},
    "balance": {**PAPER, "class_balance": True},
    "revote": {**PAPER, "revote": True},
    "calibrate": {**PAPER, "calibrate": True},
    "labels-alone": {**PAPER, "candidates": "all"},
    "all": {"class_balance": True, "revote": True, "calibrate": True, "candidates": "all"},
    "label-spreading": {"label_spreading": True},   # the improved defaults + label spreading must agree
}
# RunConfig fields a benchmark run sets itself (the rest come from --set or RunConfig's defaults).
OWN_FIELDS = ("process", "networks", "seed", "dataset_dir", "output_dir", "select_on")


@dataclass(frozen=True)
class Settings:
    """Everything that decides what a run computes, apart from dataset, k, seed, process and
    variant. Training settings are RunConfig fields (`config`), so the two cannot drift apart."""
    single_networks: tuple[str, ...] = ("EfficientNet-Lite0",)
    multi_networks: tuple[str, ...] = ("EfficientNet-Lite0", "EfficientNet-Lite1")
    nd_networks: str = "single"          # ND trains the single network (the paper) or the multi set
    config: tuple[tuple[str, object], ...] = (("valid_fraction", 0.16), ("test_fraction", 0.04))
    variants: tuple[str, ...] = ("paper",)
    lr_find_iterations: int | None = None   # None: the recipe's bound
    max_unlabelled: int | None = None
    min_unlabelled_ratio: float = 0.2

    def __post_init__(self):
        for name, _ in self.config:
            if name in OWN_FIELDS:
                raise ValueError(f"{name} is set by the benchmark for each run")
            if name not in RunConfig.field_names():
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(RunConfig.field_names())}")
        for variant in self.variants:
            if variant not in VARIANTS:
                raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")

    @property
    def values(self) -> dict:
        return dict(self.config)

    def settings_id(self) -> str:
        described = {**asdict(self), "variants": {v: VARIANTS[v] for v in self.variants},
                     "defaults": RunConfig().to_dict()}
        text = json.dumps(described, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]

    def networks_for(self, process: str) -> list[str]:
        info = get_process(process)
        if info.code == "ND":
            return list(self.single_networks if self.nd_networks == "single" else self.multi_networks)
        return list(self.multi_networks if info.multi_network else self.single_networks)

    def config_for(self, process: str, seed: int, dataset_dir: Path, output_dir: Path,
                   variant: str = "paper") -> RunConfig:
        info = get_process(process)
        # A setting the process gives no say in keeps the process's value (RunConfig refuses others).
        values = {name: value for name, value in {**self.values, **VARIANTS[variant]}.items()
                  if info.settable(name)}
        values.update(process=info.code, networks=self.networks_for(process), seed=seed,
                      select_on="validation", dataset_dir=str(dataset_dir), output_dir=str(output_dir))
        return RunConfig.from_dict(values)


class HeldOutTest:
    """The held-out images of a dataset, decoded once at the run's image size."""

    def __init__(self, source: SourceDataset, size: int):
        paths = [p for p, _ in source.test]
        pixels, failures = decode_images(paths, size)
        keep = [i for i, p in enumerate(paths) if p not in failures]
        if not keep:
            raise SourceError(f"{source.name}: no test image could be read")
        self.images = pixels[keep]
        self.labels = [source.test[i][1] for i in keep]
        self.unreadable = len(failures)


def trainer_factory(settings: Settings):
    def build(classes, config, log):
        from atlass_runtime.fastai_trainer import FastaiTrainer

        return FastaiTrainer(classes, config, progress="none",
                             lr_find_iterations=settings.lr_find_iterations, log=log)
    return build


def run_process(settings: Settings, source: SourceDataset, sample: Sample, truth: dict[str, str],
                process: str, dataset_dir: Path, output_dir: Path, test: HeldOutTest, log,
                model_cache: Path | None = None, keep_output: bool = False, variant: str = "paper") -> dict:
    """Run one process (resuming a killed attempt in output_dir) and return its CSV row.
    With `model_cache`, models trained identically by an earlier process of the draw are reused."""
    from atlass_runtime.workflow import Workflow

    started = time.perf_counter()
    config = settings.config_for(process, sample.seed, dataset_dir, output_dir, variant)
    build = trainer_factory(settings)
    if model_cache is not None:
        build = reusing_factory(build, model_cache, {"lr_find_iterations": settings.lr_find_iterations})
    workflow = Workflow(config, trainer_factory=build, log=log)
    results = workflow.run().results
    selected = results["selected"]
    true = np.array([workflow.classes.index(c) for c in test.labels])

    def held_out(name: str) -> dict:
        predicted = workflow.trainer.predict(workflow.candidate_models[name], test.images).argmax(axis=1)
        return evaluate(true, predicted, workflow.classes)

    scores = held_out(selected["name"])
    alone = [c for c in results["candidates"] if c["trained_on"] == "labels alone"]
    teacher = max(alone, key=lambda c: selection_key(c["validation"])) if alone else None
    pseudo = workflow.state.pseudo_labels
    reused = getattr(workflow.trainer, "reused", 0)
    right = sum(truth.get(entry["file"]) == entry["label"] for entry in pseudo)
    seconds = time.perf_counter() - started
    row = {
        "dataset": source.name, "k": sample.k, "seed": sample.seed, "variant": variant,
        "process": config.process, "networks": "+".join(config.networks), "selected_network": selected["name"],
        "selected_trained_on": selected["trained_on"],
        "labelled": len(sample.labelled), "capped_classes": sample.capped_text(),
        "unlabelled": len(sample.unlabelled) if get_process(process).distills else 0,
        "test_images": len(test.labels),
        "accuracy": round(scores["accuracy"], 6), "macro_f1": round(scores["macro_f1"], 6),
        "labels_alone_accuracy": round(held_out(teacher["name"])["accuracy"], 6) if teacher else "",
        "teacher_valid_accuracy": round(teacher["validation"]["accuracy"], 6) if teacher else "",
        "pseudo_labels": len(pseudo), "pseudo_labels_correct": right,
        "pseudo_label_accuracy": round(right / len(pseudo), 6) if pseudo else "",
        "max_acceptance_ratio": acceptance_ratio(workflow),
        "warnings": ";".join(sorted({w["kind"] for w in results["warnings"]})),
        "rounds": len(results["rounds"]), "stop_reason": results["stop_reason"] or "",
        "models_trained": workflow.trained_now - reused, "models_reused": reused,
        "seconds": round(seconds, 1), "settings_id": settings.settings_id(),
    }
    row["candidates"] = [candidate_record(c, held_out(c["name"])) for c in results["candidates"]]
    if not keep_output:
        shutil.rmtree(output_dir, ignore_errors=True)
    return row


def candidate_record(candidate: dict, test_scores: dict) -> dict:
    """What a selection rule can see of a candidate (its validation scores) and what it would
    have scored on the held-out test set: enough to compare selection rules after the runs."""
    valid = candidate["validation"]
    return {"name": candidate["name"], "network": candidate["network"], "trained_on": candidate["trained_on"],
            "eligible": candidate["eligible"], "valid_accuracy": round(valid["accuracy"], 6),
            "valid_macro_f1": round(valid["macro_f1"], 6),
            "valid_log_loss": round(valid["log_loss"], 6) if "log_loss" in valid else None,
            "test_accuracy": round(test_scores["accuracy"], 6), "test_macro_f1": round(test_scores["macro_f1"], 6)}


def acceptance_ratio(workflow) -> float | str:
    """The largest (share of the pseudo-labels) / (share of the labelled training images) of any
    class: 1 is perfectly balanced, above 2 one class piles up."""
    pseudo = workflow.state.pseudo_labels
    if not pseudo:
        return ""
    from atlass_runtime.acceptance import labelled_shares

    shares = labelled_shares(workflow._arrays("train").labels, len(workflow.classes))
    counts = np.bincount([workflow.classes.index(e["label"]) for e in pseudo], minlength=len(shares))
    ratios = [(count / len(pseudo)) / share for count, share in zip(counts, shares) if share > 0]
    return round(float(max(ratios)), 3)

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
from atlass_runtime.evaluation import evaluate
from atlass_runtime.image_store import decode_images

from .model_reuse import reusing_factory
from .sampling import Sample
from .sources import SourceDataset, SourceError


@dataclass(frozen=True)
class Settings:
    """Everything that decides what a run computes, apart from dataset, k, seed and process."""
    single_networks: tuple[str, ...] = ("ResNet50",)
    multi_networks: tuple[str, ...] = ("ResNet34", "ResNet50", "ResNet101", "DenseNet121")
    nd_networks: str = "single"          # ND trains the single network (the paper) or the multi set
    transforms: tuple[str, ...] | None = None   # None: the paper's five
    threshold: float = 0.8
    max_rounds: int = 5
    vote: str = "hard"
    epochs_frozen: int = 2
    epochs_unfrozen: int = 8
    image_size: int = 224
    batch_size: int = 32
    pretrained: bool = True
    lr_find_iterations: int = 100
    valid_fraction: float = 0.16         # of the k labelled images: chooses among networks
    test_fraction: float = 0.04          # the workflow's own test split (at least 1 per class)
    max_unlabelled: int | None = None
    min_unlabelled_ratio: float = 0.2

    def settings_id(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]

    def networks_for(self, process: str) -> list[str]:
        info = get_process(process)
        if info.code == "ND":
            return list(self.single_networks if self.nd_networks == "single" else self.multi_networks)
        return list(self.multi_networks if info.multi_network else self.single_networks)

    def config_for(self, process: str, seed: int, dataset_dir: Path, output_dir: Path) -> RunConfig:
        info = get_process(process)
        values = dict(process=info.code, networks=self.networks_for(process), vote=self.vote,
                      epochs_frozen=self.epochs_frozen, epochs_unfrozen=self.epochs_unfrozen,
                      image_size=self.image_size, batch_size=self.batch_size, seed=seed,
                      valid_fraction=self.valid_fraction, test_fraction=self.test_fraction,
                      pretrained=self.pretrained, select_on="validation",
                      dataset_dir=str(dataset_dir), output_dir=str(output_dir))
        if info.uses_transforms and self.transforms is not None:
            values["transforms"] = list(self.transforms)
        if info.iterative:
            values.update(threshold=self.threshold, max_rounds=self.max_rounds)
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
                model_cache: Path | None = None, keep_output: bool = False) -> dict:
    """Run one process (resuming a killed attempt in output_dir) and return its CSV row.
    With `model_cache`, models trained identically by an earlier process of the draw are reused."""
    from atlass_runtime.workflow import Workflow

    started = time.perf_counter()
    config = settings.config_for(process, sample.seed, dataset_dir, output_dir)
    build = trainer_factory(settings)
    if model_cache is not None:
        build = reusing_factory(build, model_cache, {"lr_find_iterations": settings.lr_find_iterations})
    workflow = Workflow(config, trainer_factory=build, log=log)
    results = workflow.run().results
    chosen = results["selected"]["network"]
    model = workflow.finals[chosen]
    predicted = workflow.trainer.predict(model, test.images).argmax(axis=1)
    true = np.array([workflow.classes.index(c) for c in test.labels])
    scores = evaluate(true, predicted, workflow.classes)
    pseudo = workflow.state.pseudo_labels
    reused = getattr(workflow.trainer, "reused", 0)
    right = sum(truth.get(entry["file"]) == entry["label"] for entry in pseudo)
    seconds = time.perf_counter() - started
    if not keep_output:
        shutil.rmtree(output_dir, ignore_errors=True)
    return {
        "dataset": source.name, "k": sample.k, "seed": sample.seed, "process": config.process,
        "networks": "+".join(config.networks), "selected_network": chosen,
        "labelled": len(sample.labelled), "capped_classes": sample.capped_text(),
        "unlabelled": len(sample.unlabelled) if get_process(process).distills else 0,
        "test_images": len(test.labels),
        "accuracy": round(scores["accuracy"], 6), "macro_f1": round(scores["macro_f1"], 6),
        "pseudo_labels": len(pseudo), "pseudo_labels_correct": right,
        "pseudo_label_accuracy": round(right / len(pseudo), 6) if pseudo else "",
        "rounds": len(results["rounds"]), "stop_reason": results["stop_reason"] or "",
        "models_trained": workflow.trained_now - reused, "models_reused": reused,
        "seconds": round(seconds, 1), "settings_id": settings.settings_id(),
    }

"""The transfer + semi-supervised workflow (design section 4), written once for all seven processes.

    split -> [train every network -> every (model, transform) pair votes on the unlabelled
    images -> confident ones become pseudo-labels] x rounds -> train every network on manual +
    pseudo labels -> choose on validation -> report on test -> export

Every trained model and every finished round is saved in the output folder; running the same
configuration again continues where a killed run stopped.
"""
from __future__ import annotations

import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .config import RunConfig
from .dataset import Dataset, scan_dataset
from .errors import ConfigError, SkippedFilesWarning
from .evaluation import evaluate, selection_key
from .files import atomic_write_csv, atomic_write_json
from .image_store import ImageStore
from .pseudo_labelling import label_unlabelled
from .run_state import RunState, dataset_signature
from .split import Split, require_examples, stratified_split
from .trainer import LabelledArrays, Trainer
from .transforms import transform_pipeline

Log = Callable[[str], None]


@dataclass
class WorkflowResult:
    results: dict
    output_dir: Path

    @property
    def model_dir(self) -> Path:
        return self.output_dir / "model"

    @property
    def results_path(self) -> Path:
        return self.output_dir / "results.json"

    @property
    def pseudo_labels_path(self) -> Path:
        return self.output_dir / "pseudo_labels.csv"


def default_trainer_factory(classes: list[str], config: RunConfig, log: Log = print) -> Trainer:
    from .fastai_trainer import FastaiTrainer

    return FastaiTrainer(classes, config, log=log)


def run_workflow(config: RunConfig, trainer_factory=default_trainer_factory, log: Log = print,
                 restart: bool = False) -> WorkflowResult:
    """Run (or resume) the whole workflow described by `config`; return its results."""
    return Workflow(config, trainer_factory, log, restart).run()


class Workflow:
    def __init__(self, config: RunConfig, trainer_factory=default_trainer_factory, log: Log = print,
                 restart: bool = False):
        self.config, self.log = config, log
        self.process = config.process_info
        self.output = Path(config.output_dir)
        self.root = Path(config.dataset_dir)
        self.started = time.perf_counter()
        self._refuse_output_inside_dataset()
        self.dataset, self.store = self._load_images()
        self.classes = self.dataset.classes
        self.split = self._split()
        # Open (and maybe refuse) the saved run before writing anything into its folder.
        self.state, self.resumed = RunState.open(self.output, config.fingerprint(), self._signature(), restart)
        if restart:
            shutil.rmtree(self.output / "checkpoints", ignore_errors=True)
        self._write_inputs()
        self.trainer = trainer_factory(self.classes, config, log)
        self.trained_now = 0
        self.finals: dict = {}
        self._announced = False

    # ------------------------------------------------------------------ preparation
    def _load_images(self) -> tuple[Dataset, ImageStore]:
        cfg = self.config
        dataset = scan_dataset(cfg.dataset_dir)
        if not self.process.distills and dataset.unlabelled:
            self.log(f"{self.process.code} does not use unlabelled images: "
                     f"{len(dataset.unlabelled)} unlabelled image(s) left aside.")
            dataset.unlabelled = []
        paths = [p for p, _ in dataset.labelled] + dataset.unlabelled
        self.log(f"Reading {len(paths)} images at {cfg.image_size} px...")
        store = ImageStore(paths, cfg.image_size)
        dataset = dataset.without(store.failures)
        if dataset.skipped:
            listing = "\n".join(f"  {p}: {why}" for p, why in dataset.skipped)
            warnings.warn(SkippedFilesWarning(
                f"{len(dataset.skipped)} file(s) of {dataset.root} were left out:\n{listing}"), stacklevel=4)
        require_examples(dataset.classes, dataset.counts())
        return dataset, store

    def _split(self) -> Split:
        cfg = self.config
        split = stratified_split([c for _, c in self.dataset.labelled], cfg.valid_fraction,
                                 cfg.test_fraction, cfg.seed)
        counts = {name: len(split.of(name)) for name in ("train", "valid", "test")}
        self.log(f"Dataset: {len(self.classes)} categories ({', '.join(self.classes)}); "
                 f"{len(self.dataset.labelled)} labelled images split {counts['train']} train / "
                 f"{counts['valid']} validation / {counts['test']} test; "
                 f"{len(self.dataset.unlabelled)} unlabelled; {len(self.dataset.skipped)} skipped.")
        return split

    def _refuse_output_inside_dataset(self) -> None:
        """Run files inside the dataset would be read as categories by the next run."""
        output, root = self.output.resolve(), self.root.resolve()
        if output == root or root in output.parents:
            raise ConfigError("output_dir", f"{self.output} is inside the dataset folder {self.root}; "
                              "its files would be taken for images and categories. Choose an output "
                              f"folder outside it, e.g. {root.parent / (root.name + '_results')}")

    def _write_inputs(self) -> None:
        """What this run reads: the files left out, and which image went to which split."""
        self.output.mkdir(parents=True, exist_ok=True)
        atomic_write_csv(self.output / "skipped_files.csv", ["file", "reason"],
                         [(self.relative(p), why) for p, why in self.dataset.skipped])
        atomic_write_csv(self.output / "split.csv", ["file", "label", "split"], sorted(
            (self.relative(self.dataset.labelled[i][0]), self.dataset.labelled[i][1], name)
            for name in ("train", "valid", "test") for i in self.split.of(name)))

    def _signature(self) -> str:
        return dataset_signature([(self.relative(p), c) for p, c in self.dataset.labelled],
                                 [self.relative(p) for p in self.dataset.unlabelled])

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _arrays(self, name: str) -> LabelledArrays:
        items = [self.dataset.labelled[i] for i in self.split.of(name)]
        return LabelledArrays(self.store.take([p for p, _ in items]),
                              np.array([self.classes.index(c) for _, c in items], dtype=np.int64))

    def _pseudo_arrays(self) -> LabelledArrays:
        paths = [self.root / entry["file"] for entry in self.state.pseudo_labels]
        labels = [self.classes.index(entry["label"]) for entry in self.state.pseudo_labels]
        return LabelledArrays(self.store.take(paths), np.array(labels, dtype=np.int64))

    # ------------------------------------------------------------------ stages
    # A notebook calls these one per cell; run() calls them in order. Each is safe to call
    # again after a kill: finished work is loaded, not redone.
    def run(self) -> WorkflowResult:
        self.pseudo_label()
        self.train_final()
        return self.evaluate_and_export()

    def pseudo_label(self) -> list[dict]:
        """Rounds of training + voting until a stop rule; returns the per-round summaries."""
        if self.resumed and not self._announced:
            self.log(f"Resuming the run in {self.output}: {len(self.state.trained)} model(s) already "
                     f"trained, {len(self.state.rounds)} round(s) finished; they are not redone.")
        self._announced = True
        self.state.save(self.output)
        self._write_pseudo_labels()
        self._rounds()
        return self.state.rounds

    def train_final(self) -> dict:
        """Every network trained on manual + pseudo labels (the candidates)."""
        if self.state.stop_reason is None:
            self.pseudo_label()
        self.finals = {net: self._model("final", net) for net in self.config.networks}
        return self.finals

    def evaluate_and_export(self) -> WorkflowResult:
        """Choose on validation, report every candidate on test, export the chosen model."""
        if not self.finals:
            self.train_final()
        results = self._evaluate_and_export(self.finals)
        return WorkflowResult(results, self.output)

    def _rounds(self) -> None:
        cfg = self.config
        transforms = transform_pipeline(cfg.transforms)
        for number in range(1, cfg.max_rounds + 1):
            if self.state.stop_reason:
                break
            if self.state.round_done(number):
                continue
            labelled_now = {entry["file"] for entry in self.state.pseudo_labels}
            remaining = [p for p in self.dataset.unlabelled if self.relative(p) not in labelled_now]
            if not remaining:
                self._stop("no unlabelled images left")
                break
            self.log(f"Round {number} of at most {cfg.max_rounds}: {len(remaining)} unlabelled images.")
            models = [self._model(f"round-{number}", net) for net in cfg.networks]
            self.log(f"Round {number}: {len(models)} model(s) x {len(transforms)} view(s) vote on "
                     f"{len(remaining)} images ({cfg.vote} vote, threshold {cfg.threshold}).")
            votes = label_unlabelled(self.trainer, models, transforms, self.store.take(remaining), cfg.vote)
            accepted = votes.accepted(cfg.threshold)
            self._record_round(number, remaining, votes, accepted)
        if self.state.stop_reason is None:
            self._stop("no unlabelled images" if self.process.distills else "no distillation")

    def _record_round(self, number: int, remaining: list[Path], votes, accepted: np.ndarray) -> None:
        taken = set(accepted.tolist())
        atomic_write_csv(self.output / "rounds" / f"round-{number}_votes.csv",
                         ["file", "label", "confidence", "accepted"],
                         [(self.relative(p), self.classes[int(votes.labels[i])],
                           round(float(votes.confidence[i]), 6), i in taken) for i, p in enumerate(remaining)])
        per_class = {c: 0 for c in self.classes}
        for i in accepted:
            label = self.classes[int(votes.labels[i])]
            per_class[label] += 1
            self.state.pseudo_labels.append({"file": self.relative(remaining[i]), "label": label,
                                             "confidence": round(float(votes.confidence[i]), 6),
                                             "round": number})
        summary = {"round": number, "unlabelled_before": len(remaining), "accepted": int(len(accepted)),
                   "accepted_per_class": per_class,
                   "mean_confidence_accepted": float(votes.confidence[accepted].mean()) if len(accepted) else None,
                   "threshold": self.config.threshold}
        self.state.rounds.append(summary)
        # The round and the stop rule it triggers are saved in one write: a kill between the two
        # would otherwise make the resumed run train one round too many.
        self.state.stop_reason = self._stop_rule(number, len(remaining), len(accepted))
        self.state.save(self.output)
        self._write_pseudo_labels()
        self._drop_old_checkpoints(keep=f"round-{number}")
        self.log(f"Round {number}: {len(accepted)} of {len(remaining)} images accepted "
                 f"({', '.join(f'{c}: {n}' for c, n in per_class.items())}).")
        if self.state.stop_reason:
            self._log_stop()

    def _stop_rule(self, number: int, remaining: int, accepted: int) -> str | None:
        if accepted == 0:
            return f"no image was accepted in round {number}"
        if accepted == remaining:
            return "no unlabelled images left"
        if number == self.config.max_rounds:
            return f"the limit of {self.config.max_rounds} round(s) was reached"
        return None

    def _stop(self, reason: str) -> None:
        self.state.stop_reason = reason
        self.state.save(self.output)
        self._log_stop()

    def _log_stop(self) -> None:
        reason = self.state.stop_reason
        self.log(f"Pseudo-labelling finished: {reason}; {len(self.state.pseudo_labels)} pseudo-label(s) in all.")

    def _write_pseudo_labels(self) -> None:
        atomic_write_csv(self.output / "pseudo_labels.csv", ["file", "label", "confidence", "round"],
                         [(e["file"], e["label"], e["confidence"], e["round"]) for e in self.state.pseudo_labels])

    # ------------------------------------------------------------------ models
    def _training_set(self) -> LabelledArrays:
        manual = self._arrays("train")
        if not self.state.pseudo_labels:
            return manual
        return LabelledArrays.concat(manual, self._pseudo_arrays())

    def _reusable_stage(self, stage: str) -> str | None:
        """The final models equal the last round's when that round added nothing."""
        if stage != "final" or not self.state.rounds or self.state.rounds[-1]["accepted"]:
            return None
        return f"round-{self.state.rounds[-1]['round']}"

    def _model(self, stage: str, network: str):
        source = self._reusable_stage(stage) or stage
        saved = self.state.checkpoint_of(source, network)
        if saved and (self.output / saved).is_file():
            self.log(f"{stage}: {network} loaded from {saved} (already trained).")
            return self.trainer.load(network, self.output / saved)
        train, valid = self._training_set(), self._arrays("valid")
        self.log(f"{stage}: training {network} on {len(train)} images "
                 f"({len(self.state.pseudo_labels)} pseudo-labelled), validating on {len(valid)}...")
        started = time.perf_counter()
        model = self.trainer.train(network, train, valid)
        seconds = time.perf_counter() - started
        checkpoint = f"checkpoints/{source}_{network.replace('/', '_')}.pth"
        (self.output / "checkpoints").mkdir(parents=True, exist_ok=True)
        self.trainer.save(model, self.output / checkpoint)
        self.state.trained.append({"stage": source, "network": network, "checkpoint": checkpoint,
                                   "seconds": round(seconds, 2), "lr": getattr(self.trainer, "last_lr", None)})
        self.state.save(self.output)
        self.trained_now += 1
        self.log(f"{stage}: {network} trained in {seconds:.1f} s.")
        return model

    def _drop_old_checkpoints(self, keep: str) -> None:
        """Checkpoints of earlier rounds are no longer needed to resume; free their disk space."""
        for entry in self.state.trained:
            if entry["stage"].startswith("round-") and entry["stage"] != keep:
                (self.output / entry["checkpoint"]).unlink(missing_ok=True)

    # ------------------------------------------------------------------ results
    def _evaluate_and_export(self, finals: dict) -> dict:
        from .report import build_results

        valid, test = self._arrays("valid"), self._arrays("test")
        candidates = []
        for network, model in finals.items():
            scores = {}
            for name, data in (("validation", valid), ("test", test)):
                predicted = self.trainer.predict(model, data.images).argmax(axis=1)
                scores[name] = evaluate(data.labels, predicted, self.classes)
            candidates.append({"network": network, **scores})
            self.log(f"{network}: validation accuracy {scores['validation']['accuracy']:.3f}, "
                     f"test accuracy {scores['test']['accuracy']:.3f}, test macro F1 {scores['test']['macro_f1']:.3f}")
        chosen = max(candidates, key=lambda c: selection_key(c[self.config.select_on]))
        self.log(f"Chosen on the {self.config.select_on} split: {chosen['network']}.")
        model_files = self.trainer.export(finals[chosen["network"]], chosen["network"], self.output / "model")
        results = build_results(self, candidates, chosen, model_files)
        atomic_write_json(self.output / "results.json", results)
        self.log(f"Results: {self.output / 'results.json'}; model: {self.output / 'model'}.")
        return results

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
from pathlib import Path
from typing import Callable

import numpy as np

from . import guard_rails
from .acceptance import labelled_shares
from .config import RunConfig
from .dataset import Dataset, scan_dataset
from .errors import ConfigError, SkippedFilesWarning
from .file_names import CHECKPOINTS, MODEL, PSEUDO_LABELS, RESULTS, SKIPPED, SPLIT, RunOutput, votes_name
from .files import atomic_write_csv, atomic_write_json
from .image_store import ImageStore
from .run_state import DatasetChangedError, RunState, dataset_signature, next_free_folder, saved_signature
from .self_training import (VOTE_COLUMNS, choose_transforms, new_pseudo_labels, round_line, round_summary,
                            same_labels, spread_over_features, temperatures_for, vote_on_pool,
                            vote_rows)
from .split import Split, require_examples, stratified_split
from .trainer import LabelledArrays, Trainer

Log = Callable[[str], None]


def dataset_changed_since(config: RunConfig, output: Path) -> bool:
    """Whether `output` holds a run made on another version of the config's dataset (found by
    listing the files, no image read; the files that run could not read are left out as it did)."""
    import csv

    saved = saved_signature(output)
    if saved is None:
        return False
    root = Path(config.dataset_dir)
    skipped = set()
    if (output / SKIPPED).is_file():
        with open(output / SKIPPED, newline="", encoding="utf-8") as handle:
            skipped = {row["file"] for row in csv.DictReader(handle)}
    dataset = scan_dataset(root)

    def relative(path: Path) -> str:
        return path.relative_to(root).as_posix()

    labelled = [(relative(p), c) for p, c in dataset.labelled if relative(p) not in skipped]
    unlabelled = [relative(p) for p in dataset.unlabelled if relative(p) not in skipped]
    return dataset_signature(labelled, unlabelled if config.process_info.distills else []) != saved


def default_trainer_factory(classes: list[str], config: RunConfig, log: Log = print) -> Trainer:
    from .fastai_trainer import FastaiTrainer

    return FastaiTrainer(classes, config, log=log)


def run_workflow(config: RunConfig, trainer_factory=default_trainer_factory, log: Log = print,
                 restart: bool = False) -> RunOutput:
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
        self.unlabelled_left_aside = 0      # a process without distillation does not read them
        self.dataset, self.store = self._load_images()
        self.classes = self.dataset.classes
        self.split = self._split()
        # Open (and maybe refuse) the saved run before writing anything into its folder.
        try:
            self.state, self.resumed = RunState.open(self.output, config.fingerprint(), self._signature(), restart)
        except DatasetChangedError as exc:   # a changed dataset trains as a new run, the old one kept
            new = next_free_folder(self.output)
            log(f"{exc}: this is a new run, in {new}; the earlier run stays in {self.output}.")
            self.output = new
            self.state, self.resumed = RunState.open(self.output, config.fingerprint(), self._signature(), restart)
        if restart:
            shutil.rmtree(self.output / CHECKPOINTS, ignore_errors=True)
        self._write_inputs()
        self.trainer = trainer_factory(self.classes, config, log)
        self._share_found_rates()
        self.trained_now = 0
        self.finals: dict = {}
        self.candidate_models: dict = {}    # candidate name -> model, after evaluate_and_export
        self._announced = False

    # ------------------------------------------------------------------ preparation
    def _load_images(self) -> tuple[Dataset, ImageStore]:
        cfg = self.config
        dataset = scan_dataset(cfg.dataset_dir)
        if not self.process.distills and dataset.unlabelled:
            self.log(f"{self.process.code} does not use unlabelled images: "
                     f"{len(dataset.unlabelled)} unlabelled image(s) left aside.")
            self.unlabelled_left_aside = len(dataset.unlabelled)
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
        """Run files inside the dataset would be read as categories by the next run; a file
        where the output folder should be is refused before any image is read."""
        if self.output.exists() and not self.output.is_dir():
            raise ConfigError("output_dir", f"{self.output} is a file, not a folder; give a folder for the "
                              "run's results (it is created if needed)")
        output, root = self.output.resolve(), self.root.resolve()
        if output == root or root in output.parents:
            raise ConfigError("output_dir", f"{self.output} is inside the dataset folder {self.root}; "
                              "its files would be taken for images and categories. Choose an output "
                              f"folder outside it, e.g. {root.parent / (root.name + '_results')}")

    def _write_inputs(self) -> None:
        """What this run reads: the files left out, and which image went to which split."""
        self.output.mkdir(parents=True, exist_ok=True)
        atomic_write_csv(self.output / SKIPPED, ["file", "reason"],
                         [(self.relative(p), why) for p, why in self.dataset.skipped])
        atomic_write_csv(self.output / SPLIT, ["file", "label", "split"], sorted(
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
    def run(self) -> RunOutput:
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

    def evaluate_and_export(self) -> RunOutput:
        """Choose on validation, report every candidate on test, export the chosen model."""
        if not self.finals:
            self.train_final()
        results = self._evaluate_and_export(self.finals)
        return RunOutput(self.output, results, self.config)

    def _pool(self) -> list[Path]:
        """The images this round votes on: the unlabelled ones not pseudo-labelled yet, or, when
        re-voting, every unlabelled image (so a pseudo-label can change or be dropped)."""
        if self.config.revote:
            return list(self.dataset.unlabelled)
        labelled_now = {entry["file"] for entry in self.state.pseudo_labels}
        return [p for p in self.dataset.unlabelled if self.relative(p) not in labelled_now]

    def _kept_per_class(self) -> np.ndarray:
        """Pseudo-labels per class that this round adds to (none when re-voting: it replaces them)."""
        counts = np.zeros(len(self.classes), dtype=np.int64)
        if not self.config.revote:
            for entry in self.state.pseudo_labels:
                counts[self.classes.index(entry["label"])] += 1
        return counts

    def _rounds(self) -> None:
        cfg = self.config
        for number in range(1, cfg.max_rounds + 1):
            if self.state.stop_reason:
                break
            if self.state.round_done(number):
                continue
            pool = self._pool()
            if not pool:
                self._stop("no unlabelled images left")
                break
            self.log(f"Round {number} of at most {cfg.max_rounds}: {len(pool)} unlabelled images.")
            models = [self._model(f"round-{number}", net) for net in cfg.networks]
            valid = self._arrays("valid")
            temperatures = temperatures_for(self.trainer, models, valid) if cfg.calibrate else [1.0] * len(models)
            if cfg.calibrate:
                self.log(f"Round {number}: temperatures fitted on the validation images: "
                         + ", ".join(f"{n} {t:.2f}" for n, t in zip(cfg.networks, temperatures)) + ".")
            transforms = self._transforms(models, valid, temperatures)
            self.log(f"Round {number}: {len(models)} model(s) x {len(transforms) + 1} view(s) vote on "
                     f"{len(pool)} images ({cfg.vote} vote, threshold {cfg.threshold}"
                     f"{', label spreading must agree' if cfg.label_spreading else ''}"
                     f"{', class balance' if cfg.class_balance else ''}).")
            images = self.store.take(pool)
            train = self._arrays("train") if cfg.class_balance or cfg.label_spreading else None
            shares = labelled_shares(train.labels, len(self.classes)) if cfg.class_balance else None
            second = spread_over_features(self.trainer, models, train, images) if cfg.label_spreading else None
            votes, accepted = vote_on_pool(self.trainer, models, transforms, images, temperatures,
                                           cfg.vote, cfg.threshold, shares, self._kept_per_class(), second)
            self._record_round(number, pool, votes, accepted, temperatures, second)
        if self.state.stop_reason is None:
            self._stop("no unlabelled images" if self.process.distills else "no distillation")

    def _transforms(self, models: list, valid: LabelledArrays, temperatures: list[float]) -> list[str]:
        """The configured transforms, or with "auto" those chosen once, in round 1, on validation."""
        cfg = self.config
        if not cfg.auto_transforms:
            return list(cfg.transforms)
        if self.state.transform_choice is None:
            chosen, steps = choose_transforms(self.trainer, models, valid, temperatures)
            self.state.transform_choice = {"chosen": chosen, "steps": steps}
            self.state.save(self.output)
            self.log("Transforms chosen on the validation images: "
                     + (", ".join(chosen) if chosen else "none (the image itself is best alone)") + ".")
        return list(self.state.transform_choice["chosen"])

    def _record_round(self, number: int, pool: list[Path], votes, accepted: np.ndarray,
                      temperatures: list[float], second_opinion: np.ndarray | None = None) -> None:
        files = [self.relative(p) for p in pool]
        before = {e["file"]: e["label"] for e in self.state.pseudo_labels}
        sizes = [p.stat().st_size if p.exists() else -1 for p in pool]
        atomic_write_csv(self.output / votes_name(number), list(VOTE_COLUMNS),
                         vote_rows(files, votes, accepted, self.classes, before, sizes, second_opinion))
        previous = self.state.pseudo_labels
        self.state.pseudo_labels = new_pseudo_labels(previous, files, votes, accepted, self.classes,
                                                     number, self.config.revote)
        summary = round_summary(number, votes, accepted, self.classes, self.config.threshold,
                                changed=not same_labels(previous, self.state.pseudo_labels),
                                second_opinion=second_opinion)
        if self.config.calibrate:
            summary["temperatures"] = dict(zip(self.config.networks, temperatures))
        self.state.rounds.append(summary)
        self._round_warnings(number, votes, summary["accepted_per_class"])
        # The round and the stop rule it triggers are saved in one write: a kill between the two
        # would otherwise make the resumed run train one round too many.
        held = sum(summary.get("held_back_by_balance", {}).values())
        against = sum(summary.get("left_out_by_label_spreading", {}).values())
        self.state.stop_reason = self._stop_rule(number, len(files), len(accepted), summary["changed"], held,
                                                 against)
        self.state.save(self.output)
        self._write_pseudo_labels()
        self._drop_old_checkpoints(keep=f"round-{number}")
        self.log(round_line(summary))
        if self.state.stop_reason:
            self._log_stop()

    def _round_warnings(self, number: int, votes, per_class: dict[str, int]) -> None:
        shares = dict(zip(self.classes, labelled_shares(self._arrays("train").labels, len(self.classes))))
        found = [guard_rails.threshold_unreachable(number, votes.confidence, self.config.threshold),
                 guard_rails.uneven_acceptance(f"Round {number}:", per_class, shares)]
        for item in filter(None, found):
            self.state.warnings.append({**item, "round": number})
            self.log(f"Warning: {item['message']}")

    def _stop_rule(self, number: int, pool: int, accepted: int, changed: bool, held: int,
                   against: int = 0) -> str | None:
        if accepted == 0:
            why = ([f"{against} above the threshold left out by label spreading"] if against else []) + (
                [f"{held} above the threshold held back by class balance"] if held else [])
            return f"no image was accepted in round {number}" + (f" ({'; '.join(why)})" if why else "")
        if self.config.revote and not changed:
            return f"the pseudo-labels did not change in round {number}"
        if accepted == pool and not self.config.revote:
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
        atomic_write_csv(self.output / PSEUDO_LABELS, ["file", "label", "confidence", "round"],
                         [(e["file"], e["label"], e["confidence"], e["round"]) for e in self.state.pseudo_labels])

    # ------------------------------------------------------------------ models
    def _training_set(self) -> LabelledArrays:
        manual = self._arrays("train")
        if not self.state.pseudo_labels:
            return manual
        return LabelledArrays.concat(manual, self._pseudo_arrays())

    def _reusable_stage(self, stage: str) -> str | None:
        """The final models equal the last round's when that round left the pseudo-labels as
        they were (it accepted nothing, or re-voting gave the same labels)."""
        if stage != "final" or not self.state.rounds or self.state.rounds[-1].get("changed", True):
            return None
        return f"round-{self.state.rounds[-1]['round']}"

    def _share_found_rates(self) -> None:
        """A resumed run reuses the learning rates its first trainings found, as the first session did."""
        known = getattr(self.trainer, "known_lrs", None)
        if known is None:
            return
        for entry in self.state.trained:
            if entry.get("lr") and not entry.get("lr_reused"):
                known.setdefault(entry["network"], entry["lr"])

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
        reused = network in getattr(self.trainer, "known_lrs", {}) and self.config.recipe_info.reuse_lr
        model = self.trainer.train(network, train, valid)
        seconds = time.perf_counter() - started
        checkpoint = f"{CHECKPOINTS}/{source}_{network.replace('/', '_')}.pth"
        (self.output / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
        self.trainer.save(model, self.output / checkpoint)
        self.state.trained.append({"stage": source, "network": network, "checkpoint": checkpoint,
                                   "seconds": round(seconds, 2), "lr": getattr(self.trainer, "last_lr", None),
                                   "lr_reused": bool(reused)})
        self.state.save(self.output)
        self.trained_now += 1
        self.log(f"{stage}: {network} trained in {seconds:.1f} s.")
        return model

    def _drop_old_checkpoints(self, keep: str) -> None:
        """Checkpoints of earlier rounds are no longer needed to resume; free their disk space.
        Round 1's stay: trained on the labels alone, they are candidates of the final choice."""
        for entry in self.state.trained:
            if entry["stage"].startswith("round-") and entry["stage"] not in (keep, "round-1"):
                (self.output / entry["checkpoint"]).unlink(missing_ok=True)

    # ------------------------------------------------------------------ results
    def labels_alone_models(self) -> dict:
        """The round-1 models (trained on the manual labels only), when they differ from the finals."""
        if not self.process.distills or not self.state.rounds or self._reusable_stage("final") == "round-1":
            return {}
        return {net: self._model("round-1", net) for net in self.config.networks}

    def _evaluate_and_export(self, finals: dict) -> dict:
        from .candidates import choose, evaluate_candidates
        from .report import build_results

        alone = self.labels_alone_models()
        candidates, self.candidate_models = evaluate_candidates(self, finals, alone)
        chosen = choose(candidates, self.config)
        self.log(f"Chosen on the {self.config.select_on} split: {chosen['name']}.")
        model_files = self.trainer.export(self.candidate_models[chosen["name"]], chosen["network"],
                                          self.output / MODEL)
        results = build_results(self, candidates, chosen, model_files)
        from .run_report import write_figures, write_report

        figures = write_figures(self, results)
        results["figures"] = [p.relative_to(self.output).as_posix() for p in figures]
        results["report"] = write_report(self, results, figures).relative_to(self.output).as_posix()
        atomic_write_json(self.output / RESULTS, results)
        self.log(f"Results: {self.output / 'results.json'}; report: {self.output / results['report']}; "
                 f"model: {self.output / 'model'}.")
        return results

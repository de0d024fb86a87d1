"""One draw of the protocol: k labelled images per class from the pool, the rest unlabelled.

Each class is shuffled by (seed, class name) only, so for one seed the 25 labelled images are
among the 50, and those among the 75 (runs at different k differ only by the added images).
A class with fewer than k pool images gives all it has ("capped"), and the table says so.
"""
from __future__ import annotations

import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .sources import Item, SourceDataset, SourceError

MIN_LABELLED_PER_CLASS = 3   # what the workflow's own train/valid/test split needs


@dataclass(frozen=True)
class Sample:
    k: int
    seed: int
    labelled: list[Item]
    unlabelled: list[Item]     # true labels kept, to score the pseudo-labels
    capped: dict[str, int]     # class -> labelled images it had (fewer than k)

    def capped_text(self) -> str:
        return ";".join(f"{c}={n}" for c, n in sorted(self.capped.items()))


def draw_sample(source: SourceDataset, k: int, seed: int, max_unlabelled: int | None = None) -> Sample:
    labelled, unlabelled, capped = [], [], {}
    for label in source.classes:
        paths = source.pool_of(label)
        if len(paths) < MIN_LABELLED_PER_CLASS:
            raise SourceError(f"{source.name}: class {label!r} has {len(paths)} image(s) outside the "
                              f"test set; at least {MIN_LABELLED_PER_CLASS} are needed")
        order = np.random.default_rng([seed, zlib.crc32(label.encode("utf-8"))]).permutation(len(paths))
        chosen = order[:k]
        if len(chosen) < k:
            capped[label] = len(chosen)
        labelled += [(paths[i], label) for i in sorted(chosen)]
        unlabelled += [(paths[i], label) for i in sorted(order[k:])]
    if max_unlabelled is not None and len(unlabelled) > max_unlabelled:
        keep = np.random.default_rng([seed, k, 1]).permutation(len(unlabelled))[:max_unlabelled]
        unlabelled = [unlabelled[i] for i in sorted(keep)]
    return Sample(k, seed, labelled, unlabelled, capped)


def too_few_unlabelled(sample: Sample, min_ratio: float) -> str | None:
    """Why this (dataset, k) is skipped, or None: semi-supervised learning needs unlabelled images."""
    needed = min_ratio * len(sample.labelled)
    if len(sample.unlabelled) == 0 or len(sample.unlabelled) < needed:
        return (f"only {len(sample.unlabelled)} unlabelled image(s) left for {len(sample.labelled)} "
                f"labelled (fewer than {min_ratio:g} x labelled)")
    return None


def write_organised(sample: Sample, folder: Path) -> dict[str, str]:
    """The organised layout the workflow reads (one folder per class + unlabelled/), made of links
    to the source files. Returns {path relative to folder: true class} for the unlabelled images."""
    shutil.rmtree(folder, ignore_errors=True)
    truth = {}
    for index, (path, label) in enumerate(sample.labelled):
        _link(path, folder / label / f"{index:06d}_{path.name}")
    for index, (path, label) in enumerate(sample.unlabelled):
        name = f"unlabelled/{index:06d}_{path.name}"
        _link(path, folder / name)
        truth[name] = label
    return truth


def _link(source: Path, target: Path) -> None:
    """A symbolic link (no data copied); a hard link, then a copy, where links are not allowed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for make in (lambda: os.symlink(source.resolve(), target), lambda: os.link(source, target)):
        try:
            make()
            return
        except OSError:
            continue
    shutil.copy2(source, target)

"""Stratified, seeded train / validation / test split of the labelled images (design 4.1).

Each class is shuffled with its own generator seeded by (seed, class name), so adding a class
does not reshuffle the others. The test split is only ever reported, never used to train or choose.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from .errors import DatasetError

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Split:
    train: list[int]
    valid: list[int]
    test: list[int]

    def of(self, name: str) -> list[int]:
        return getattr(self, name)


def class_split_sizes(count: int, valid_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """(train, valid, test) sizes for one class: at least one image in each, so any class of
    3 or more images splits (rounding up large fractions gives way to the training split)."""
    n_test = max(1, round(count * test_fraction))
    n_valid = max(1, round(count * valid_fraction))
    while count - n_valid - n_test < 1 and max(n_valid, n_test) > 1:
        if n_valid >= n_test:
            n_valid -= 1
        else:
            n_test -= 1
    return count - n_valid - n_test, n_valid, n_test


def stratified_split(labels: list[str], valid_fraction: float, test_fraction: float, seed: int) -> Split:
    """Indices into `labels` for each split. Raises DatasetError naming every class too small."""
    by_class: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(label, []).append(index)
    too_small = []
    for label, indices in sorted(by_class.items()):
        if class_split_sizes(len(indices), valid_fraction, test_fraction)[0] < 1:
            too_small.append(f"'{label}' has {len(indices)}")
    if too_small:
        raise DatasetError(
            "too few labelled images to split into training, validation and test: "
            + "; ".join(too_small)
            + ". Each category needs at least 3; label more images or remove the category."
        )
    train, valid, test = [], [], []
    for label, indices in sorted(by_class.items()):
        rng = np.random.default_rng([seed, zlib.crc32(label.encode("utf-8"))])
        order = [indices[i] for i in rng.permutation(len(indices))]
        n_train, n_valid, _ = class_split_sizes(len(order), valid_fraction, test_fraction)
        train += order[:n_train]
        valid += order[n_train:n_train + n_valid]
        test += order[n_train + n_valid:]
    return Split(sorted(train), sorted(valid), sorted(test))


def require_examples(classes: list[str], counts: dict[str, int]) -> None:
    """Fail early, naming them, when categories have no labelled image at all (or only one exists)."""
    if len(classes) < 2:
        found = f"only {classes[0]!r}" if classes else "none"
        raise DatasetError(f"a classifier needs at least two categories (one sub-folder each); found {found}. "
                           "Add a folder with images of another category")
    empty = [name for name in classes if counts.get(name, 0) == 0]
    if empty:
        raise DatasetError(
            f"categor{'y' if len(empty) == 1 else 'ies'} {', '.join(repr(e) for e in empty)} "
            "ha" + ("s" if len(empty) == 1 else "ve") + " no readable labelled image; "
            "label some images or remove the empty folder"
        )

"""Which voted images become pseudo-labels in a round: those above the threshold, and, with class
balance, no more of a class than its share of the labelled images allows, counted over the run
(the pseudo-labels kept from earlier rounds included); with a second opinion (label spreading),
only those it agrees with."""
from __future__ import annotations

import math

import numpy as np

from .ensemble import Votes


def candidates(votes: Votes, threshold: float, second_opinion: np.ndarray | None = None) -> np.ndarray:
    """The images above the threshold whose vote the second opinion (a category per image, -1:
    none) agrees with; all those above the threshold without one."""
    above = votes.accepted(threshold)
    if second_opinion is None:
        return above
    return above[votes.labels[above] == np.asarray(second_opinion)[above]]


def accept(votes: Votes, threshold: float, class_shares: np.ndarray | None = None,
           earlier: np.ndarray | None = None, second_opinion: np.ndarray | None = None) -> np.ndarray:
    """Indices (ascending) of the accepted images.

    Without `class_shares` every image whose confidence is strictly above the threshold is
    accepted (the paper). With them (each class's share of the labelled training images), the
    images above the threshold are taken most confident first, and a class may hold at most its
    share of all the pseudo-labels (rounded up): `earlier` counts, per class, those kept from
    earlier rounds, so one class can take over neither a round nor, one image a round, the run.
    With `second_opinion`, only the images it agrees with are considered (`candidates`).
    Images left out stay unlabelled for the next round.
    """
    above = candidates(votes, threshold, second_opinion)
    if class_shares is None or len(above) == 0:
        return above
    shares = np.asarray(class_shares, dtype=np.float64)
    order = above[np.argsort(-votes.confidence[above], kind="stable")]
    taken = np.zeros(len(votes), dtype=bool)
    counts = np.zeros(len(shares), dtype=np.int64) if earlier is None else np.asarray(earlier, dtype=np.int64).copy()
    total, changed = int(counts.sum()), True
    while changed:                  # passes until stable: a class waits for the others to catch up
        changed = False
        for index in order:
            if taken[index]:
                continue
            label = int(votes.labels[index])
            if counts[label] + 1 <= math.ceil(shares[label] * (total + 1) - 1e-9):
                taken[index], changed = True, True
                counts[label] += 1
                total += 1
    return np.flatnonzero(taken)


def held_back(votes: Votes, threshold: float, accepted: np.ndarray, n_classes: int,
              second_opinion: np.ndarray | None = None) -> np.ndarray:
    """Per class, the images above the threshold (and agreed with) that class balance left out."""
    left = np.setdiff1d(candidates(votes, threshold, second_opinion), accepted)
    return np.bincount(votes.labels[left].astype(np.int64), minlength=n_classes)


def disagreed(votes: Votes, threshold: float, second_opinion: np.ndarray | None, n_classes: int) -> np.ndarray:
    """Per class (the vote's), the images above the threshold the second opinion disagreed with."""
    if second_opinion is None:
        return np.zeros(n_classes, dtype=np.int64)
    left = np.setdiff1d(votes.accepted(threshold), candidates(votes, threshold, second_opinion))
    return np.bincount(votes.labels[left].astype(np.int64), minlength=n_classes)


def labelled_shares(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Each class's share of the labelled training images."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes).astype(np.float64)
    return counts / max(counts.sum(), 1.0)

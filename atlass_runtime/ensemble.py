"""Combining the votes of every (model, transform) pair on the unlabelled images (design section 4.3)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Votes:
    labels: np.ndarray        # (n,) winning class index per image
    confidence: np.ndarray    # (n,) in [0, 1]

    def accepted(self, threshold: float) -> np.ndarray:
        """Indices of the images whose confidence is strictly above the threshold."""
        return np.flatnonzero(self.confidence > threshold)


def hard_vote(probabilities: np.ndarray) -> Votes:
    """Weighted majority vote. probabilities: (pairs, n, classes) softmax outputs.

    Each pair votes for its top class with weight p (its probability); a class scores the sum of
    its weights; the winner is the top-scoring class (ties go to the lower class index) and its
    confidence is its score divided by the number of pairs.
    """
    probabilities = _check(probabilities)
    pairs, n, classes = probabilities.shape
    choice = probabilities.argmax(axis=2)                       # (pairs, n)
    weight = probabilities.max(axis=2)                          # (pairs, n)
    scores = np.zeros((n, classes), dtype=np.float64)
    for pair in range(pairs):
        np.add.at(scores, (np.arange(n), choice[pair]), weight[pair])
    labels = scores.argmax(axis=1)
    confidence = scores[np.arange(n), labels] / pairs
    return Votes(labels, confidence)


def soft_vote(probabilities: np.ndarray) -> Votes:
    """Average the probability vectors of all pairs (what the original ATLASS code did)."""
    mean = _check(probabilities).mean(axis=0)
    labels = mean.argmax(axis=1)
    return Votes(labels, mean[np.arange(mean.shape[0]), labels])


VOTERS = {"hard": hard_vote, "soft": soft_vote}


def vote(probabilities: np.ndarray, method: str = "hard") -> Votes:
    try:
        return VOTERS[method](probabilities)
    except KeyError:
        raise KeyError(f"unknown vote {method!r}; choose one of {', '.join(VOTERS)}") from None


def _check(probabilities) -> np.ndarray:
    array = np.asarray(probabilities, dtype=np.float64)
    if array.ndim != 3 or array.shape[0] < 1:
        raise ValueError(f"expected probabilities shaped (pairs, images, classes), got {array.shape}")
    return array

"""Combining the votes of every (model, transform) pair on the unlabelled images (design section 4.3).

Besides the winner and its confidence, a vote keeps what a reviewer needs: the runner-up class and
its score (the margin between them says how close the call was) and the share of pairs that voted
for the winner."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Votes:
    labels: np.ndarray               # (n,) winning class index per image
    confidence: np.ndarray           # (n,) in [0, 1]
    runner_up: np.ndarray            # (n,) second-best class index
    runner_up_confidence: np.ndarray  # (n,) its score, on the same scale as `confidence`
    agreement: np.ndarray            # (n,) share of pairs whose own top class is the winner

    @property
    def margin(self) -> np.ndarray:
        """Winner's score minus the runner-up's: small means a close call."""
        return self.confidence - self.runner_up_confidence

    def accepted(self, threshold: float) -> np.ndarray:
        """Indices of the images whose confidence is strictly above the threshold."""
        return np.flatnonzero(self.confidence > threshold)

    def __len__(self) -> int:
        return len(self.labels)


def _from_scores(scores: np.ndarray, probabilities: np.ndarray) -> Votes:
    """Votes from per-class scores (n, classes); ties go to the lower class index."""
    n = scores.shape[0]
    rows = np.arange(n)
    labels = scores.argmax(axis=1)
    masked = scores.copy()
    masked[rows, labels] = -np.inf
    runner_up = masked.argmax(axis=1) if scores.shape[1] > 1 else labels
    second = masked[rows, runner_up] if scores.shape[1] > 1 else np.zeros(n)
    agreement = (probabilities.argmax(axis=2) == labels[None, :]).mean(axis=0)
    return Votes(labels, scores[rows, labels], runner_up, second, agreement)


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
    return _from_scores(scores / pairs, probabilities)


def soft_vote(probabilities: np.ndarray) -> Votes:
    """Average the probability vectors of all pairs (what the original ATLASS code did)."""
    probabilities = _check(probabilities)
    return _from_scores(probabilities.mean(axis=0), probabilities)


VOTERS = {"hard": hard_vote, "soft": soft_vote}


def vote(probabilities: np.ndarray, method: str = "hard") -> Votes:
    try:
        voter = VOTERS[method]
    except KeyError:
        raise KeyError(f"unknown vote {method!r}; choose one of {', '.join(VOTERS)}") from None
    return voter(probabilities)


def _check(probabilities) -> np.ndarray:
    array = np.asarray(probabilities, dtype=np.float64)
    if array.ndim != 3 or array.shape[0] < 1:
        raise ValueError(f"expected probabilities shaped (pairs, images, classes), got {array.shape}")
    return array

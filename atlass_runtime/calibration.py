"""Calibrated confidence: one temperature per model, fitted on the validation images, so that a
vote's confidence of 0.8 means about 80 % right (temperature scaling, Guo et al., ICML 2017).

Softmax outputs are rescaled as p ** (1 / T), renormalised: the same as dividing the logits by T.
T > 1 softens an over-confident model, T < 1 sharpens a timid one; the predicted class never
changes."""
from __future__ import annotations

import numpy as np

LOWEST, HIGHEST = 0.05, 20.0     # the temperatures searched


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (..., classes) rescaled by the temperature."""
    logs = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0)) / temperature
    logs -= logs.max(axis=-1, keepdims=True)
    scaled = np.exp(logs)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    chosen = np.asarray(probabilities)[np.arange(len(labels)), np.asarray(labels, dtype=np.int64)]
    return float(-np.log(np.clip(chosen, 1e-12, 1.0)).mean())


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the validation images' negative log-likelihood.

    A grid over log T finds the valley (far from it the likelihood is flat to rounding, which
    would mislead a bisection), then a ternary search over 1 / T, in which the likelihood is
    convex, refines it. No validation images: 1 (no change)."""
    if len(labels) == 0:
        return 1.0

    def loss(inverse: float) -> float:
        return negative_log_likelihood(apply_temperature(probabilities, 1.0 / inverse), labels)

    grid = 1.0 / np.geomspace(LOWEST, HIGHEST, 61)[::-1]          # 1 / T, ascending
    best = int(np.argmin([loss(v) for v in grid]))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    for _ in range(60):
        a, b = low + (high - low) / 3, high - (high - low) / 3
        if loss(a) <= loss(b):
            high = b
        else:
            low = a
    return float(1.0 / ((low + high) / 2))

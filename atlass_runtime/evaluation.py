"""Figures a biologist and a reviewer expect: accuracy with its 95 % interval, per-class
precision / recall / F1, macro averages, the confusion matrix, and the chance levels to compare
them with."""
from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

Z95 = 1.959964


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def chance_levels(true: np.ndarray, n_classes: int) -> dict:
    """Accuracy of guessing at random (uniform) and of always answering the most frequent class."""
    true = np.asarray(true, dtype=np.int64)
    counts = np.bincount(true, minlength=n_classes)
    return {"uniform": 1.0 / n_classes,
            "majority": float(counts.max() / len(true)) if len(true) else 0.0}


def evaluate(true: np.ndarray, predicted: np.ndarray, classes: list[str],
             probabilities: np.ndarray | None = None) -> dict:
    """Metrics as plain JSON-ready values. Rows of the confusion matrix are the true classes.
    With `probabilities` (n, classes), the log-loss too (lower is better)."""
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        true, predicted, labels=labels, zero_division=0)
    correct = int((true == predicted).sum())
    metrics = {
        "n_images": int(len(true)),
        "accuracy": correct / len(true) if len(true) else 0.0,
        "accuracy_ci95": list(wilson_interval(correct, len(true))),
        "chance": chance_levels(true, len(classes)),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]),
                   "f1": float(f1[i]), "support": int(support[i])}
            for i, name in enumerate(classes)
        },
        "confusion_matrix": confusion_matrix(true, predicted, labels=labels).tolist(),
    }
    if probabilities is not None and len(true):
        chosen = np.asarray(probabilities, dtype=np.float64)[np.arange(len(true)), true]
        metrics["log_loss"] = float(-np.log(np.clip(chosen, 1e-12, 1.0)).mean())
    return metrics


def selection_key(metrics: dict) -> tuple[float, float, float]:
    """Higher is better: accuracy first, then macro F1, then the lower log-loss."""
    return metrics["accuracy"], metrics["macro_f1"], -metrics.get("log_loss", 0.0)

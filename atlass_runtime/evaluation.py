"""Figures a biologist and a reviewer expect: accuracy, per-class precision / recall / F1, macro
averages and the confusion matrix."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def evaluate(true: np.ndarray, predicted: np.ndarray, classes: list[str]) -> dict:
    """Metrics as plain JSON-ready values. Rows of the confusion matrix are the true classes."""
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        true, predicted, labels=labels, zero_division=0)
    return {
        "n_images": int(len(true)),
        "accuracy": float((true == predicted).mean()) if len(true) else 0.0,
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


def selection_key(metrics: dict) -> tuple[float, float]:
    """Higher is better: accuracy first, macro F1 to break ties."""
    return metrics["accuracy"], metrics["macro_f1"]

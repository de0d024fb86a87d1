"""Choosing the test-time transforms for the user (`transforms = "auto"`; the paper's "further
work"): greedy forward selection on the validation images (greedy policy search, Molchanov et al.,
UAI 2020).

The image itself is always in. Each step adds the transform that most raises the validation
log-likelihood of the ensemble (every model's probabilities averaged over every chosen view), and
the selection stops when no transform raises it."""
from __future__ import annotations

import numpy as np

from .calibration import negative_log_likelihood

def ensemble_log_likelihood(views: dict[str, np.ndarray], chosen: list[str], labels: np.ndarray) -> float:
    """Mean log-likelihood of the true labels; views[name]: (models, n, classes) probabilities."""
    average = np.mean([views[name] for name in chosen], axis=(0, 1))
    return -negative_log_likelihood(average, labels)


def greedy_transforms(views: dict[str, np.ndarray], labels: np.ndarray) -> tuple[list[str], list[dict]]:
    """(the chosen views, the first one of `views` (the image itself) always first; one record
    per step: what was added and the log-likelihood every candidate would have given)."""
    first = next(iter(views))
    chosen = [first]
    best = ensemble_log_likelihood(views, chosen, labels)
    steps = [{"added": first, "log_likelihood": round(best, 6), "tried": {}}]
    while True:
        tried = {name: ensemble_log_likelihood(views, chosen + [name], labels)
                 for name in views if name not in chosen}
        if not tried:
            break
        name = max(tried, key=lambda n: (tried[n], -list(views).index(n)))
        if tried[name] <= best + 1e-9:
            steps.append({"added": None, "log_likelihood": round(best, 6),
                          "tried": {n: round(v, 6) for n, v in tried.items()}})
            break
        chosen.append(name)
        best = tried[name]
        steps.append({"added": name, "log_likelihood": round(best, 6),
                      "tried": {n: round(v, 6) for n, v in tried.items()}})
    return chosen, steps

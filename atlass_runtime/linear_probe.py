"""A linear probe: multinomial logistic regression on frozen features, solved to convergence.

The objective is scikit-learn's `LogisticRegression(C=1)` (L2 on the weights, not the bias)
divided by C * n, so both find the same weights; solved with L-BFGS in float64 on the CPU (the
features of a few hundred images fit in memory many times over).
"""
from __future__ import annotations

import numpy as np
import torch


def fit_linear_probe(features: np.ndarray, labels: np.ndarray, n_classes: int, C: float = 1.0,
                     max_iter: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(weight (classes, features), bias (classes,)) of the fitted logistic regression."""
    x = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    n, d = x.shape
    weight = torch.zeros(n_classes, d, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    penalty = 1.0 / (2.0 * C * max(n, 1))
    optimiser = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=max_iter, tolerance_grad=1e-8,
                                  tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")

    def objective():
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weight.T + bias, y) + penalty * (weight ** 2).sum()
        loss.backward()
        return loss

    if n:
        optimiser.step(objective)
    return weight.detach().numpy(), bias.detach().numpy()

"""A second opinion on the pseudo-labels: label spreading over the networks' features (Zhou et al.,
"Learning with local and global consistency", NIPS 2004).

Every image (the labelled training images and the pool) is a node joined to its nearest
neighbours by cosine similarity of the pooled features; the manual labels then spread along the
graph until it settles. An image's category is the one that reaches it most. It answers from the
shape of the data, not from the classifier's decision boundary, so where it and the vote agree a
pseudo-label is right more often (benchmarks/results/feature_space_ssl.md: 76 % against 70 % for
confidence alone on frozen Lite0 features).
"""
from __future__ import annotations

import numpy as np

NEIGHBOURS = 7      # each image's nearest neighbours in the graph
ALPHA = 0.5         # how much an image takes from its neighbours against its own label, per step
STEPS = 100


def joint_features(per_model: list[np.ndarray]) -> np.ndarray:
    """One row per image: each model's features scaled to length 1, side by side, each model
    weighing the same in the cosine similarity."""
    parts = [unit_rows(f) / np.sqrt(len(per_model)) for f in per_model]
    return np.concatenate(parts, axis=1)


def unit_rows(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float64)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.where(norms > 0, norms, 1.0)


def neighbour_edges(features: np.ndarray, neighbours: int = NEIGHBOURS, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """The graph's edges as (sources, targets), each listed both ways once: i and j are joined
    when either is among the other's nearest (cosine similarity, rows of length 1); no image is
    its own neighbour. Built a block of rows at a time, so memory grows with the number of
    images, not its square."""
    n = len(features)
    k = min(neighbours, n - 1)
    if k < 1:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sources, targets = [], []
    for start in range(0, n, block):
        similarity = features[start:start + block] @ features.T
        own = np.arange(start, min(start + block, n))
        similarity[own - start, own] = -np.inf
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        sources.append(np.repeat(own, k))
        targets.append(nearest.ravel())
    sources, targets = np.concatenate(sources), np.concatenate(targets)
    both = np.unique(np.concatenate([sources * n + targets, targets * n + sources]))
    return both // n, both % n


def spread_labels(labelled: np.ndarray, labels: np.ndarray, unlabelled: np.ndarray, n_classes: int,
                  neighbours: int = NEIGHBOURS, alpha: float = ALPHA, steps: int = STEPS) -> np.ndarray:
    """The category label spreading gives each unlabelled image (row features, any scale), or -1
    where no label reaches it. F <- alpha S F + (1 - alpha) Y, with S the graph's symmetrically
    normalised adjacency and Y the manual labels, until F stops changing."""
    if len(unlabelled) == 0:
        return np.zeros(0, dtype=np.int64)
    features = unit_rows(np.concatenate([labelled, unlabelled]))
    n = len(features)
    sources, targets = neighbour_edges(features, neighbours)
    degree = np.bincount(sources, minlength=n).astype(np.float64)
    weights = 1.0 / np.sqrt(degree[sources] * degree[targets])
    seeds = np.zeros((n, n_classes))
    seeds[np.arange(len(labelled)), np.asarray(labels, dtype=np.int64)] = 1.0
    spread = seeds.copy()
    for _ in range(steps):
        gathered = np.zeros_like(spread)
        np.add.at(gathered, sources, weights[:, None] * spread[targets])
        updated = alpha * gathered + (1 - alpha) * seeds
        settled = np.abs(updated - spread).max() < 1e-6
        spread = updated
        if settled:
            break
    reached = spread[len(labelled):]
    answer = reached.argmax(axis=1)
    answer[reached.max(axis=1) <= 0] = -1
    return answer.astype(np.int64)

"""Step 3 of the workflow: every (model, transform) pair predicts every unlabelled image, in large
batches, and the votes are combined. Each transformed copy is made once and shown to all models.

The transforms act on the images at the network's input size (after the resize), so a 5x5 blur
changes an image as much whatever the camera's resolution, and no file is decoded twice."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .ensemble import Votes, vote
from .image_store import default_workers
from .transforms import Transform


def apply_transform(fn: Transform, images: np.ndarray, workers: int | None = None) -> np.ndarray:
    """fn applied to each image of an (n, S, S, 3) uint8 batch, in parallel threads."""
    if fn.__name__ == "identity":
        return images
    out = np.empty_like(images)

    def one(index):
        out[index] = fn(images[index])

    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        list(pool.map(one, range(len(images))))
    return out


def pair_probabilities(trainer, models: list, transforms: list[tuple[str, Transform]],
                       images: np.ndarray) -> np.ndarray:
    """(pairs, n, classes) probabilities, pairs ordered model-major within each transform."""
    n_classes = len(trainer.classes)
    result = np.zeros((len(models) * len(transforms), len(images), n_classes), dtype=np.float32)
    if len(images) == 0:
        return result
    for t, (_, fn) in enumerate(transforms):
        view = apply_transform(fn, images)
        for m, model in enumerate(models):
            result[t * len(models) + m] = trainer.predict(model, view)
    return result


def label_unlabelled(trainer, models: list, transforms: list[tuple[str, Transform]],
                     images: np.ndarray, method: str) -> Votes:
    return vote(pair_probabilities(trainer, models, transforms, images), method)

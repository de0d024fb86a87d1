"""Train once what every process of a draw trains alike.

In one (dataset, k, seed) draw, ND's network and round 1 of every other process are the same
network trained on the same images with the same seed; so are the multi-network processes' other
networks in round 1. A trainer wrapped here saves each trained model under a key made of the
network, the exact training and validation images and labels, and the training settings, and
loads it instead of training again when the same key comes back. On a CPU fastai training is
seeded and reproducible, so this changes the time taken, not the results; it also makes the
comparison between processes more tightly paired.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

TRAINING_FIELDS = ("recipe", "epochs_frozen", "epochs_unfrozen", "lr_rule", "image_size", "batch_size",
                   "seed", "pretrained", "mixed_precision")


class ReusingTrainer:
    def __init__(self, inner, cache: Path, extra_settings: dict | None = None):
        self.inner, self.cache = inner, Path(cache)
        self.classes = inner.classes
        settings = {name: getattr(inner.config, name) for name in TRAINING_FIELDS}
        settings.update(classes=list(inner.classes), **(extra_settings or {}))
        self._settings = json.dumps(settings, sort_keys=True)
        self.trained = self.reused = 0

    def __getattr__(self, name):        # device, last_lr, config... of the wrapped trainer
        return getattr(self.inner, name)

    def key(self, network: str, train, valid) -> str:
        digest = hashlib.sha256(f"{network}\n{self._settings}\n".encode("utf-8"))
        for array in (train.images, train.labels, valid.images, valid.labels):
            digest.update(str((array.shape, array.dtype.str)).encode("ascii"))
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()[:20]

    def train(self, network: str, train, valid):
        path = self.cache / f"{network.replace('/', '_')}-{self.key(network, train, valid)}.pth"
        rate = path.with_suffix(".json")
        if path.is_file() and rate.is_file():
            # as if trained here: the rate the training found is known for the later rounds
            found = json.loads(rate.read_text())
            self.inner.last_lr = found["last_lr"]
            if found.get("first_lr") and hasattr(self.inner, "known_lrs"):
                self.inner.known_lrs.setdefault(network, found["first_lr"])
            self.reused += 1
            return self.inner.load(network, path)
        model = self.inner.train(network, train, valid)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.inner.save(model, path)
        rate.write_text(json.dumps({"last_lr": getattr(self.inner, "last_lr", None),
                                    "first_lr": getattr(self.inner, "known_lrs", {}).get(network)}))
        self.trained += 1
        return model

    def predict(self, model, images):
        return self.inner.predict(model, images)

    def save(self, model, path):
        self.inner.save(model, path)

    def load(self, network, path):
        return self.inner.load(network, path)

    def export(self, model, network, folder):
        return self.inner.export(model, network, folder)


def reusing_factory(build, cache: Path, extra_settings: dict | None = None):
    """A workflow trainer_factory whose trainers reuse the models saved in `cache`."""
    def reusing(classes, config, log):
        return ReusingTrainer(build(classes, config, log), cache, extra_settings)
    return reusing

"""A trainer that learns nothing but behaves like one: fast, deterministic, and honest about
what the loop asked of it (which networks, on how many images, how many times)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class FakeModel:
    def __init__(self, network: str, bias: np.ndarray):
        self.network, self.bias = network, bias


class FakeTrainer:
    """Predicts from the mean colour of each image plus a per-network bias, so different
    networks and transforms disagree a little, and confidence varies between images."""

    def __init__(self, classes, config, log=print, sharpness: float = 8.0):
        self.classes = list(classes)
        self.config = config
        self.sharpness = sharpness
        self.device = "fake"
        self.trained: list[tuple[str, int]] = []     # (network, training images), per instance

    def _bias(self, network: str) -> np.ndarray:
        rng = np.random.default_rng(sum(map(ord, network)))
        return rng.normal(0, 0.3, len(self.classes))

    def train(self, network, train, valid):
        self.trained.append((network, len(train)))
        return FakeModel(network, self._bias(network))

    def predict(self, model, images):
        features = images.reshape(len(images), -1, 3).mean(axis=1) / 255.0   # (n, 3)
        anchors = np.linspace(0, 1, len(self.classes))
        logits = -self.sharpness * (features[:, :1] - anchors[None, :]) ** 2 * 10 + model.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)

    def features(self, model, images):
        """(brightness, darkness): what predict sees, as a direction (label spreading compares
        features by angle)."""
        brightness = images.reshape(len(images), -1).mean(axis=1) / 255.0
        return np.stack([brightness, 1.0 - brightness], axis=1)

    def save(self, model, path):
        Path(path).write_text(json.dumps({"network": model.network, "bias": model.bias.tolist()}))

    def load(self, network, path):
        data = json.loads(Path(path).read_text())
        return FakeModel(data["network"], np.array(data["bias"]))

    def export(self, model, network, folder):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.json").write_text(json.dumps({"network": network, "classes": self.classes}))
        return [folder / "model.json"]

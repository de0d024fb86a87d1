"""What the workflow loop needs from a trainer. The loop is written once against this interface:
the fastai trainer runs it for real, a fake one tests it in milliseconds."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class LabelledArrays:
    images: np.ndarray   # (n, size, size, 3) uint8 RGB
    labels: np.ndarray   # (n,) int64 class indices

    def __len__(self) -> int:
        return len(self.labels)

    @staticmethod
    def concat(*parts: "LabelledArrays") -> "LabelledArrays":
        parts = [p for p in parts if len(p)]
        return LabelledArrays(np.concatenate([p.images for p in parts]),
                              np.concatenate([p.labels for p in parts]).astype(np.int64))


class Trainer(Protocol):
    classes: list[str]

    def train(self, network: str, train: LabelledArrays, valid: LabelledArrays) -> Any:
        """Train `network` from scratch (or ImageNet weights) and return a model handle."""

    def predict(self, model: Any, images: np.ndarray) -> np.ndarray:
        """Softmax probabilities (n, classes) for uint8 images (n, size, size, 3)."""

    def features(self, model: Any, images: np.ndarray) -> np.ndarray:
        """(n, features): what the model's last layer sees for each image (label spreading's graph)."""

    def save(self, model: Any, path: Path) -> None:
        """Write the model's weights to `path` (atomically)."""

    def load(self, network: str, path: Path) -> Any:
        """A model handle from weights written by `save`."""

    def export(self, model: Any, network: str, folder: Path) -> list[Path]:
        """Write the model in its deployable forms into `folder`; return the files written."""

"""Fully labelled datasets in, as one shape: a pool (labelled and unlabelled images are drawn
from it) and a held-out test set that is the same for every k, seed and process.

- A class-folder dataset (one folder per class): a fixed, seeded 25% of each class is held out
  as test; the rest is the pool. Images in an `unlabelled/` folder are ignored (the protocol
  needs true labels for everything).
- A MedMNIST `.npz` (train/val/test images and labels): official train + val is the pool, the
  official test split is the test set. The arrays are written once as PNG files into the work
  folder, because the workflow reads image files.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from atlass_runtime.dataset import scan_dataset

HOLDOUT_FRACTION = 0.25
HOLDOUT_SEED = 0
Item = tuple[Path, str]   # (image file, true class)


class SourceError(ValueError):
    """A dataset the protocol cannot use; the message says which and why."""


@dataclass(frozen=True)
class SourceDataset:
    name: str
    classes: list[str]
    pool: list[Item]
    test: list[Item]
    test_origin: str   # how the test set was made, for the table's notes

    def pool_of(self, label: str) -> list[Path]:
        return [path for path, c in self.pool if c == label]


def load_source(path: str | Path, work: Path) -> SourceDataset:
    path = Path(path)
    if path.suffix.lower() == ".npz":
        return read_npz(path, work)
    return read_class_folders(path)


# ---------------------------------------------------------------------- class folders
def read_class_folders(root: Path, holdout_fraction: float = HOLDOUT_FRACTION,
                       holdout_seed: int = HOLDOUT_SEED) -> SourceDataset:
    scanned = scan_dataset(root)
    by_class = {name: sorted(p for p, c in scanned.labelled if c == name) for name in scanned.classes}
    pool, test = [], []
    for label, paths in by_class.items():
        if len(paths) < 4:   # 1 test + the 3 a workflow split needs
            raise SourceError(f"{root}: class {label!r} has {len(paths)} image(s); the protocol "
                              "needs at least 4 per class")
        order = np.random.default_rng([holdout_seed, zlib.crc32(label.encode("utf-8"))]).permutation(len(paths))
        n_test = max(1, round(len(paths) * holdout_fraction))
        test += [(paths[i], label) for i in sorted(order[:n_test])]
        pool += [(paths[i], label) for i in sorted(order[n_test:])]
    origin = (f"a fixed {holdout_fraction:.0%} of each class held out (seed {holdout_seed}), "
              "the same for every k, seed and process")
    return SourceDataset(root.name, sorted(by_class), pool, test, origin)


# ---------------------------------------------------------------------- MedMNIST npz
def npz_class_name(index: int) -> str:
    return f"class_{index}"


def read_npz(path: Path, work: Path) -> SourceDataset:
    """Pool = official train + val, test = official test; PNGs written under `work` once."""
    with np.load(path) as data:
        missing = [k for k in ("train_images", "train_labels", "test_images", "test_labels") if k not in data]
        if missing:
            raise SourceError(f"{path}: not a MedMNIST-style npz (missing {', '.join(missing)})")
        has_val = "val_images" in data
        parts = {"train": ("train", "val") if has_val else ("train",), "test": ("test",)}
        arrays = {split: [(_images(data[f"{p}_images"], path), _labels(data[f"{p}_labels"], path), p)
                          for p in names] for split, names in parts.items()}
    folder = work / f"{path.stem}-npz-{_file_digest(path)[:10]}"
    n_classes = 1 + max(int(labels.max()) for chunks in arrays.values() for _, labels, _ in chunks)
    classes = [npz_class_name(i) for i in range(n_classes)]
    items = {split: _write_pngs(chunks, folder / split, classes) for split, chunks in arrays.items()}
    (folder / "complete").write_text("all PNG files written\n")
    origin = "the official test split; pool: official train" + (" + val" if has_val else "")
    return SourceDataset(path.stem, classes, items["train"], items["test"], origin)


def _images(array: np.ndarray, path: Path) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[3] not in (1, 3)):
        raise SourceError(f"{path}: expected uint8 images (N, H, W) or (N, H, W, 3), got "
                          f"{array.dtype} {array.shape} (3D MedMNIST volumes are not supported)")
    return array


def _labels(array: np.ndarray, path: Path) -> np.ndarray:
    if array.ndim == 2 and array.shape[1] != 1:
        raise SourceError(f"{path}: labels {array.shape} are multi-label; the protocol needs one class per image")
    return array.reshape(-1).astype(np.int64)


def _write_pngs(chunks, folder: Path, classes: list[str]) -> list[Item]:
    items, complete = [], (folder.parent / "complete").is_file()
    for images, labels, part in chunks:
        for index, (image, label) in enumerate(zip(images, labels)):
            target = folder / classes[label] / f"{part}_{index:06d}.png"
            if not (complete and target.is_file()):
                target.parent.mkdir(parents=True, exist_ok=True)
                if image.ndim == 3 and image.shape[2] == 3:
                    image = image[:, :, ::-1]   # OpenCV writes BGR
                if not cv2.imwrite(str(target), image):
                    raise SourceError(f"could not write {target}")
            items.append((target, classes[label]))
    return items


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

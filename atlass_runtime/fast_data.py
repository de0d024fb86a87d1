"""The fast data path: fastai DataLoaders over images already decoded into one uint8 tensor.

The tensor sits on the training device (the GPU when there is one), a batch is one indexing
operation, and augmentation, scaling and normalisation run on that device as fastai batch
transforms. No file is opened and no image is decoded during training.
"""
from __future__ import annotations

import numpy as np
import torch
from . import _fastai  # noqa: F401  (first: quiet import)
from fastai.data.core import DataLoaders, TfmdDL
from fastai.data.transforms import Normalize
from fastai.torch_core import TensorCategory, TensorImage
from fastai.vision.augment import aug_transforms
from fastai.data.transforms import IntToFloatTensor

from .networks import IMAGENET_MEAN as MEAN, IMAGENET_STD as STD


class ArraySource:
    """Images (N, 3, S, S) uint8 and labels (N,) int64, both torch tensors on one device."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        return TensorImage(self.images[index]), TensorCategory(self.labels[index])

    def batch(self, indices) -> tuple[TensorImage, TensorCategory]:
        rows = torch.as_tensor(indices, dtype=torch.long, device=self.images.device)
        return TensorImage(self.images[rows]), TensorCategory(self.labels[rows])

    def new_empty(self) -> "ArraySource":
        return ArraySource(self.images[:0], self.labels[:0])


class ArrayDataLoader(TfmdDL):
    """A fastai TfmdDL whose batches are slices of an ArraySource (no workers, no collation)."""

    def __init__(self, dataset: ArraySource, bs: int = 64, **kwargs):
        kwargs.setdefault("num_workers", 0)
        super().__init__(dataset, bs=bs, **kwargs)

    def create_batches(self, samps):
        indices = list(samps)
        for start in range(0, len(indices), self.bs):
            chunk = indices[start:start + self.bs]
            if self.drop_last and len(chunk) < self.bs:
                break
            yield self.dataset.batch(chunk)


def to_nchw_tensor(images: np.ndarray, device) -> torch.Tensor:
    """(N, S, S, 3) uint8 numpy -> (N, 3, S, S) uint8 tensor on `device`."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous().to(device)


def batch_transforms(augment: bool, mean=MEAN, std=STD) -> list:
    """Scaling to [0, 1], fastai's usual augmentations (training only), the network's normalisation."""
    tfms = [IntToFloatTensor()]
    if augment:
        tfms += aug_transforms()
    return tfms + [Normalize.from_stats(mean, std)]


def array_dataloaders(train_images: np.ndarray, train_labels: np.ndarray,
                      valid_images: np.ndarray, valid_labels: np.ndarray,
                      batch_size: int, device, mean=MEAN, std=STD) -> DataLoaders:
    """fastai DataLoaders for training from in-memory arrays (augmented train, plain valid)."""
    def source(images, labels):
        return ArraySource(to_nchw_tensor(images, device),
                           torch.as_tensor(np.asarray(labels), dtype=torch.long, device=device))

    train_bs = max(2, min(batch_size, len(train_labels)))
    # drop_last keeps BatchNorm away from a 1-image batch; skip it when a single batch is all there is.
    train = ArrayDataLoader(source(train_images, train_labels), bs=train_bs, shuffle=True,
                            drop_last=len(train_labels) > train_bs, device=device,
                            after_batch=batch_transforms(True, mean, std))
    valid = ArrayDataLoader(source(valid_images, valid_labels), bs=max(2, batch_size * 2),
                            shuffle=False, drop_last=False, device=device,
                            after_batch=batch_transforms(False, mean, std))
    return DataLoaders(train, valid, device=device)


def normalise_batch(images: np.ndarray | torch.Tensor, device, mean=None, std=None) -> torch.Tensor:
    """uint8 NHWC batch -> normalised float NCHW on `device` (what the networks were trained on);
    mean/std default to ImageNet's."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(np.ascontiguousarray(images))
    x = images.to(device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(MEAN if mean is None else mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD if std is None else std, device=device).view(1, 3, 1, 1)
    return (x - mean) / std

"""fastai's usual file-based pipeline, reading images the ATLASS way (16-bit, RGBA, multi-page).

The exported `model.pkl` carries these DataLoaders, so `load_learner(...).predict("cell.tif")`
preprocesses a file exactly as training did. It is also the "plain path" the fast in-memory path
is tested against.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from . import _fastai  # noqa: F401  (first: quiet import)
from fastai.data.block import CategoryBlock, DataBlock
from fastai.data.transforms import Normalize
from fastai.vision.core import PILImage
from fastai.vision.data import ImageBlock
from fasttransform import Transform
from PIL import Image

from .imageio import read_image, resize_square, to_rgb8
from .networks import IMAGENET_MEAN, IMAGENET_STD


class AtlassImage(PILImage):
    """A fastai image created with ATLASS's reader (8-bit RGB, deeper data auto-contrasted)."""

    @classmethod
    def create(cls, fn: Path | str | np.ndarray, **kwargs):
        array = fn if isinstance(fn, np.ndarray) else to_rgb8(read_image(fn))
        return cls(Image.fromarray(np.ascontiguousarray(array)))


class SquareResize(Transform):
    """Resize to size x size with OpenCV, exactly as the in-memory path does."""
    order = 1

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def encodes(self, image: PILImage):
        return type(image)(Image.fromarray(resize_square(np.asarray(image), self.size)))


class FirstClass:
    """Label getter for the placeholder item that lets fastai build empty-of-data DataLoaders."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, item):
        return self.label


def file_datablock(classes: list[str], size: int, get_x=None, get_y=None,
                   mean=IMAGENET_MEAN, std=IMAGENET_STD) -> DataBlock:
    return DataBlock(
        blocks=(ImageBlock(AtlassImage), CategoryBlock(vocab=list(classes), sort=False)),
        get_x=get_x, get_y=get_y or FirstClass(classes[0]),
        splitter=_all_in_both,
        item_tfms=[SquareResize(size)],
        batch_tfms=[Normalize.from_stats(mean, std)],
    )


def _all_in_both(items):
    indices = list(range(len(items)))
    return indices, indices


def file_dataloaders(classes: list[str], size: int, batch_size: int = 64,
                     mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """DataLoaders that know the classes and the preprocessing but hold no data (for export)."""
    placeholder = [np.zeros((size, size, 3), dtype=np.uint8)]
    return file_datablock(classes, size, mean=mean, std=std).dataloaders(
        placeholder, bs=batch_size, num_workers=0)

"""Classifying new images with an exported model: files or folders in, a table (and CSV) out."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import AtlassError, SkippedFilesWarning
from .export import find_model_files, load_model
from .image_store import decode_images
from .imageio import is_image_name


CHUNK = 2048   # images decoded at once when predicting


def collect_images(inputs) -> list[Path]:
    """Image files named directly or found (recursively) in the given folders, in a stable order."""
    found: list[Path] = []
    for item in [inputs] if isinstance(inputs, (str, Path)) else inputs:
        path = Path(item)
        if path.is_dir():
            for current, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(current) / f for f in sorted(files)
                          if is_image_name(f) and not f.startswith(".")]
        elif path.is_file():
            if not is_image_name(path.name):
                raise AtlassError(f"{path} is not an image file (JPEG, PNG, BMP, GIF, WebP or TIFF); "
                                  "give image files or folders of images")
            found.append(path)
        else:
            raise AtlassError(f"{path} does not exist; give image files or folders of images")
    if not found:
        shown = ", ".join(map(str, [inputs] if isinstance(inputs, (str, Path)) else inputs))
        raise AtlassError(f"no image files found in {shown}")
    return found


def predict_images(model, inputs, output_csv: str | Path | None = None, device: str | None = None,
                   batch_size: int = 128, relative_to: str | Path | None = None) -> pd.DataFrame:
    """Predict every image; columns: file, label, confidence, then one probability per class.

    Files that cannot be read are listed in a warning and left out of the table. `relative_to`:
    files are written relative to that folder (the notebook gives the dataset folder, so the
    table's paths match pseudo_labels.csv's).
    """
    from .fastai_trainer import pick_device, predict_probabilities

    device = pick_device(device)          # the quick checks first: the device, the model files, the images
    find_model_files(model)
    paths = collect_images(inputs)
    module, meta = load_model(model)
    module.to(device)
    keep, failures, parts = [], {}, []
    for start in range(0, len(paths), CHUNK):   # decoded a chunk at a time: big folders fit in memory
        chunk = paths[start:start + CHUNK]
        images, failed = decode_images(chunk, meta["image_size"])
        kept = [i for i, p in enumerate(chunk) if p not in failed]
        failures.update(failed)
        keep += [start + i for i in kept]
        if kept:
            parts.append(predict_probabilities(module, images[kept], device, batch_size=batch_size,
                                               mean=meta.get("mean"), std=meta.get("std")))
    if failures and not keep:
        first = next(iter(failures.items()))
        raise AtlassError(f"none of the {len(paths)} image file(s) could be read (the first, {first[0]}: "
                          f"{first[1]})")
    if failures:
        listing = "\n".join(f"  {p}: {why}" for p, why in failures.items())
        warnings.warn(SkippedFilesWarning(f"{len(failures)} file(s) could not be read:\n{listing}"), stacklevel=2)
    classes = meta["classes"]
    table = pd.DataFrame({"file": [_shown(paths[i], relative_to) for i in keep]})
    if keep:
        probabilities = np.concatenate(parts)
        table["label"] = [classes[i] for i in probabilities.argmax(axis=1)]
        table["confidence"] = probabilities.max(axis=1).round(6)
        for c, name in enumerate(classes):
            table[f"p_{name}"] = probabilities[:, c].round(6)
    else:
        table["label"], table["confidence"] = [], []
    if output_csv is not None:
        from .files import atomic_write_text

        atomic_write_text(output_csv, table.to_csv(index=False))
    return table


def _shown(path: Path, root: str | Path | None) -> str:
    if root is None:
        return str(path)
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(path)

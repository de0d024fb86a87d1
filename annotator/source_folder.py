"""Reading the folder of images to annotate (searched recursively, never modified)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from atlass_runtime.dataset import IGNORED_NAMES, UNLABELLED_ALIASES
from atlass_runtime.imageio import IMAGE_EXTENSIONS

from .names import category_name_problem, natural_key


def ignored(name: str) -> bool:
    """Hidden files and folders and the operating system's own files are never images to sort."""
    return name.startswith(".") or name.lower() in IGNORED_NAMES


def is_image_name(name: str) -> bool:
    """Same rule as atlass_runtime.imageio.is_image_name, without making a Path (fast for 100k)."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def find_images(root: str | Path) -> list[str]:
    """Relative POSIX paths of every image file under `root`, in natural order."""
    root = Path(root)
    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not ignored(d)]
        prefix = Path(current).relative_to(root).as_posix()
        prefix = "" if prefix == "." else prefix + "/"
        found.extend(prefix + f for f in files if not ignored(f) and is_image_name(f))
    found.sort(key=natural_key)
    return found


@dataclass
class SourceSummary:
    """What the start dialog shows about an image folder."""
    n_images: int
    suggested_categories: list[str] = field(default_factory=list)


def summarise_source(root: str | Path) -> SourceSummary:
    """Count the images and suggest the top-level sub-folders holding images as categories."""
    images = find_images(root)
    folders = {path.split("/", 1)[0] for path in images if "/" in path}
    suggested = [name for name in folders
                 if name.lower() not in UNLABELLED_ALIASES and category_name_problem(name) is None]
    unique = {name.casefold(): name for name in sorted(suggested, key=natural_key, reverse=True)}
    return SourceSummary(len(images), sorted(unique.values(), key=natural_key))

"""Reading the folder of images to annotate (searched recursively, never modified)."""
from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

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


def _folder_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _top_folder(relative: str) -> str | None:
    folder, sep, _ = relative.partition("/")
    return _folder_key(folder) if sep else None


def categories_from_sub_folders(relative_paths: Iterable[str], categories: Iterable[str]) -> list[str | None]:
    """For each image, the category named like its top-level sub-folder (ignoring case), else
    None: 'G1/a.tif' and 'g1/day2/b.tif' go to category 'G1', 'c.tif' stays unlabelled."""
    by_folder = {_folder_key(c): c for c in categories}
    return [by_folder.get(_top_folder(path)) for path in relative_paths]


@dataclass
class SourceSummary:
    """What the start dialog shows about an image folder."""
    n_images: int
    suggested_categories: list[str] = field(default_factory=list)
    folder_counts: dict[str, int] = field(default_factory=dict)     # top-level sub-folder (key) -> images

    def sub_folder_counts(self, categories: Iterable[str]) -> dict[str, int]:
        """How many images taking categories from sub-folders would give each category (those > 0)."""
        counts = {c: self.folder_counts.get(_folder_key(c), 0) for c in categories}
        return {c: n for c, n in counts.items() if n}

    def folders_match(self, categories: Iterable[str]) -> bool:
        """The categories are exactly the suggested sub-folders (ignoring case and order)."""
        return bool(self.suggested_categories) and (
            {_folder_key(c) for c in categories} == {_folder_key(c) for c in self.suggested_categories})


def summarise_source(root: str | Path) -> SourceSummary:
    """Count the images and suggest the top-level sub-folders holding images as categories."""
    images = find_images(root)
    folders = {path.split("/", 1)[0] for path in images if "/" in path}
    suggested = [name for name in folders
                 if name.lower() not in UNLABELLED_ALIASES and category_name_problem(name) is None]
    unique = {name.casefold(): name for name in sorted(suggested, key=natural_key, reverse=True)}
    counts: dict[str, int] = {}
    for path in images:
        key = _top_folder(path)
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    return SourceSummary(len(images), sorted(unique.values(), key=natural_key), counts)

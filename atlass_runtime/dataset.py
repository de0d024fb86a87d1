"""Reading the organised dataset (design section 3): one folder per category, `unlabelled/`
for images without a category, and loose files at the root read as unlabelled too (the layout
the original ATLASS wrote). `excluded/` holds images the user set aside (unsure, unusable): they
are neither a category nor unlabelled, and no run reads them.

Scanning looks at names only; decoding (and dropping what cannot be decoded) is `image_store`'s job.
"""
from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DatasetError
from .imageio import is_image_name

UNLABELLED = "unlabelled"
UNLABELLED_ALIASES = frozenset({"unlabelled", "unlabeled"})
# Images a user set aside (unsure, out of focus, not a cell): never a category, never unlabelled.
EXCLUDED = "excluded"
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", "__macosx"})


@dataclass
class Dataset:
    root: Path
    classes: list[str]                                        # sorted; empty class folders included
    labelled: list[tuple[Path, str]] = field(default_factory=list)
    unlabelled: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, reason)
    excluded: list[Path] = field(default_factory=list)       # in excluded/: not read at all

    def counts(self) -> dict[str, int]:
        counts = {name: 0 for name in self.classes}
        for _, label in self.labelled:
            counts[label] += 1
        return counts

    def without(self, unreadable: dict[Path, str]) -> "Dataset":
        """A copy with the given files moved to `skipped` (with their reasons)."""
        if not unreadable:
            return self
        return Dataset(
            root=self.root,
            classes=list(self.classes),
            labelled=[(p, c) for p, c in self.labelled if p not in unreadable],
            unlabelled=[p for p in self.unlabelled if p not in unreadable],
            skipped=self.skipped + sorted(unreadable.items()),
            excluded=list(self.excluded),
        )


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.lower() in IGNORED_NAMES


def _files_under(folder: Path) -> list[Path]:
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _ignored(d))
        found.extend(Path(current) / f for f in sorted(files) if not _ignored(f))
    return found


def scan_dataset(root: str | Path, require_categories: bool = True) -> Dataset:
    """List the images of an organised dataset folder. Non-image files are put in `skipped`.

    `require_categories=False` accepts a folder without category folders yet (the annotator's
    output folder at its start)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist or is not a folder; "
                           "give the folder that holds one sub-folder per category")
    classes, labelled, unlabelled, skipped, excluded = [], [], [], [], []
    seen_lower: dict[str, str] = {}

    def sort_in(path: Path, label: str | None):
        if not is_image_name(path):
            skipped.append((path, f"not an image file ({path.suffix or 'no extension'})"))
        elif label is None:
            unlabelled.append(path)
        else:
            labelled.append((path, label))

    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if _ignored(entry.name):
            continue
        if entry.is_file():
            sort_in(entry, None)
        elif entry.is_dir() and entry.name.lower() in UNLABELLED_ALIASES:
            for path in _files_under(entry):
                sort_in(path, None)
        elif entry.is_dir() and entry.name.lower() == EXCLUDED:
            excluded += [path for path in _files_under(entry) if is_image_name(path)]
        elif entry.is_dir():
            name = unicodedata.normalize("NFC", entry.name)
            if name.lower() in seen_lower:
                raise DatasetError(f"category folders {seen_lower[name.lower()]!r} and {entry.name!r} "
                                   f"in {root} differ only by letter case; merge or rename one")
            seen_lower[name.lower()] = entry.name
            classes.append(name)
            for path in _files_under(entry):
                sort_in(path, name)
    if not classes and require_categories:
        raise DatasetError(f"{root} has no category folders; put the labelled images of each "
                           "category in a folder named after it (and the rest in 'unlabelled/')")
    return Dataset(root, sorted(classes), labelled, unlabelled, skipped, excluded)

"""The output folder is the organised dataset: `<output>/<category>/<name>` for sorted images,
`<output>/unlabelled/<name>` for the rest (design, section 3).

Images enter it as hard links to the source files when both are on one file system, else as
copies (written under a hidden temporary name, then renamed). Changing an image's category is a
rename inside the output folder. Nothing here ever writes into, moves or deletes a source file.
Filling `unlabelled/` runs in a background thread, so a big folder opens at once.
"""
from __future__ import annotations

import errno
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from atlass_runtime.dataset import EXCLUDED, UNLABELLED, scan_dataset
from atlass_runtime.errors import DatasetError

from .errors import FolderError, StorageError

# Errors after which hard links are not tried again (other disk, file system without links).
_NO_LINKS_HERE = {errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
JUNK_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


@dataclass
class DiskFile:
    name: str
    category: str | None           # None: unlabelled/ (or an alias of it), or loose at the root
    relative_path: str             # where it is now, POSIX, relative to the output folder


def read_output_folder(root: Path) -> tuple[list[str], list[DiskFile]]:
    """The category folders and every image file of an output folder, as they are on disk
    (the organised layout as the runtime reads it: one definition of that layout)."""
    try:
        dataset = scan_dataset(root, require_categories=False)
    except DatasetError as exc:
        raise FolderError(str(exc)) from None

    def on_disk(path: Path, category: str | None) -> DiskFile:
        return DiskFile(path.name, category, path.relative_to(root).as_posix())

    files = [on_disk(p, None) for p in dataset.unlabelled] + [on_disk(p, c) for p, c in dataset.labelled]
    files += [on_disk(p, EXCLUDED) for p in dataset.excluded]
    # folder by folder, in name order: the first file of a name keeps it when names clash
    return dataset.classes, sorted(files, key=lambda f: f.relative_path.split("/"))


def folder_name(category: str | None) -> str:
    return category if category is not None else UNLABELLED


class OutputFolder:
    """Puts image files where their category says, keeping track of where each one is."""

    def __init__(self, root: Path, source_root: Path | None):
        self.root = Path(root)
        self.source_root = source_root
        self._lock = threading.RLock()
        self._folder_of: dict[str, str] = {}       # image name -> folder it is in now
        self._links_work = True
        self.problems: dict[str, str] = {}         # image name -> why it could not be copied in
        self._filler: threading.Thread | None = None
        self._stop = threading.Event()
        self.fill_total = self.fill_done = 0

    # -- where things are
    def path_of(self, name: str, category: str | None) -> Path:
        return self.root / folder_name(category) / name

    def current_path(self, name: str) -> Path | None:
        folder = self._folder_of.get(name)
        return None if folder is None else self.root / folder / name

    def adopt(self, files: Iterable[tuple[str, str | None, str]]) -> int:
        """Take over files found on disk: (name, category, relative path now). Files not yet at
        `<category>/<name>` are moved there. Returns how many were moved."""
        moved = 0
        with self._lock:
            for name, category, relative in files:
                target = self.path_of(name, category)
                if relative != target.relative_to(self.root).as_posix():
                    self._rename(self.root / relative, target)
                    moved += 1
                self._folder_of[name] = folder_name(category)
        return moved

    # -- changing a category
    def place(self, name: str, source: Path | None, category: str | None) -> None:
        """Make the file of image `name` be in the folder of `category`."""
        with self._lock:
            target_folder = folder_name(category)
            current = self._folder_of.get(name)
            if current == target_folder:
                return
            target = self.root / target_folder / name
            if current is not None:
                self._rename(self.root / current / name, target)
            elif source is None:
                raise StorageError(f"{name}: the image is neither in {self.root} nor in an image folder")
            else:
                self._bring_in(source, target)
                self.problems.pop(name, None)
            self._folder_of[name] = target_folder

    def _rename(self, current: Path, target: Path) -> None:
        case_only = str(current).casefold() == str(target).casefold()
        if target.exists() and not (case_only and _same_file(current, target)):
            raise StorageError(f"{target} already exists; move it away and try again")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(current, target)
        except OSError as exc:
            raise StorageError(f"could not move {current} to {target}: {exc.strerror or exc}") from exc

    def _bring_in(self, source: Path, target: Path) -> None:
        """Hard-link the source file into the output folder, or copy it when linking fails."""
        if target.exists():
            raise StorageError(f"{target} already exists; move it away and try again")
        target.parent.mkdir(parents=True, exist_ok=True)
        if self._links_work:
            try:
                os.link(source, target)
                return
            except FileNotFoundError as exc:
                raise StorageError(f"{source} is missing (was the image folder moved?)") from exc
            except OSError as exc:
                if exc.errno in _NO_LINKS_HERE:
                    self._links_work = False
        partial = target.with_name(f".{target.name}.partial")
        try:
            shutil.copy2(source, partial)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StorageError(f"could not copy {source} to {target}: {exc.strerror or exc}") from exc

    # -- category folders
    def create_folder(self, category: str) -> None:
        try:
            (self.root / category).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"could not create the folder {self.root / category}: {exc.strerror or exc}") from exc

    def rename_folder(self, old: str, new: str) -> None:
        with self._lock:
            source, target = self.root / old, self.root / new
            if old.casefold() != new.casefold() and target.exists():
                raise StorageError(f"{target} already exists; move it away and try again")
            try:
                os.rename(source, target)
            except OSError as exc:
                raise StorageError(f"could not rename {source} to {new!r}: {exc.strerror or exc}") from exc
            for name, folder in self._folder_of.items():
                if folder == old:
                    self._folder_of[name] = new

    def check_removable(self, category: str) -> None:
        """StorageError when the folder holds anything besides the images of the category."""
        folder = self.root / category
        if not folder.is_dir():
            return
        ours = {n for n, f in self._folder_of.items() if f == category}
        others = sorted(e.name for e in os.scandir(folder) if e.name not in ours and e.name.lower() not in JUNK_FILES)
        if others:
            raise StorageError(f"{folder} also holds {', '.join(others[:3])}{'...' if len(others) > 3 else ''}; "
                               "move those elsewhere to delete this category")

    def remove_folder(self, category: str) -> None:
        folder = self.root / category
        try:
            for entry in os.scandir(folder):
                if entry.name.lower() in JUNK_FILES:
                    os.unlink(entry.path)
            folder.rmdir()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"could not remove the folder {folder}: {exc.strerror or exc}") from exc

    # -- filling unlabelled/ in the background
    def start_filling(self, images: list) -> None:
        """Bring in, in a background thread, every image (objects with .name, .category and a
        .source_path) that is not in the output folder yet."""
        pending = [image for image in images if image.name not in self._folder_of]
        self.fill_total, self.fill_done = len(pending), 0
        if not pending:
            return
        self._stop.clear()
        self._filler = threading.Thread(target=self._fill, args=(pending,), name="atlass-fill", daemon=True)
        self._filler.start()

    def _fill(self, pending: list) -> None:
        for count, image in enumerate(pending):
            if self._stop.is_set():
                return
            if count % 32 == 31:
                time.sleep(0.001)            # leave the interpreter to the UI and the thumbnails
            with self._lock:
                if image.name not in self._folder_of:
                    try:
                        self.place(image.name, self.source_path(image), image.category)
                    except StorageError as exc:
                        self.problems[image.name] = str(exc)
            self.fill_done += 1

    def source_path(self, image) -> Path | None:
        if image.source is None or self.source_root is None:
            return None
        return self.source_root / image.source

    def filling(self) -> bool:
        return self._filler is not None and self._filler.is_alive()

    def wait_filled(self, timeout: float | None = None) -> bool:
        if self._filler is not None:
            self._filler.join(timeout)
        return not self.filling()

    def stop_filling(self) -> None:
        self._stop.set()
        if self._filler is not None:
            self._filler.join()

    def remove_partial_copies(self) -> None:
        """Delete the temporary files of copies a kill interrupted."""
        for partial in self.root.glob("*/.*.partial"):
            partial.unlink(missing_ok=True)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False

"""An annotation session: the images, the categories, who is in which, and undo/redo.

Qt-free. Every change goes through a command (history.py) and ends in `_set_categories` or one
of the `_..._category` operations, which move the files of the output folder first and only
then change the state and tell the views (`events`).
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from atlass_runtime.dataset import EXCLUDED, UNLABELLED

from .errors import AnnotatorError, FolderError, RearrangeNeeded, StorageError
from .events import Event
from .folder_lock import FolderLock
from .history import AddCategory, Assign, Command, DeleteCategory, History, RenameCategory, Review
from .manifest import Manifest, ManifestEntry, ManifestWriter, read_manifest, write_manifest
from .names import check_category_name, check_category_names, natural_key, unique_file_names
from .source_folder import categories_from_sub_folders, find_images, ignored
from .storage import OutputFolder, folder_name, read_output_folder


@dataclass(slots=True)
class Image:
    name: str                      # file name in the output dataset (unique, ignoring case)
    source: str | None             # path relative to the image folder; None: only in the output
    category: str | None = None    # None: unlabelled
    review: dict | None = None     # the review of a run's pseudo-label for it (manifest.py)
    original: str | None = None    # where the file was before opening moved it (relative path)


class SessionEvents:
    def __init__(self) -> None:
        self.assigned = Event()             # (indices): those images changed category
        self.categories_changed = Event()   # (): added, renamed, removed (image categories too)
        self.reviewed = Event()             # (indices): their review records changed


class Session:
    def __init__(self, output: Path, source_folder: Path | None, categories: list[str],
                 images: list[Image], notes: list[str] | None = None):
        self.output = output
        self.source_folder = source_folder
        self.categories = categories
        self.images = images
        self.notes = notes or []            # what opening the folder found or repaired
        self.storage = OutputFolder(output, source_folder)
        self.history = History()
        self.events = SessionEvents()
        self._counts = Counter(image.category for image in images)
        self._writer: ManifestWriter | None = None
        self._folder_lock: FolderLock | None = None

    # -- opening
    @classmethod
    def create(cls, image_folder, output_folder, categories: Iterable[str],
               from_sub_folders: bool = False) -> "Session":
        """A new session sorting the images under `image_folder` into a new `output_folder`.

        `from_sub_folders`: an image in a top-level sub-folder named like a category starts in
        that category (saved in the manifest; the background filling puts its file there)."""
        image_folder, output = _resolve(image_folder), _resolve(output_folder)
        _check_folders(image_folder, output)
        categories = check_category_names(categories)
        if output.is_dir() and any(not ignored(entry.name) for entry in os.scandir(output)):
            raise FolderError(f"the output folder {output} is not empty; choose a new or empty folder, "
                              "or continue it if it holds an earlier session or a dataset")
        relative = find_images(image_folder)
        if not relative:
            raise FolderError(f"no images found in {image_folder} or its sub-folders "
                              "(looked for PNG, JPEG, TIFF, BMP and other image files)")
        found = categories_from_sub_folders(relative, categories) if from_sub_folders else [None] * len(relative)
        images = [Image(name, path, category)
                  for name, path, category in zip(unique_file_names(relative), relative, found)]
        assigned = sum(category is not None for category in found)
        notes = [f"{assigned:,} image(s) assigned from their sub-folder"] if assigned else []
        session = cls(output, image_folder, categories, images, notes)
        session._folder_lock = FolderLock.acquire(output)
        return session._ready()

    @classmethod
    def open(cls, output_folder, rearrange: bool = False) -> "Session":
        """Continue an output folder: a session of ours, or any organised dataset (also the
        original ATLASS's: category folders plus loose images, which go to unlabelled/).

        A folder that is not a session of ours and would have files moved or renamed to become
        one is refused untouched (RearrangeNeeded says what would move), unless `rearrange`: the
        user has confirmed. Each moved file's earlier place is then kept in the manifest."""
        output = _resolve(output_folder)
        if not output.is_dir():
            raise FolderError(f"{output} does not exist or is not a folder")
        manifest = read_manifest(output)
        disk_categories, disk_files = read_output_folder(output)
        if manifest is None and not disk_categories and not disk_files:
            raise FolderError(f"{output} holds neither an annotation session nor a dataset "
                              "(category folders with images)")
        if manifest is None and not rearrange and _moves(disk_files):
            raise RearrangeNeeded(output, _moves(disk_files).removeprefix(". Opening changes this folder: "))
        lock = FolderLock.acquire(output)                 # before anything in the folder changes
        manifest = manifest or Manifest(source_folder=None)
        notes: list[str] = []
        remaining = {c.casefold(): c for c in disk_categories}
        categories = [remaining.pop(c.casefold()) for c in manifest.categories if c.casefold() in remaining]
        categories += sorted(remaining.values(), key=natural_key)

        on_disk, duplicates = {}, []          # by name ignoring case; later files of the same name
        for file in _settled_first(disk_files):
            if file.name.casefold() in on_disk:
                duplicates.append(file)
            else:
                on_disk[file.name.casefold()] = file
        images, placements = [], []
        by_key = {c.casefold(): c for c in [*categories, EXCLUDED]}
        for entry in manifest.images:
            found = on_disk.pop(entry.name.casefold(), None)
            if found is None and entry.source is None:
                notes.append(f"{entry.name} is no longer in the output folder")
                continue
            if found is None:     # not brought in yet: a category from its sub-folder still holds
                category = by_key.get(entry.category.casefold()) if entry.category else None
            else:
                category = found.category
            images.append(Image(found.name if found else entry.name, entry.source, category, entry.review,
                                entry.original))
            if found:
                placements.append((found.name, found.category, found.relative_path))
        for file in sorted(on_disk.values(), key=lambda f: natural_key(f.relative_path)):
            images.append(Image(file.name, None, file.category, original=_earlier_place(file)))
            placements.append((file.name, file.category, file.relative_path))
        taken = [image.name for image in images]
        for file, name in zip(duplicates, unique_file_names([f.relative_path for f in duplicates], taken)):
            images.append(Image(name, None, file.category, original=file.relative_path))
            placements.append((name, file.category, file.relative_path))
            notes.append(f"{file.relative_path} renamed {name} (another image has its name)")

        source = manifest.source_folder
        if source is not None and source.is_dir():
            known = {image.source for image in images if image.source is not None}
            new = [path for path in find_images(source) if path not in known]
            names = unique_file_names(new, [image.name for image in images])
            images += [Image(name, path) for name, path in zip(names, new)]
            if new:
                notes.append(f"{len(new)} new image(s) found in {source}")
        elif source is not None:
            notes.append(f"the image folder {source} cannot be reached; images not yet copied from it "
                         "cannot be shown until it is back")

        session = cls(output, source, categories, images, notes)
        session._folder_lock = lock
        try:
            moved = session.storage.adopt(placements)
        except BaseException:
            lock.release()
            raise
        if moved:
            notes.append(f"{moved} image file(s) moved to <category>/<name> or unlabelled/<name>")
        session.storage.remove_partial_copies()
        return session._ready()

    @classmethod
    def start(cls, image_folder, output_folder, categories: Iterable[str],
              from_sub_folders: bool = False) -> "Session":
        """Create a session, or continue the one `output_folder` holds for the same image folder
        (adding the categories it lacks; `from_sub_folders` only applies to a new session)."""
        output = _resolve(output_folder)
        manifest = read_manifest(output) if output.is_dir() else None
        if manifest is None or manifest.source_folder != _resolve(image_folder):
            return cls.create(image_folder, output, categories, from_sub_folders)
        session = cls.open(output)
        for name in categories:
            if name.casefold() not in {c.casefold() for c in session.categories}:
                session._insert_category(len(session.categories), check_category_name(name, session.categories))
        return session

    def _ready(self) -> "Session":
        """Every category folder exists and the manifest is on disk; background work starts."""
        for folder in [*self.categories, UNLABELLED]:
            self.storage.create_folder(folder)
        write_manifest(self.output, self.manifest())
        self._start()
        return self

    def _start(self) -> None:
        self._writer = ManifestWriter(self.output, self.manifest)
        self.storage.start_filling(self.images)

    # -- what the views ask
    def __len__(self) -> int:
        return len(self.images)

    def count(self, category: str | None) -> int:
        return self._counts.get(category, 0)

    @property
    def labelled_count(self) -> int:
        """Images with a category (the excluded ones are not)."""
        return len(self.images) - self._counts.get(None, 0) - self._counts.get(EXCLUDED, 0)

    def next_unlabelled(self, start: int, backwards: bool = False) -> int | None:
        """The first unlabelled image after (or before) `start`, going round; None when none."""
        n = len(self.images)
        step = -1 if backwards else 1
        for offset in range(1, n + 1):
            index = (start + step * offset) % n
            if self.images[index].category is None:
                return index
        return None

    def read_paths(self, index: int) -> list[Path]:
        """Files holding the image, best first: the source (never moves), then the output copy."""
        image = self.images[index]
        paths = [path for path in (self.storage.source_path(image), self.storage.current_path(image.name)) if path]
        return paths or [self.storage.path_of(image.name, image.category)]

    def manifest(self) -> Manifest:
        return Manifest(self.source_folder, list(self.categories),
                        [ManifestEntry(i.name, i.source, i.category, i.review, i.original)
                         for i in list(self.images)])

    # -- what users do (each can be undone)
    def assign(self, indices: Iterable[int], category: str | None) -> Command | None:
        """Put images in `category` (None: back to unlabelled); None when nothing changes."""
        if category is not None and category != EXCLUDED and category not in self.categories:
            raise AnnotatorError(f"there is no category named {category!r}")
        changed = tuple(sorted({i for i in indices if self.images[i].category != category}))
        if not changed:
            return None
        previous = tuple(self.images[i].category for i in changed)
        return self.history.run(Assign(changed, category, previous), self)

    def review(self, indices: Iterable[int], categories: Iterable[str | None], reviews: Iterable[dict]) -> Command:
        """Decide on reviewed pseudo-labels: each image gets its category (None: stays
        unlabelled) and its review record, in one undoable step."""
        indices, categories, reviews = tuple(indices), tuple(categories), tuple(reviews)
        for category in categories:
            if category is not None and category not in self.categories:
                raise AnnotatorError(f"there is no category named {category!r}")
        previous = tuple((self.images[i].category, self.images[i].review) for i in indices)
        return self.history.run(Review(indices, categories, reviews, previous), self)

    def add_category(self, name: str) -> Command:
        name = check_category_name(name, self.categories)
        return self.history.run(AddCategory(name, len(self.categories)), self)

    def rename_category(self, old: str, new: str) -> Command | None:
        self._position(old)
        new = check_category_name(new, self.categories, replacing=old)
        return None if new == old else self.history.run(RenameCategory(old, new), self)

    def delete_category(self, name: str) -> Command:
        """Delete a category; its images go back to unlabelled."""
        position = self._position(name)
        indices = tuple(i for i, image in enumerate(self.images) if image.category == name)
        return self.history.run(DeleteCategory(name, position, indices), self)

    def undo(self) -> Command | None:
        return self.history.undo(self)

    def redo(self) -> Command | None:
        return self.history.redo(self)

    # -- closing
    def flush(self) -> None:
        """Wait until the manifest on disk shows the latest state."""
        if self._writer:
            self._writer.flush()

    def close(self, finish_copies: bool = True) -> None:
        """Save and stop. Images still to be brought into unlabelled/ are brought in first,
        unless `finish_copies` is False (then the next open finishes them)."""
        if finish_copies:
            self.storage.wait_filled()
        self.storage.stop_filling()
        if self._writer:
            self._writer.close()
            self._writer = None
        if self._folder_lock is not None:
            self._folder_lock.release()
            self._folder_lock = None

    # -- low-level operations, used by the commands
    def _set_categories(self, indices: Iterable[int], categories: Iterable[str | None]) -> None:
        done: list[tuple[int, str | None]] = []
        try:
            for index, category in zip(indices, categories):
                image = self.images[index]
                self.storage.place(image.name, self.storage.source_path(image), category)
                done.append((index, image.category))
                self._recount(image, category)
        except StorageError:
            for index, previous in reversed(done):          # put back what was moved
                image = self.images[index]
                try:
                    self.storage.place(image.name, self.storage.source_path(image), previous)
                    self._recount(image, previous)
                except StorageError:
                    pass
            raise
        finally:
            if done:
                self.events.assigned.emit(tuple(index for index, _ in done))
                self._save()

    def _set_reviews(self, indices: Iterable[int], reviews: Iterable[dict | None]) -> None:
        indices = tuple(indices)
        for index, review in zip(indices, reviews):
            self.images[index].review = review
        self.events.reviewed.emit(indices)
        self._save()
        self.flush()     # a decision is on disk before the next one: a kill loses none

    def _recount(self, image: Image, category: str | None) -> None:
        self._counts[image.category] -= 1
        self._counts[category] += 1
        image.category = category

    def _insert_category(self, position: int, name: str) -> None:
        self.storage.create_folder(name)
        self.categories.insert(position, name)
        self._changed_categories()

    def _rename_category(self, old: str, new: str) -> None:
        self.storage.rename_folder(old, new)
        self.categories[self._position(old)] = new
        for image in self.images:
            if image.category == old:
                image.category = new
        self._counts[new] = self._counts.pop(old, 0)
        self._changed_categories()

    def _check_removable(self, name: str) -> None:
        self.storage.check_removable(name)

    def _remove_category(self, name: str) -> None:
        self.storage.remove_folder(name)
        self.categories.remove(name)
        self._counts.pop(name, None)
        self._changed_categories()

    def _changed_categories(self) -> None:
        self.events.categories_changed.emit()
        self._save()
        self.flush()     # the order (the number keys) is on disk before the next action: a kill keeps it

    def _position(self, name: str) -> int:
        try:
            return self.categories.index(name)
        except ValueError:
            raise AnnotatorError(f"there is no category named {name!r}") from None

    def _save(self) -> None:
        if self._writer:
            self._writer.request()


def _resolve(folder) -> Path:
    return Path(folder).expanduser().resolve()


def _check_folders(image_folder: Path, output: Path) -> None:
    if not image_folder.is_dir():
        raise FolderError(f"the image folder {image_folder} does not exist or is not a folder")
    if output == image_folder or image_folder in output.parents:
        raise FolderError(f"the output folder {output} is inside the image folder {image_folder}, which "
                          "is never modified; choose an output folder outside it")
    if output in image_folder.parents:
        raise FolderError(f"the image folder {image_folder} is inside the output folder {output}; "
                          "choose an output folder that does not contain the images")


def describe_output_folder(folder) -> str:
    """One line for the start dialog on what continuing `folder` would open (changes nothing)."""
    output = _resolve(folder)
    if not output.is_dir():
        return f"{output} does not exist"
    manifest = read_manifest(output)
    categories, files = read_output_folder(output)
    labelled = sum(1 for file in files if file.category is not None)
    if manifest is not None:
        return (f"Annotation session: {len(manifest.images):,} images from {manifest.source_folder}, "
                f"{len(categories)} categories, {labelled:,} labelled" + _moves(files))
    if not categories and not files:
        raise FolderError(f"{output} holds neither an annotation session nor a dataset")
    unlabelled = sum(1 for file in files if file.category is None)
    return (f"Dataset: {len(categories)} category folders, {labelled:,} labelled and {unlabelled:,} unlabelled "
            "images" + _moves(files))


def _earlier_place(file) -> str | None:
    """A file not at <category>/<name> is moved there by opening: its path before, or None."""
    return None if _settled(file) else file.relative_path


def _settled(file) -> bool:
    return file.relative_path == f"{folder_name(file.category)}/{file.name}"


def _settled_first(files) -> list:
    """Files already at <category>/<name> first (they keep their names; a file moved up from a
    sub-folder cannot land on them), the rest in folder order."""
    return sorted(files, key=lambda file: not _settled(file))


def _moves(files) -> str:
    """What opening will change (Session.open puts every file at <category>/<name>, a later file
    of a name already taken renamed): '' when nothing."""
    loose = sum(1 for file in files if "/" not in file.relative_path)
    nested = sum(1 for file in files if "/" in file.relative_path and not _settled(file))
    seen: set[str] = set()
    renamed = 0
    for file in _settled_first(files):      # in the order Session.open takes them
        renamed += file.name.casefold() in seen
        seen.add(file.name.casefold())
    parts = []
    if loose:
        parts.append(f"{loose:,} loose image(s) at the top will be moved into {UNLABELLED}/")
    if nested:
        parts.append(f"{nested:,} image(s) not directly in their category folder (in its sub-folders) will be "
                     f"moved up into it, or into {UNLABELLED}/; the emptied sub-folders stay")
    if renamed:
        parts.append(f"{renamed:,} image(s) named like another will be renamed")
    return (". Opening changes this folder: " + "; ".join(parts) + ". Nothing is deleted.") if parts else ""

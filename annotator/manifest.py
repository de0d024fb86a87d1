"""The session manifest, `<output>/.atlass/annotations.json`: where each image of the output
dataset came from, and the order of the categories.

The folders themselves say which category an image is in (the manifest repeats it for
readers); so a kill between moving a file and saving the manifest loses nothing. An image whose
label came from reviewing a run's pseudo-label carries a `review` record (the run, the suggested
category, and the decision: accepted, corrected or rejected). Only an image
not brought into the output folder yet takes its category from the manifest (one taken from
its sub-folder when the session was created). Category changes are saved at once, so the order
of the categories (their number keys) survives a kill. The manifest
is written atomically, by a background thread that coalesces bursts of actions into one write.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from atlass_runtime.files import atomic_write_text

from .errors import FolderError

STATE_FOLDER = ".atlass"
MANIFEST_NAME = "annotations.json"
FORMAT_NAME = "atlass-annotations"
FORMAT_VERSION = 1


def manifest_path(output: Path) -> Path:
    return Path(output) / STATE_FOLDER / MANIFEST_NAME


@dataclass
class ManifestEntry:
    name: str                      # file name in the output dataset
    source: str | None             # POSIX path relative to the image folder; None: no source copy
    category: str | None           # as last saved; the folders are the truth
    review: dict | None = None     # a pseudo-label reviewed: {"run", "suggested", "decision"}
    original: str | None = None    # the file's place before opening a non-ATLASS folder moved it


@dataclass
class Manifest:
    source_folder: Path | None
    categories: list[str] = field(default_factory=list)
    images: list[ManifestEntry] = field(default_factory=list)

    def to_document(self) -> dict:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "source_folder": str(self.source_folder) if self.source_folder else None,
            "categories": list(self.categories),
            "images": [{"name": e.name, "source": e.source, "category": e.category,
                        **({"review": e.review} if e.review else {}),
                        **({"original": e.original} if e.original else {})} for e in self.images],
        }


def read_manifest(output: Path) -> Manifest | None:
    """The manifest of an output folder, None when it has none; FolderError when unusable."""
    path = manifest_path(output)
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT_NAME:
            raise ValueError("not an ATLASS annotation manifest")
        if document.get("version", 0) > FORMAT_VERSION:
            raise FolderError(f"{path} was written by a newer ATLASS; update ATLASS to continue this session")
        source = document.get("source_folder")
        return Manifest(
            source_folder=Path(source) if source else None,
            categories=[str(c) for c in document.get("categories", [])],
            images=[ManifestEntry(str(i["name"]), i.get("source"), i.get("category"), i.get("review"),
                                  i.get("original")) for i in document.get("images", [])])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FolderError(f"{path} is damaged ({exc}); move it away to continue {output} "
                          "as a plain dataset (the category folders are kept)") from exc


def write_manifest(output: Path, manifest: Manifest) -> None:
    """Atomically; one image per line, so it stays readable and fast to write for 100,000 images."""
    document = manifest.to_document()
    images = document.pop("images")
    head = json.dumps(document, ensure_ascii=False, indent=2)[:-2]
    lines = ",\n    ".join(json.dumps(image, ensure_ascii=False) for image in images)
    body = f"[\n    {lines}\n  ]" if images else "[]"
    atomic_write_text(manifest_path(output), f'{head},\n  "images": {body}\n}}\n')


class ManifestWriter:
    """Writes the manifest in a background thread each time `request()` is called; several
    requests made during one write give one more write, with the latest state."""

    def __init__(self, output: Path, make_manifest: Callable[[], Manifest]):
        self._output = output
        self._make_manifest = make_manifest
        self._condition = threading.Condition()
        self._dirty = False
        self._busy = False
        self._closed = False
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="atlass-manifest", daemon=True)
        self._thread.start()

    def request(self) -> None:
        with self._condition:
            self._dirty = True
            self._condition.notify_all()

    def flush(self) -> None:
        """Wait until every requested write is on disk."""
        with self._condition:
            self._condition.wait_for(lambda: not (self._dirty or self._busy) or not self._thread.is_alive())

    def close(self) -> None:
        self.flush()
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._dirty or self._closed)
                if self._closed and not self._dirty:
                    return
                self._dirty, self._busy = False, True
            try:
                write_manifest(self._output, self._make_manifest())
                self.error = None
            except Exception as exc:        # kept for the UI to show; the folders still hold the truth
                self.error = exc
            with self._condition:
                self._busy = False
                self._condition.notify_all()

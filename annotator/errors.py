"""The errors the annotator raises; each says what went wrong, where, and what to do."""
from __future__ import annotations

from atlass_runtime.errors import AtlassError


class AnnotatorError(AtlassError):
    """Root of the annotator's errors."""


class CategoryNameError(AnnotatorError, ValueError):
    """A category name cannot be a folder name everywhere, or is already taken."""


class FolderError(AnnotatorError):
    """An image folder or output folder cannot be used as given."""


class StorageError(AnnotatorError):
    """A file of the output folder could not be created, moved or removed."""


class RearrangeNeeded(FolderError):
    """A folder that is not an ATLASS session would have files moved to be opened as one; it was
    left untouched. `moves` says what would change."""

    def __init__(self, folder, moves: str):
        self.folder, self.moves = folder, moves
        super().__init__(
            f"{folder} is not an ATLASS session: opening it would change it ({moves}). Nothing was changed. "
            f"To sort its images into a new organised copy and leave this folder as it is: atlass annotate "
            f"{folder} --output {folder}_sorted; to rearrange this folder itself, open it again with --rearrange.")

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

"""The annotator: sort a folder of images into categories, building the organised dataset.

`annotator` (this package) is Qt-free: the session (images, categories, undo/redo), the
output folder it keeps up to date, category-name rules, thumbnails. `annotator.ui` is the
PySide6 app over it, started by `atlass annotate`.
"""
from .errors import AnnotatorError, CategoryNameError, FolderError, StorageError
from .names import category_name_problem, check_category_name
from .session import Image, Session, describe_output_folder

__all__ = ["Session", "Image", "describe_output_folder", "check_category_name", "category_name_problem",
           "AnnotatorError", "CategoryNameError", "FolderError", "StorageError"]

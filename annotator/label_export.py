"""The labels of a session as a CSV table a spreadsheet opens: one row per image. Qt-free."""
from __future__ import annotations

from pathlib import Path

from atlass_runtime.dataset import EXCLUDED, UNLABELLED
from atlass_runtime.files import atomic_write_csv

COLUMNS = ("file", "category", "source", "origin", "reviewed")


def label_rows(session) -> list[tuple]:
    """(file in the dataset, category or 'unlabelled'/'excluded', source path, where the label came from, review)."""
    rows = []
    for image in session.images:
        folder = UNLABELLED if image.category is None else image.category
        source = str(session.source_folder / image.source) if session.source_folder and image.source else ""
        review = image.review or {}
        origin = ("review" if review.get("decision") in ("accepted", "corrected") else
                  "" if image.category in (None, EXCLUDED) else "manual")
        rows.append((f"{folder}/{image.name}", image.category or UNLABELLED, source or image.original or "",
                     origin, review.get("decision", "")))
    return rows


def export_labels(session, path: str | Path) -> Path:
    atomic_write_csv(path, list(COLUMNS), label_rows(session))
    return Path(path)

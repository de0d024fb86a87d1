"""The CSV of every finished run: appended one row at a time, so a killed benchmark loses at most
the run in progress, and read back to skip the runs already there."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

COLUMNS = ["dataset", "k", "seed", "variant", "process", "networks", "selected_network",
           "selected_trained_on", "labelled", "capped_classes", "unlabelled", "test_images", "accuracy",
           "macro_f1", "labels_alone_accuracy", "teacher_valid_accuracy", "pseudo_labels",
           "pseudo_labels_correct", "pseudo_label_accuracy", "max_acceptance_ratio", "warnings", "rounds",
           "stop_reason", "models_trained", "models_reused", "seconds", "settings_id"]
INTEGERS = ("k", "seed", "labelled", "unlabelled", "test_images", "pseudo_labels",
            "pseudo_labels_correct", "rounds", "models_trained", "models_reused")
FLOATS = ("accuracy", "macro_f1", "labels_alone_accuracy", "teacher_valid_accuracy",
          "pseudo_label_accuracy", "max_acceptance_ratio", "seconds")


class SettingsMismatch(RuntimeError):
    pass


def run_key(row: dict) -> tuple[str, int, int, str, str]:
    return row["dataset"], int(row["k"]), int(row["seed"]), row["variant"], row["process"]


def read_rows(path: Path) -> list[dict]:
    """Complete rows with numbers parsed; a row cut short by a kill is left out (it is rerun)."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if _complete(row)]
    for row in rows:
        for name in INTEGERS:
            row[name] = int(row[name])
        for name in FLOATS:
            row[name] = float(row[name]) if row[name] != "" else None
    return rows


def _complete(row: dict) -> bool:
    return None not in row and all(row.get(c) is not None for c in COLUMNS) and len(row["settings_id"]) == 10


def finished_runs(path: Path, settings_id: str) -> set[tuple]:
    """Keys of the runs already in the CSV. Rows made with other settings are an error: one CSV
    holds one configuration, so its table never mixes them."""
    rows = read_rows(path)
    other = sorted({r["settings_id"] for r in rows} - {settings_id})
    if other:
        raise SettingsMismatch(
            f"{path} holds runs made with other settings (settings id {', '.join(other)}; now "
            f"{settings_id}). Use another --output folder, or --restart to discard those runs.")
    return {run_key(r) for r in rows}


def append_candidates(path: Path, row: dict) -> None:
    """One JSON line per run: its key and every candidate's validation and held-out scores
    (`row["candidates"]`), beside the CSV, for comparing selection rules afterwards."""
    record = {"dataset": row["dataset"], "k": row["k"], "seed": row["seed"], "variant": row["variant"],
              "process": row["process"], "settings_id": row["settings_id"], "candidates": row["candidates"]}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_candidates(path: Path) -> list[dict]:
    """The candidate records, the last one per run key (a rerun after a kill replaces it)."""
    if not path.is_file():
        return []
    latest = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:      # a line cut short by a kill
            continue
        latest[run_key(record)] = record
    return list(latest.values())


def append_row(path: Path, row: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file() or path.stat().st_size == 0
    if not new:
        with open(path, "rb") as handle:      # a kill mid-line leaves no newline: close that line
            handle.seek(-1, os.SEEK_END)
            cut = handle.read(1) != b"\n"
    with open(path, "a", newline="", encoding="utf-8") as handle:
        if not new and cut:
            handle.write("\n")
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerow({c: row[c] for c in COLUMNS})
        handle.flush()
        os.fsync(handle.fileno())

"""What a finished run suggests about a dataset's unlabelled images, read from its output folder
or from the results zip a notebook offers for download (design section 10).

    pseudo-labels   pseudo_labels.csv (file, label, confidence, round), with the vote details of
                    the round that gave each label (rounds/round-N_votes.csv: runner-up, margin,
                    agreement, file size, label spreading's category)
    uncertain       the images of the last round's vote that were not pseudo-labelled, smallest
                    margin first: what to label next

File names are relative to the run's dataset folder (`unlabelled/x.png`). Qt-free.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from atlass_runtime.file_names import PSEUDO_LABELS, RESULTS, votes_name

from .errors import AnnotatorError


class RunError(AnnotatorError):
    """A folder or zip that is not a finished ATLASS run (or not one this dataset can review)."""


@dataclass(frozen=True)
class Suggestion:
    file: str                      # relative to the run's dataset folder, '/' separated
    label: str                     # the category the run's vote chose
    confidence: float
    round: int | None = None       # the round that gave the pseudo-label
    runner_up: str | None = None
    margin: float | None = None    # winner's score minus the runner-up's: small means unsure
    agreement: float | None = None  # share of (model, transform) pairs that voted the winner
    bytes: int | None = None       # the file's size when the run read it
    label_spreading: str | None = None  # the category label spreading gave it (runs with label_spreading)

    @property
    def name(self) -> str:
        return PurePosixPath(self.file).name


@dataclass
class RunSuggestions:
    source: Path
    run_id: str                    # names the run in the manifest's review records
    classes: list[str]
    pseudo_labels: list[Suggestion]
    uncertain: list[Suggestion]


class _Reader:
    """Files of a run, in a folder or in a zip (one top folder, as the notebook writes it)."""

    def __init__(self, path: Path):
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise RunError(f"{path} is neither a run's output folder nor a results zip ({exc})") from None
            found = [n for n in self.zip.namelist() if PurePosixPath(n).name == RESULTS and n.count("/") <= 1]
            if not found:
                raise RunError(f"{path} holds no {RESULTS}: give the results zip of a finished run")
            self.prefix = found[0][: -len(RESULTS)]
        elif not (path / RESULTS).is_file():
            raise RunError(f"{path} is not the output folder of a finished run (no {RESULTS}); give the folder "
                           "`atlass train -o` or the notebook wrote, or its results zip")

    def text(self, name: str) -> str | None:
        try:
            if self.zip is not None:
                return self.zip.read(self.prefix + name).decode("utf-8")
            path = self.path / name
            return path.read_text(encoding="utf-8") if path.is_file() else None
        except KeyError:
            return None
        except (UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
            raise RunError(f"{self.path}: {name} cannot be read ({exc})") from None

    def rows(self, name: str) -> list[dict]:
        text = self.text(name)
        return list(csv.DictReader(io.StringIO(text))) if text else []


def _number(value, kind=float):
    try:
        return kind(value) if value not in (None, "") else None
    except ValueError:
        return None


def read_run(path: str | Path) -> RunSuggestions:
    """The suggestions of a finished run (its output folder, or its results zip)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise RunError(f"{path} does not exist; give a run's output folder or its results zip")
    reader = _Reader(path)
    try:
        results = json.loads(reader.text(RESULTS) or "")
        classes = [str(c) for c in results["classes"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise RunError(f"{path}: {RESULTS} is damaged or not an ATLASS run's ({exc})") from None
    votes: dict[int, dict[str, dict]] = {}
    for entry in results.get("rounds", []):
        number = int(entry["round"])
        votes[number] = {row["file"]: row for row in reader.rows(votes_name(number))}

    def suggestion(file: str, label: str, confidence, number) -> Suggestion:
        vote = votes.get(number, {}).get(file, {})
        return Suggestion(file, label, float(confidence), number, vote.get("runner_up") or None,
                          _number(vote.get("margin")), _number(vote.get("agreement")),
                          _number(vote.get("bytes"), int), vote.get("label_spreading") or None)

    pseudo = [suggestion(r["file"], r["label"], r["confidence"], _number(r.get("round"), int))
              for r in reader.rows(PSEUDO_LABELS)]
    labelled = {s.file for s in pseudo}
    last = max(votes) if votes else None
    uncertain = [suggestion(file, row["label"], row["confidence"], last)
                 for file, row in (votes[last].items() if last else []) if file not in labelled]
    uncertain.sort(key=lambda s: (s.margin if s.margin is not None else s.confidence, s.file))
    run_id = f"{path.name}@{results.get('created', '')}"
    return RunSuggestions(path, run_id, classes, pseudo, uncertain)

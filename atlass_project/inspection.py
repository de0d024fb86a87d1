"""Looking at a dataset before training: what a user should know and fix first (no Qt).

`inspect_dataset(path)` reads every image once (in parallel) and reports categories and counts,
unlabelled images, unreadable files, byte-identical duplicates, bit depths and colour, plus
findings in plain words. A finding is `blocking` when the notebook would stop on it (a single
category, a category without any image, or too few to split).
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from atlass_runtime import RunConfig, scan_dataset
from atlass_runtime.dataset import Dataset
from atlass_runtime.errors import ImageReadError
from atlass_runtime.imageio import read_image
from atlass_runtime.split import class_split_sizes

from .errors import ExportCancelled

FEW_IMAGES = 20          # fewer labelled images than this in a category: figures will be shaky
IMBALANCE_RATIO = 5.0    # largest / smallest category above this: heavy imbalance


@dataclass(frozen=True)
class Finding:
    """One thing to tell the user. `code` is stable (for tests and the wizard's icons)."""
    code: str
    message: str
    blocking: bool = False


@dataclass
class ImageFacts:
    path: Path
    digest: str | None = None
    bit_depth: str | None = None      # "8-bit", "16-bit", "32-bit float"
    colour: str | None = None         # "grey", "colour", "colour + alpha"
    size: tuple[int, int] | None = None
    error: str | None = None


@dataclass
class DatasetReport:
    """What `inspect_dataset` found. Paths are absolute; `relative()` shows them to users."""
    root: Path
    dataset: Dataset
    counts: dict[str, int]                                   # readable labelled images per category
    unlabelled: int                                          # readable unlabelled images
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    not_images: list[tuple[Path, str]] = field(default_factory=list)
    duplicates: list[list[Path]] = field(default_factory=list)  # groups of byte-identical files
    bit_depths: dict[str, int] = field(default_factory=dict)
    colours: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    reviewed: dict[str, int] = field(default_factory=dict)    # labels from reviewed pseudo-labels

    @property
    def classes(self) -> list[str]:
        return list(self.dataset.classes)

    @property
    def labelled(self) -> int:
        return sum(self.counts.values())

    @property
    def has_unlabelled(self) -> bool:
        """Whether processes that use unlabelled images make sense (the wizard asks this)."""
        return self.unlabelled > 0

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    def relative(self, path: Path) -> str:
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def check(self, config: RunConfig) -> list[Finding]:
        """The findings plus those that depend on the run's settings (split fractions, process)."""
        found = list(self.findings)
        too_small = [f"{name!r} ({count})" for name, count in self.counts.items()
                     if count and class_split_sizes(count, config.valid_fraction, config.test_fraction)[0] < 1]
        if too_small:
            found.append(Finding("too_few_to_split", "too few labelled images to split into training, "
                                 "validation and test: " + ", ".join(too_small) + "; label more images "
                                 "of these categories or remove them", blocking=True))
        process = config.process_info
        if process.distills and not self.unlabelled:
            found.append(Finding("no_unlabelled", f"process {process.code} learns from unlabelled images "
                                 "but there are none; it will train on the labelled images only (choose ND)"))
        if not process.distills and self.unlabelled:
            found.append(Finding("unlabelled_ignored", f"process ND does not use the {self.unlabelled} "
                                 "unlabelled images; choose another process to learn from them too"))
        return found

    def summary(self) -> str:
        """A few lines of plain text (what `atlass export` prints)."""
        lines = [f"Dataset {self.root}: {len(self.counts)} categories, {self.labelled} labelled and "
                 f"{self.unlabelled} unlabelled images."]
        width = max([len(c) for c in self.counts] + [8])
        lines += [f"  {name:<{width}}  {count}" for name, count in self.counts.items()]
        if self.bit_depths:
            lines.append("  images: " + ", ".join(f"{n} {kind}" for kind, n in sorted(self.bit_depths.items()))
                         + "; " + ", ".join(f"{n} {kind}" for kind, n in sorted(self.colours.items())))
        if self.review_text():
            lines.append("  " + self.review_text())
        if self.dataset.excluded:
            lines.append(f"  {len(self.dataset.excluded)} image(s) set aside in excluded/ are not used")
        return "\n".join(lines)

    def review_text(self) -> str:
        """How many labels came from reviewing a run's pseudo-labels ('' when none)."""
        labelled = self.reviewed.get("accepted", 0) + self.reviewed.get("corrected", 0)
        if not labelled and not self.reviewed.get("rejected"):
            return ""
        return (f"{labelled} label(s) came from reviewing a run's pseudo-labels ({self.reviewed.get('accepted', 0)} "
                f"accepted, {self.reviewed.get('corrected', 0)} corrected; {self.reviewed.get('rejected', 0)} "
                "rejected, left unlabelled)")

    def to_dict(self) -> dict:
        return {
            "root": str(self.root), "classes": self.classes, "counts": dict(self.counts),
            "unlabelled": self.unlabelled,
            "unreadable": [{"file": self.relative(p), "reason": r} for p, r in self.unreadable],
            "not_images": [{"file": self.relative(p), "reason": r} for p, r in self.not_images],
            "duplicates": [[self.relative(p) for p in group] for group in self.duplicates],
            "bit_depths": dict(self.bit_depths), "colours": dict(self.colours),
            "findings": [{"code": f.code, "message": f.message, "blocking": f.blocking} for f in self.findings],
        }


def _facts(path: Path) -> ImageFacts:
    facts = ImageFacts(path)
    try:
        facts.digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
        image = read_image(path)
    except ImageReadError as exc:
        facts.error = exc.reason
        return facts
    except OSError as exc:
        facts.error = f"cannot be opened ({exc.strerror or exc})"
        return facts
    except Exception as exc:  # a decoder bug must not stop the inspection of 10,000 images
        facts.error = f"cannot be decoded ({type(exc).__name__}: {exc})"
        return facts
    facts.bit_depth = {"uint8": "8-bit", "uint16": "16-bit"}.get(image.dtype.name, "32-bit float")
    channels = 1 if image.ndim == 2 else image.shape[2]
    facts.colour = {1: "grey", 2: "grey + alpha", 3: "colour", 4: "colour + alpha"}.get(channels, "colour")
    facts.size = image.shape[:2]
    return facts


def inspect_dataset(path: str | Path, progress: Callable[[int, int], None] | None = None,
                    cancel: Callable[[], bool] | None = None, workers: int | None = None) -> DatasetReport:
    """Read every image of an organised dataset folder and report what a user should know.

    progress(done, total) is called as images are read; cancel() returning True stops the
    inspection with ExportCancelled. Raises DatasetError when the folder is not a dataset at all.
    """
    dataset = scan_dataset(path)
    root = dataset.root.resolve()
    dataset.root = root
    items = [(p, c) for p, c in dataset.labelled] + [(p, None) for p in dataset.unlabelled]
    facts: list[ImageFacts] = []
    with ThreadPoolExecutor(max_workers=workers or min(16, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(_facts, p) for p, _ in items]
        for done, future in enumerate(futures, start=1):
            if cancel is not None and cancel():
                for waiting in futures:
                    waiting.cancel()
                raise ExportCancelled("the dataset inspection was cancelled")
            facts.append(future.result())
            if progress is not None and (done % 64 == 0 or done == len(futures)):
                progress(done, len(futures))

    unreadable = [(f.path, f.error) for f in facts if f.error]
    readable = [(f, label) for f, (_, label) in zip(facts, items) if not f.error]
    counts = {name: 0 for name in dataset.classes}
    for f, label in readable:
        if label is not None:
            counts[label] += 1
    report = DatasetReport(
        root=root, dataset=dataset, counts=counts,
        unlabelled=sum(1 for _, label in readable if label is None),
        unreadable=unreadable, not_images=list(dataset.skipped),
        duplicates=_duplicate_groups(readable),
        bit_depths=dict(Counter(f.bit_depth for f, _ in readable)),
        colours=dict(Counter(f.colour for f, _ in readable)))
    report.findings = _findings(report, {f.path: label for f, label in readable})
    report.reviewed = reviewed_labels(root)
    return report


# The annotator's session manifest (written by annotator/manifest.py; read here without
# importing the annotator, which sits above this layer).
MANIFEST = (".atlass", "annotations.json")


def _manifest(root: Path) -> dict:
    try:
        document = json.loads(Path(root).joinpath(*MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def category_order(root: Path) -> list[str]:
    """The categories in the order the annotator shows them (its number keys), if it made the dataset."""
    return [str(c) for c in _manifest(root).get("categories", [])]


def reviewed_labels(root: Path) -> dict[str, int]:
    """{decision: count} of the reviewed pseudo-labels the annotator's manifest records."""
    try:
        decisions = [entry["review"]["decision"] for entry in _manifest(root).get("images", []) if entry.get("review")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return dict(Counter(decisions))


def _duplicate_groups(readable: list[tuple[ImageFacts, str | None]]) -> list[list[Path]]:
    by_digest: dict[str, list[Path]] = defaultdict(list)
    for f, _ in readable:
        by_digest[f.digest].append(f.path)
    return sorted((sorted(group) for group in by_digest.values() if len(group) > 1), key=lambda g: g[0])


def _findings(report: DatasetReport, label_of: dict[Path, str | None]) -> list[Finding]:
    found: list[Finding] = []
    if len(report.counts) == 1:
        found.append(Finding("one_category", f"only one category ({next(iter(report.counts))!r}): a classifier "
                             "tells at least two apart; add a folder with images of another category",
                             blocking=True))
    empty = [name for name, count in report.counts.items() if count == 0]
    if empty:
        found.append(Finding("empty_category", "no readable labelled image in "
                             + ", ".join(repr(e) for e in empty) + "; label some images or remove "
                             "the folder", blocking=True))
    few = [f"{name!r} ({count})" for name, count in report.counts.items() if 0 < count < FEW_IMAGES]
    if few:
        found.append(Finding("few_images", f"fewer than {FEW_IMAGES} labelled images in " + ", ".join(few)
                             + ": the model and its figures for these categories will be unreliable"))
    present = [count for count in report.counts.values() if count]
    if len(present) > 1 and max(present) / min(present) >= IMBALANCE_RATIO:
        largest = max(report.counts, key=report.counts.get)
        smallest = min((n for n in report.counts if report.counts[n]), key=report.counts.get)
        found.append(Finding("imbalance", f"heavy imbalance: {largest!r} has {report.counts[largest]} labelled "
                             f"images, {smallest!r} only {report.counts[smallest]}; the model will favour "
                             "the large categories (label more of the small ones if you can)"))
    if report.unreadable:
        found.append(Finding("unreadable", f"{len(report.unreadable)} image file(s) cannot be read and will be "
                             "left out: " + _listing(report, [p for p, _ in report.unreadable])))
    if report.not_images:
        found.append(Finding("not_images", f"{len(report.not_images)} file(s) are not images and will be "
                             "left out: " + _listing(report, [p for p, _ in report.not_images])))
    conflicting = [g for g in report.duplicates if len({label_of[p] for p in g}) > 1]
    if conflicting:
        found.append(Finding("conflicting_duplicates", f"{len(conflicting)} image(s) are stored more than once "
                             "with different labels (or both labelled and unlabelled): "
                             + "; ".join(" = ".join(report.relative(p) for p in g) for g in conflicting[:5])
                             + ("; ..." if len(conflicting) > 5 else "") + ". Keep one copy in the right place"))
    same = [g for g in report.duplicates if g not in conflicting]
    if same:
        found.append(Finding("duplicates", f"{len(same)} image(s) are stored more than once: "
                             + "; ".join(" = ".join(report.relative(p) for p in g) for g in same[:5])
                             + ("; ..." if len(same) > 5 else "") + ". A copy may land in both the training "
                             "and the test images and make the figures look better than they are"))
    if len(report.bit_depths) > 1:
        found.append(Finding("mixed_bit_depths", "images of different bit depths ("
                             + ", ".join(f"{n} {kind}" for kind, n in sorted(report.bit_depths.items()))
                             + "): each is contrast-stretched to 8 bits on its own, so brightness is not "
                             "comparable between them; if the bit depth goes with a category, the model may "
                             "learn the file format instead of the biology"))
    if len({c.split(" ")[0] for c in report.colours}) > 1:
        found.append(Finding("mixed_colour", "grey and colour images are mixed ("
                             + ", ".join(f"{n} {kind}" for kind, n in sorted(report.colours.items()))
                             + "); grey images are shown to the network as three equal channels"))
    return found


def _listing(report: DatasetReport, paths: list[Path], limit: int = 5) -> str:
    shown = ", ".join(report.relative(p) for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")

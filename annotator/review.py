"""Reviewing a run's pseudo-labels, and labelling what the run was least sure of (design 10).

A `ReviewState` matches a run's suggestions to the images of an annotation session (the organised
dataset the run was made on), and turns the user's decisions into session changes:

    accept    the image goes to the suggested category (a manual label now)
    correct   the image goes to the category the user chose
    reject    the image stays unlabelled

Each decision is one undoable session command, saved at once (the manifest records it as a
review), so a killed annotator loses none. A suggestion whose image is no longer in the
dataset, is already labelled, or has changed since the run (another size) is skipped with the
reason, never applied to the wrong image. Qt-free.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from atlass_runtime.dataset import UNLABELLED

from .errors import AnnotatorError
from .run_suggestions import RunError, RunSuggestions, Suggestion

ACCEPTED, CORRECTED, REJECTED = "accepted", "corrected", "rejected"
SUGGESTED_NEXT = 20


@dataclass(frozen=True)
class Item:
    index: int                # the image's row in the session
    suggestion: Suggestion


class ReviewState:
    def __init__(self, session, run: RunSuggestions):
        self.session, self.run = session, run
        self.categories = self._check_categories()
        self.skipped: list[tuple[str, str]] = []         # (file, why) of suggestions not applied
        self.items = self._match(run.pseudo_labels, self.skipped)
        self._next_skipped: list[tuple[str, str]] = []
        self.uncertain = self._match(run.uncertain, self._next_skipped)

    # -- matching the run to the dataset
    def _check_categories(self) -> dict[str, str]:
        """The run's category -> the session's (same name, any case); the run must not know
        categories this dataset lacks."""
        ours = {c.casefold(): c for c in self.session.categories}
        missing = [c for c in self.run.classes if c.casefold() not in ours]
        if missing:
            raise RunError(f"{self.run.source} was made on another dataset: its categories "
                           f"{', '.join(self.run.classes)} are not all this dataset's "
                           f"({', '.join(self.session.categories)}); missing here: {', '.join(missing)}")
        return {c: ours[c.casefold()] for c in self.run.classes}

    def second_opinion(self, suggestion: Suggestion) -> str:
        """What label spreading said of the image, for the details line ('' without it)."""
        spread = suggestion.label_spreading
        if not spread:
            return ""
        if spread == suggestion.label:
            return "label spreading agrees"
        return f"label spreading says {self.categories.get(spread, spread)}"

    def _match(self, suggestions: list[Suggestion], skipped: list) -> list[Item]:
        by_name = {image.name.casefold(): i for i, image in enumerate(self.session.images)}
        items = []
        for suggestion in suggestions:
            index = by_name.get(suggestion.name.casefold())
            folder = PurePosixPath(suggestion.file).parts[0] if "/" in suggestion.file else ""
            why = None
            if index is None or folder.casefold() not in (UNLABELLED, "unlabeled"):
                why = "no longer in this dataset (moved, renamed or removed since the run)"
            elif self.session.images[index].review is None and self.session.images[index].category is not None:
                why = f"already labelled {self.session.images[index].category!r}"
            elif suggestion.bytes is not None and not self._same_size(index, suggestion.bytes):
                why = "changed since the run (its size differs)"
            if why:
                skipped.append((suggestion.file, why))
            else:
                items.append(Item(index, suggestion))
        return items

    def _same_size(self, index: int, size: int) -> bool:
        for path in self.session.read_paths(index):
            try:
                return path.stat().st_size == size
            except OSError:
                continue
        return False

    # -- what the views show
    def is_pending(self, item: Item) -> bool:
        return self.session.images[item.index].review is None and self.session.images[item.index].category is None

    def pending(self) -> list[Item]:
        """The pseudo-labels still to review: grouped by suggested category (in the dataset's
        order), least confident first."""
        order = {name: position for position, name in enumerate(self.session.categories)}
        waiting = [item for item in self.items if self.is_pending(item)]
        return sorted(waiting, key=lambda item: (order.get(self.categories[item.suggestion.label], 0),
                                                 item.suggestion.confidence, item.suggestion.file))

    def reviewed(self) -> list[Item]:
        return [item for item in self.items if self.session.images[item.index].review is not None]

    def counts(self) -> dict[str, int]:
        found = defaultdict(int)
        for item in self.reviewed():
            found[self.session.images[item.index].review["decision"]] += 1
        found["pending"] = len(self.pending())
        return dict(found)

    def suggested_next(self, count: int = SUGGESTED_NEXT) -> list[int]:
        """Rows of unlabelled images the run was least sure of, smallest margin first, taken in
        turn from each suggested category (so one category cannot fill the list)."""
        queues: dict[str, list[Item]] = defaultdict(list)
        for item in self.uncertain:
            image = self.session.images[item.index]
            if image.category is None and image.review is None:
                queues[item.suggestion.label].append(item)
        order = [c for c in self.run.classes if queues[c]]
        chosen: list[int] = []
        while len(chosen) < count and any(queues[c] for c in order):
            for category in order:
                if queues[category] and len(chosen) < count:
                    chosen.append(queues[category].pop(0).index)
        return chosen

    def item_of(self, index: int) -> Item | None:
        return next((item for item in self.items if item.index == index), None)

    # -- what the user decides (each an undoable session command)
    def _record(self, item: Item, decision: str) -> dict:
        return {"run": self.run.run_id, "suggested": self.categories[item.suggestion.label],
                "confidence": item.suggestion.confidence, "decision": decision}

    def _items(self, indices) -> list[Item]:
        items = [self.item_of(i) for i in indices]
        if any(item is None for item in items):
            raise AnnotatorError("only images with a pseudo-label of this run can be reviewed here")
        return items

    def accept(self, indices):
        items = self._items(indices)
        return self.session.review([i.index for i in items], [self.categories[i.suggestion.label] for i in items],
                                   [self._record(i, ACCEPTED) for i in items])

    def correct(self, indices, category: str):
        items = self._items(indices)
        records = [self._record(i, ACCEPTED if self.categories[i.suggestion.label] == category else CORRECTED)
                   for i in items]
        return self.session.review([i.index for i in items], [category] * len(items), records)

    def reject(self, indices):
        items = self._items(indices)
        return self.session.review([i.index for i in items], [None] * len(items),
                                   [self._record(i, REJECTED) for i in items])

    def accept_above(self, percent: float):
        """Accept every pending pseudo-label whose confidence is at least `percent` %."""
        chosen = [item.index for item in self.pending() if 100 * item.suggestion.confidence >= percent]
        return self.accept(chosen) if chosen else None


def review_counts(manifest) -> dict[str, int]:
    """How many labels of a dataset came from review (its manifest), by decision."""
    found = defaultdict(int)
    for entry in manifest.images if manifest is not None else []:
        if entry.review:
            found[entry.review.get("decision", "?")] += 1
    return dict(found)

"""One pseudo-labelling round (design 4, steps 3-5): the pool voted on, calibrated votes, the
accepted images, and what the round writes down.

    pool -> every (model, transform) pair predicts -> temperatures (calibrate) -> vote ->
    threshold (+ label spreading agrees) (+ class balance) -> pseudo-labels (appended, or
    replaced when re-voting)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .acceptance import accept, disagreed, held_back
from .calibration import apply_temperature, fit_temperature
from .ensemble import Votes, vote
from .label_spreading import joint_features, spread_labels
from .pseudo_labelling import apply_transform, pair_probabilities
from .transforms import TRANSFORMS, transform_pipeline
from .tta_selection import greedy_transforms

# Columns of rounds/round-N_votes.csv, in order (README and docs/notebook.md describe them).
VOTE_COLUMNS = ("file", "label", "confidence", "runner_up", "runner_up_confidence", "margin",
                "agreement", "accepted", "label_before", "bytes", "label_spreading")


@dataclass
class RoundVotes:
    """What one round decided about its pool of images."""
    files: list[str]                 # relative paths, the pool in order
    votes: Votes
    accepted: np.ndarray             # indices into files
    temperatures: list[float] = field(default_factory=list)


def temperatures_for(trainer, models: list, valid) -> list[float]:
    """One temperature per model, fitted on its validation predictions (the image itself)."""
    return [round(fit_temperature(trainer.predict(model, valid.images), valid.labels), 6) for model in models]


def choose_transforms(trainer, models: list, valid, temperatures: list[float]) -> tuple[list[str], list[dict]]:
    """transforms = "auto": greedy forward selection over the ten on the validation images."""
    views = {}
    for name, fn in transform_pipeline(list(TRANSFORMS)):
        view = apply_transform(fn, valid.images)
        views[name] = np.stack([apply_temperature(trainer.predict(m, view), t)
                                for m, t in zip(models, temperatures)])
    chosen, steps = greedy_transforms(views, valid.labels)
    return chosen[1:], steps        # the image itself is always in: only the transforms are named


def spread_over_features(trainer, models: list, train, images: np.ndarray) -> np.ndarray:
    """The category label spreading from the manual training labels gives each pool image, over
    the round's models' pooled features (all models side by side); -1 where none reaches it."""
    labelled = joint_features([trainer.features(model, train.images) for model in models])
    pool = joint_features([trainer.features(model, images) for model in models])
    return spread_labels(labelled, train.labels, pool, len(trainer.classes))


def vote_on_pool(trainer, models: list, transform_names: list[str], images: np.ndarray,
                 temperatures: list[float], method: str, threshold: float,
                 class_shares: np.ndarray | None, earlier: np.ndarray | None = None,
                 second_opinion: np.ndarray | None = None) -> tuple[Votes, np.ndarray]:
    """(the votes on every image, the accepted indices); `earlier`: pseudo-labels per class kept
    from earlier rounds, which count against the class balance; `second_opinion`: a category per
    image (label spreading) that a vote must match to be accepted."""
    transforms = transform_pipeline(transform_names)
    probabilities = pair_probabilities(trainer, models, transforms, images)
    if any(t != 1.0 for t in temperatures):
        for pair in range(len(probabilities)):          # pairs are model-major within a transform
            probabilities[pair] = apply_temperature(probabilities[pair], temperatures[pair % len(models)])
    votes = vote(probabilities, method)
    return votes, accept(votes, threshold, class_shares, earlier, second_opinion)


def vote_rows(files: list[str], votes: Votes, accepted: np.ndarray, classes: list[str],
              before: dict[str, str], sizes: list[int], second_opinion: np.ndarray | None = None) -> list[tuple]:
    """The rows of rounds/round-N_votes.csv (VOTE_COLUMNS): the file (relative to the dataset),
    the winning category and its confidence, the runner-up and its score, the margin between
    them, the share of (model, transform) pairs that voted the winner, whether it was accepted,
    its pseudo-label before this round (re-voting), the file's size in bytes (a reviewer
    knows the file has not changed since), and the category label spreading gave it (`label_spreading`;
    empty without it or where no label reached the image)."""
    taken = set(accepted.tolist())
    spread = ["" if second_opinion is None or second_opinion[i] < 0 else classes[int(second_opinion[i])]
              for i in range(len(files))]
    return [(name, classes[int(votes.labels[i])], round(float(votes.confidence[i]), 6),
             classes[int(votes.runner_up[i])], round(float(votes.runner_up_confidence[i]), 6),
             round(float(votes.margin[i]), 6), round(float(votes.agreement[i]), 6), i in taken,
             before.get(name, ""), sizes[i], spread[i]) for i, name in enumerate(files)]


def new_pseudo_labels(previous: list[dict], files: list[str], votes: Votes, accepted: np.ndarray,
                      classes: list[str], number: int, revote: bool) -> list[dict]:
    """The pseudo-labels after this round: the accepted ones added to the earlier ones, or, when
    re-voting, the accepted ones alone (an image that keeps its label keeps its round)."""
    earlier = {e["file"]: (e["label"], e["round"]) for e in previous}
    fresh = []
    for i in accepted:
        label = classes[int(votes.labels[i])]
        kept = revote and earlier.get(files[i], ("", 0))[0] == label
        fresh.append({"file": files[i], "label": label, "confidence": round(float(votes.confidence[i]), 6),
                      "round": earlier[files[i]][1] if kept else number})
    return fresh if revote else previous + fresh


def round_summary(number: int, votes: Votes, accepted: np.ndarray, classes: list[str], threshold: float,
                  changed: bool, second_opinion: np.ndarray | None = None) -> dict:
    """What results.json's `rounds` says of one round."""
    per_class = {c: 0 for c in classes}
    for i in accepted:
        per_class[classes[int(votes.labels[i])]] += 1
    summary = {"round": number, "unlabelled_before": len(votes), "accepted": int(len(accepted)),
               "accepted_per_class": per_class,
               "mean_confidence_accepted": float(votes.confidence[accepted].mean()) if len(accepted) else None,
               "max_confidence": float(votes.confidence.max()) if len(votes) else None,
               "threshold": threshold, "changed": changed}
    if second_opinion is not None:
        against = disagreed(votes, threshold, second_opinion, len(classes))
        summary["left_out_by_label_spreading"] = {c: int(n) for c, n in zip(classes, against) if n}
    held = held_back(votes, threshold, accepted, len(classes), second_opinion)
    if held.sum():
        summary["held_back_by_balance"] = {c: int(n) for c, n in zip(classes, held) if n}
    return summary


def round_line(summary: dict) -> str:
    """The log's line for a round: how many accepted, per class, and what class balance held back."""
    def listed(counts: dict) -> str:
        return ", ".join(f"{c}: {n}" for c, n in counts.items())

    line = (f"Round {summary['round']}: {summary['accepted']} of {summary['unlabelled_before']} images "
            f"accepted ({listed(summary['accepted_per_class'])}).")
    against = summary.get("left_out_by_label_spreading")
    if against:
        line += (f" {sum(against.values())} more above the threshold left out because label spreading over the "
                 f"features disagreed ({listed(against)}).")
    held = summary.get("held_back_by_balance")
    if held:
        line += (f" {sum(held.values())} more above the threshold held back by class balance ({listed(held)}):"
                 " a category holds at most its share of your labels among the pseudo-labels.")
    return line


def same_labels(a: list[dict], b: list[dict]) -> bool:
    return {(e["file"], e["label"]) for e in a} == {(e["file"], e["label"]) for e in b}

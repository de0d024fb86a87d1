"""Guard rails: plain-words warnings when a run is not doing what the user hopes (design 4.7).

Each check returns a warning (kind + message) or None; the workflow logs them, and they go into
results.json and the notebook. None of them stops a run."""
from __future__ import annotations

import numpy as np

PILE_UP = 2.0            # a class taking more than twice its labelled share of the pseudo-labels
PILE_UP_MIN_IMAGES = 5   # ... and at least this many of them (a few images prove nothing)
UNEVEN_DISTANCE = 0.25   # a quarter of the pseudo-labels in other categories than the labels' shares
UNEVEN_MIN_IMAGES = 10
MIN_VALID_PER_CLASS = 5  # fewer validation images per category cannot tell candidates apart


def warning(kind: str, message: str) -> dict:
    return {"kind": kind, "message": message}


def threshold_unreachable(number: int, confidence: np.ndarray, threshold: float) -> dict | None:
    """No image of round `number` passed the threshold: say how close they came and what would work."""
    if len(confidence) == 0 or (confidence > threshold).any():
        return None
    highest = float(confidence.max())
    # A threshold on a 0.05 grid that accepts about the most confident tenth.
    suggestion = round(float(np.floor(np.quantile(confidence, 0.9) / 0.05) * 0.05), 2)
    if suggestion >= highest:
        suggestion = max(0.0, round(suggestion - 0.05, 2))
    taken = int((confidence > suggestion).sum())
    return warning("threshold_unreachable",
                   f"Round {number}: no unlabelled image reached the threshold {threshold:g}; the highest "
                   f"vote confidence was {highest:.3f}. A threshold of {suggestion:g} would accept "
                   f"{taken} of the {len(confidence)} images (or turn calibrate on, so that confidences "
                   "mean what they say).")


def uneven_acceptance(where: str, accepted_per_class: dict[str, int], labelled_shares: dict[str, float]) -> dict | None:
    """The pseudo-labels are split far from the labels: at least a quarter of them would have to
    change category to match the labelled shares (total variation distance), or one category takes
    more than twice its share."""
    total = sum(accepted_per_class.values())
    if total < UNEVEN_MIN_IMAGES:
        return None
    shares = {name: count / total for name, count in accepted_per_class.items()}
    distance = sum(abs(shares[name] - labelled_shares[name]) for name in shares) / 2
    piled = any(accepted_per_class[n] >= PILE_UP_MIN_IMAGES and shares[n] > PILE_UP * labelled_shares[n]
                for n in shares)
    if distance < UNEVEN_DISTANCE and not piled:
        return None
    off = sorted((name for name in shares if abs(shares[name] - labelled_shares[name]) >= 0.05),
                 key=lambda n: -abs(shares[n] - labelled_shares[n]))
    listed = "; ".join(f"{name} has {shares[name]:.0%} of them but {labelled_shares[name]:.0%} of your labels"
                       for name in off)
    return warning("uneven_pseudo_labels",
                   f"{where} the {total} pseudo-labels are split unlike your labels: {listed}. The networks "
                   "may favour some categories; check their pseudo-labels, or turn class_balance on.")


def at_chance(chosen: str, test: dict) -> dict | None:
    """The chosen model's test accuracy cannot be told apart from always answering one category."""
    low, high = test["accuracy_ci95"]
    majority = test["chance"]["majority"]
    if test["n_images"] == 0 or low > majority:
        return None
    return warning("at_chance",
                   f"The chosen model ({chosen}) scores {test['accuracy']:.1%} on the {test['n_images']} test "
                   f"images (95% interval {low:.0%}-{high:.0%}), which cannot be told apart from always "
                   f"answering the most frequent category ({majority:.0%}). Label more images, or check "
                   "that the categories can be told apart in these images.")


def validation_too_small(valid_per_class: dict[str, int], candidates: int) -> dict | None:
    """Too few validation images to choose reliably between several candidates."""
    fewest = min(valid_per_class.values()) if valid_per_class else 0
    if candidates < 2 or fewest >= MIN_VALID_PER_CLASS:
        return None
    most = max(valid_per_class.values())
    counts = f"{fewest}" if fewest == most else f"{fewest} to {most}"
    return warning("validation_too_small",
                   f"The validation images ({counts} per category, {sum(valid_per_class.values())} in all) "
                   f"are too few to tell the {candidates} candidates apart reliably: the choice may come "
                   "down to luck. Label more images, or give validation a larger share (valid_fraction).")

"""The final choice (design 4, step 6): every network trained on manual + pseudo labels, and the
same networks trained on the manual labels alone (round 1), evaluated on validation and test;
the best on the `select_on` split is kept. With `candidates = "all"` the labels-alone models
compete too, so a run is never worse on validation than its labels alone."""
from __future__ import annotations

from .evaluation import evaluate, selection_key

WITH_PSEUDO = "labels + pseudo-labels"
LABELS_ALONE = "labels alone"


def candidate_name(network: str, trained_on: str, distills: bool) -> str:
    return f"{network} (labels alone)" if distills and trained_on == LABELS_ALONE else network


def evaluate_candidates(workflow, finals: dict, alone: dict) -> tuple[list[dict], dict]:
    """(one record per candidate, {candidate name: model}). Finals come first."""
    distills = workflow.process.distills
    # Finals trained on no pseudo-label at all (ND, or nothing accepted in round 1) are the
    # labels-alone models themselves.
    finals_alone = not workflow.state.pseudo_labels or not distills
    valid, test = workflow._arrays("valid"), workflow._arrays("test")
    records, models = [], {}
    groups = [(finals, LABELS_ALONE if finals_alone else WITH_PSEUDO), (alone, LABELS_ALONE)]
    for group, trained_on in groups:
        for network, model in group.items():
            name = candidate_name(network, trained_on, distills and not (finals_alone and group is finals))
            scores = {}
            for split, data in (("validation", valid), ("test", test)):
                probabilities = workflow.trainer.predict(model, data.images)
                scores[split] = evaluate(data.labels, probabilities.argmax(axis=1), workflow.classes, probabilities)
            records.append({"name": name, "network": network, "trained_on": trained_on, **scores})
            models[name] = model
            workflow.log(f"{name}: validation accuracy {scores['validation']['accuracy']:.3f}, "
                         f"test accuracy {scores['test']['accuracy']:.3f}, "
                         f"test macro F1 {scores['test']['macro_f1']:.3f}")
    for record in records:
        record["eligible"] = workflow.config.candidates == "all" or record["trained_on"] == WITH_PSEUDO
    if not any(r["eligible"] for r in records):     # nothing was pseudo-labelled: labels alone it is
        for record in records:
            record["eligible"] = True
    return records, models


def choose(candidates: list[dict], config) -> dict:
    """The best eligible candidate on the `select_on` split: accuracy, then macro F1; where those
    tie, a pseudo-labelled model (trained on more images) before one on the labels alone; then
    the lower log-loss (why: benchmarks/results/ssl_protocol_README.md, "Validation ties")."""
    def key(candidate: dict) -> tuple:
        accuracy, macro_f1, log_loss = selection_key(candidate[config.select_on])
        return accuracy, macro_f1, candidate["trained_on"] == WITH_PSEUDO, log_loss

    return max((c for c in candidates if c["eligible"]), key=key)


def best_of(candidates: list[dict], trained_on: str, split: str = "validation") -> dict | None:
    group = [c for c in candidates if c["trained_on"] == trained_on]
    return max(group, key=lambda c: selection_key(c[split])) if group else None


def verdict(candidates: list[dict]) -> str | None:
    """One plain sentence: did pseudo-labelling help, on validation and on test? (None when the
    run made no pseudo-labelled model to compare.)"""
    with_pseudo, alone = best_of(candidates, WITH_PSEUDO), best_of(candidates, LABELS_ALONE)
    if with_pseudo is None or alone is None:
        return None

    def compare(split: str) -> str:
        a, b = with_pseudo[split]["accuracy"], alone[split]["accuracy"]
        word = "helped" if a > b else "did not help" if a < b else "made no difference"
        n = with_pseudo[split]["n_images"]
        return (f"{word} on the {n} {split} images ({a:.1%} with pseudo-labels, {b:.1%} with your "
                "labels alone)")

    test_low, test_high = with_pseudo["test"]["accuracy_ci95"]
    return (f"Pseudo-labelling {compare('validation')}, and {compare('test')}"
            f"; with this many test images a difference smaller than about "
            f"{(test_high - test_low) / 2:.0%} may be chance.")

"""The final choice among candidates, on hand-made validation scores."""
from types import SimpleNamespace

from atlass_runtime.candidates import LABELS_ALONE, WITH_PSEUDO, choose

CONFIG = SimpleNamespace(select_on="validation")


def candidate(name, trained_on, accuracy, macro_f1, log_loss, eligible=True):
    scores = {"accuracy": accuracy, "macro_f1": macro_f1, "log_loss": log_loss}
    return {"name": name, "trained_on": trained_on, "validation": scores, "eligible": eligible}


def test_a_tie_on_accuracy_and_f1_goes_to_the_pseudo_labelled_model_despite_its_log_loss():
    alone = candidate("Lite0 (labels alone)", LABELS_ALONE, 0.75, 0.70, 0.40)
    pseudo = candidate("Lite0", WITH_PSEUDO, 0.75, 0.70, 0.90)
    assert choose([alone, pseudo], CONFIG)["name"] == "Lite0"


def test_better_validation_accuracy_or_f1_still_wins_for_the_labels_alone():
    pseudo = candidate("Lite0", WITH_PSEUDO, 0.75, 0.70, 0.30)
    assert choose([pseudo, candidate("a", LABELS_ALONE, 0.80, 0.60, 0.9)], CONFIG)["name"] == "a"
    assert choose([pseudo, candidate("b", LABELS_ALONE, 0.75, 0.72, 0.9)], CONFIG)["name"] == "b"


def test_log_loss_breaks_the_tie_between_two_pseudo_labelled_networks_and_eligibility_counts():
    lite0 = candidate("Lite0", WITH_PSEUDO, 0.75, 0.70, 0.60)
    lite1 = candidate("Lite1", WITH_PSEUDO, 0.75, 0.70, 0.50)
    assert choose([lite0, lite1], CONFIG)["name"] == "Lite1"
    best_but_ineligible = candidate("x", LABELS_ALONE, 0.99, 0.99, 0.01, eligible=False)
    assert choose([best_but_ineligible, lite0], CONFIG)["name"] == "Lite0"

"""The seven processes of the paper as presets of ONE loop (models x transforms x threshold x rounds).

See design section 4: a process only decides how many networks, whether test-time transforms are
used, and whether pseudo-labelling repeats under a threshold.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    code: str
    title: str
    explanation: str           # one plain sentence for a biologist
    multi_network: bool        # several networks vote (and compete for "best")
    uses_transforms: bool      # test-time transforms T1..Tt vote too
    iterative: bool            # repeat while images are accepted, under a threshold
    distills: bool = True      # uses the unlabelled images at all

    @property
    def default_networks(self) -> tuple[str, ...]:
        if self.multi_network and self.distills:
            return ("ResNet34", "ResNet50", "ResNet101", "DenseNet121")
        return ("ResNet50",)   # the paper's single network, also ND's default (design 4)

    @property
    def default_transforms(self) -> tuple[str, ...]:
        if self.uses_transforms:
            return ("H Flip", "V Flip", "H+V Flip", "Blurring", "Gamma")
        return ()

    @property
    def default_threshold(self) -> float:
        return 0.8 if self.iterative else 0.0

    @property
    def default_max_rounds(self) -> int:
        if not self.distills:
            return 0
        return 5 if self.iterative else 1

    # ------------------------------------------------------------------ behaviour
    def settable(self, setting: str) -> bool:
        """Whether a user choosing this process has a say in a RunConfig setting (the wizard
        shows a page only when it holds one; a setting without a say keeps the process's value)."""
        if setting == "transforms":
            return self.uses_transforms
        if setting in ("threshold", "max_rounds", "revote"):
            return self.iterative
        if setting in ("vote", "class_balance", "calibrate", "label_spreading", "candidates"):
            return self.distills
        return True

    def models_trained(self, networks: int, max_rounds: int) -> tuple[int, int]:
        """(fewest, most) networks a run trains (design section 4). ND trains each network once;
        a distilling process trains them once per pseudo-labelling round and once more on manual
        + pseudo labels (2m for one round); an iterative one stops early when a round accepts no
        image (its models are then the final ones: m at the fewest), after max_rounds at most."""
        if not self.distills:
            return networks, networks
        if not self.iterative:
            return 2 * networks, 2 * networks
        return networks, networks * (max_rounds + 1)

    def training_plan(self, networks: int, max_rounds: int) -> str:
        """How it trains them, in a few words, for the wizard's cost line."""
        each = f"{networks} network{'s' if networks != 1 else ''}"
        if not self.distills:
            return f"Trains {each} once"
        if not self.iterative:
            return f"Trains {each} to label the unlabelled images, then again on all the labels"
        rounds = f"{max_rounds} round{'s' if max_rounds != 1 else ''}"
        return (f"Trains {each} in each round (at most {rounds}; fewer when a round adds no image), "
                "then again on all the labels")

    def steps(self) -> list[str]:
        """What a run does, step by step, in plain words (the notebook's introduction)."""
        networks = "Each network" if self.multi_network else "A network"
        split = ("The images are read, and the labelled ones of each category are split at random into "
                 "*training* images (to learn from), *validation* images (to choose the best model) and "
                 "*test* images (kept apart, only to report how good the final model is).")
        if self.distills:
            views = (", looking at each one as it is and in transformed versions (flipped, blurred...)"
                     if self.uses_transforms else "")
            kept = ("Only confident labels are kept (pseudo-labels); training and labelling repeat while "
                    "new images keep being added." if self.iterative else "Every voted label is kept (pseudo-labels).")
            training = [f"{networks} is trained on the training images, then labels your unlabelled images{views}. {kept}",
                        f"The final {'networks are' if self.multi_network else 'network is'} trained on your "
                        "labels plus the pseudo-labels."]
        else:
            training = [f"{'Each network is' if self.multi_network else 'The network is'} trained on the "
                        "training images only (unlabelled images are not used)."]
        chosen = ("Every trained network is evaluated and the best on the validation images is chosen"
                  if self.multi_network else "The trained network is evaluated")
        return [split, *training, f"{chosen}; its figures on the test images are reported.",
                "The model is exported, and new images are classified with it."]


PROCESSES: dict[str, Process] = {p.code: p for p in (
    Process("ND", "No distillation",
            "Train each chosen network on your labelled images only and keep the best one.",
            multi_network=True, uses_transforms=False, iterative=False, distills=False),
    Process("DD", "Data distillation",
            "One network labels your unlabelled images, looking at each one in several "
            "transformed versions (flipped, blurred...); all its answers are added to training.",
            multi_network=False, uses_transforms=True, iterative=False),
    Process("IDD", "Iterative data distillation",
            "Like data distillation, but only confident answers are added, and this repeats "
            "while new images keep being added.",
            multi_network=False, uses_transforms=True, iterative=True),
    Process("MD", "Model distillation",
            "Several networks vote on a label for each unlabelled image; all voted labels "
            "are added to training.",
            multi_network=True, uses_transforms=False, iterative=False),
    Process("IMD", "Iterative model distillation",
            "Several networks vote; only confident votes are added, and this repeats while "
            "new images keep being added.",
            multi_network=True, uses_transforms=False, iterative=True),
    Process("MDD", "Model and data distillation",
            "Several networks vote, each looking at several transformed versions of the "
            "image; all voted labels are added to training.",
            multi_network=True, uses_transforms=True, iterative=False),
    Process("IMDD", "Iterative model and data distillation",
            "Several networks vote on several transformed versions of each image; only "
            "confident votes are added, and this repeats while new images keep being added.",
            multi_network=True, uses_transforms=True, iterative=True),
)}


def get_process(code: str) -> Process:
    """The process for a code such as 'IMDD' (any case); unknown codes raise KeyError."""
    try:
        return PROCESSES[code.strip().upper()]
    except KeyError:
        raise KeyError(f"unknown process {code!r}; choose one of {', '.join(PROCESSES)}") from None

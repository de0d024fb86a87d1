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

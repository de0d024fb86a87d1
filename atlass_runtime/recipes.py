"""How one network is trained (design section 5): named recipes, like the processes are presets.

Every recipe keeps the paper's shape (a head stage with the body frozen, the LR finder, a stage
with the whole network and discriminative rates slice(lr/100, lr)); they differ in what each
stage does:

  lp-ft   (default) the head is first fitted as a linear probe, to convergence, on the frozen
          pooled features (a logistic regression); then the whole network is fine-tuned from
          there, BatchNorm statistics kept, with a batch size that gives every epoch several
          steps and a rate capped at 1e-3 (body 1e-5) so that the fitted head is not undone
          (Kumar et al., ICLR 2022: linear probing then fine-tuning). The fine-tuned network is
          kept only when the validation images show a clear gain over the probe (it fixes
          clearly more of them than it breaks: a one-sided sign test at 5%); fine-tuning a few
          dozen images can also make things worse, and one image more right is no evidence.
          Without ImageNet weights there is nothing to keep: every layer trains at the
          finder's rate, uncapped.
  quick   the linear probe alone (frozen body): seconds on a CPU, no augmentation.
  paper   the paper's recipe as published: fastai's two-layer head trained for 2 epochs, then
          8 epochs of the whole network at the finder's lowest-loss rate, batch as configured.

Kept free of torch imports (the config validates recipes instantly).
"""
from __future__ import annotations

from dataclasses import dataclass

LR_RULES = ("valley", "steep", "minimum", "paper")


@dataclass(frozen=True)
class Recipe:
    name: str
    explanation: str                # one plain sentence for a biologist
    head: str                       # "linear" or "fastai" (network_builder.HEADS)
    probe_first: bool               # fit the head as a logistic regression on frozen features
    epochs_frozen: int              # default head-only epochs (augmented, after the probe if any)
    epochs_unfrozen: int            # default whole-network epochs
    lr_rule: str                    # default LR-finder rule
    fit_batch_to_data: bool         # smaller batches for small sets (enough optimiser steps)
    keep_bn_statistics: bool        # BatchNorm keeps its ImageNet running statistics
    reuse_lr: bool                  # a network's round-1 rate is reused in its later rounds
    bounded_finder: bool            # fewer finder iterations on small sets (else fastai's 100)
    max_lr: float | None = None     # the finder's rate is capped here (fine-tuning a fitted head)
    keep_better_stage: bool = False  # fine-tuning kept only on a clear gain on the validation images


RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("lp-ft", "Fit the new last layer on the network's frozen features first, then fine-tune "
           "the whole network gently: made for a few dozen labelled images per category.",
           head="linear", probe_first=True, epochs_frozen=0, epochs_unfrozen=8, lr_rule="valley",
           fit_batch_to_data=True, keep_bn_statistics=True, reuse_lr=True, bounded_finder=True,
           max_lr=1e-3, keep_better_stage=True),
    Recipe("quick", "Only fit the new last layer on the network's frozen features: seconds even "
           "without a GPU, usually a little less accurate.",
           head="linear", probe_first=True, epochs_frozen=0, epochs_unfrozen=0, lr_rule="valley",
           fit_batch_to_data=True, keep_bn_statistics=True, reuse_lr=True, bounded_finder=True),
    Recipe("paper", "The original ATLASS recipe: 2 epochs of the new layers, then 8 epochs of the "
           "whole network at the learning-rate finder's lowest-loss rate (made for hundreds of images).",
           head="fastai", probe_first=False, epochs_frozen=2, epochs_unfrozen=8, lr_rule="paper",
           fit_batch_to_data=False, keep_bn_statistics=False, reuse_lr=False, bounded_finder=False),
)}


def get_recipe(name: str) -> Recipe:
    """The recipe of that name (any case); unknown names raise KeyError."""
    try:
        return RECIPES[name.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}") from None


def fitted_batch_size(batch_size: int, n_images: int, min_steps: int = 8) -> int:
    """A batch size that gives an epoch of `n_images` at least `min_steps` optimiser steps
    (never below 8 images, never above the configured size)."""
    return max(2, min(batch_size, n_images, max(8, n_images // min_steps)))


def lr_find_iterations(n_images: int, batch_size: int, cap: int = 100, floor: int = 30) -> int:
    """A finder bounded to about three epochs of the set (at least `floor`, at most `cap`
    iterations): on a small set the default 100 iterations cost more than the training."""
    per_epoch = max(1, n_images // max(1, batch_size))
    return int(min(cap, max(floor, 3 * per_epoch)))


# lp-ft keeps its fine-tuning only on evidence: one-sided sign test on the validation images that
# the two stages classify differently (a dozen images decide nothing by one image).
KEEP_EVIDENCE = 0.05


@dataclass(frozen=True)
class StageComparison:
    fixed: int         # validation images stage 2 gets right and stage 1 got wrong
    broken: int        # the other way round
    p_value: float     # chance of fixing at least that many if fine-tuning changed nothing

    @property
    def keep_fine_tuning(self) -> bool:
        return self.fixed > self.broken and self.p_value < KEEP_EVIDENCE


def compare_stages(labels, before, after) -> StageComparison:
    """Stage 1's and stage 2's predicted classes on the same validation images."""
    from math import comb

    fixed = sum(1 for y, b, a in zip(labels, before, after) if a == y and b != y)
    broken = sum(1 for y, b, a in zip(labels, before, after) if b == y and a != y)
    n = fixed + broken
    p_value = sum(comb(n, i) for i in range(fixed, n + 1)) / 2 ** n if n else 1.0
    return StageComparison(fixed, broken, p_value)

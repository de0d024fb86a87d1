"""Training one network with fastai (design section 5): ImageNet transfer learning in two stages,
as the chosen recipe (`recipes.py`) says.

Stage 1 fits the new head with the body frozen: as a linear probe solved to convergence on the
frozen features (lp-ft, quick), and/or for some augmented epochs (paper). Stage 2 unfreezes, runs
a bounded LR finder, and trains with discriminative rates slice(lr/100, lr). Data come from
in-memory arrays (fast_data), so nothing is decoded twice.
"""
from __future__ import annotations

import contextlib
import copy
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import _fastai  # noqa: F401  (first: quiet import, Learner patches)
from fastai.callback.channelslast import ChannelsLast
from fastai.callback.core import Callback
from fastai.callback.fp16 import MixedPrecision
from fastai.callback.schedule import minimum, steep, valley
from fastai.learner import Learner
from fastai.losses import CrossEntropyLossFlat
from fastai.metrics import accuracy
from fastai.torch_core import set_seed

from .config import RunConfig
from .fast_data import array_dataloaders, normalise_batch
from .fastai_files import file_dataloaders
from .linear_probe import fit_linear_probe
from .network_builder import build_model, splitter
from .networks import normalisation
from .recipes import compare_stages, fitted_batch_size, lr_find_iterations
from .trainer import LabelledArrays

STAGE1_LR = 2e-3
MIN_LR, FALLBACK_LR = 1e-5, 1e-3


def pick_device(prefer: str | None = None) -> torch.device:
    """The device to run on: `prefer` ("cpu", "cuda", "cuda:1"...) checked, or the GPU if any."""
    from .errors import AtlassError

    if not prefer:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(prefer)
    except (RuntimeError, ValueError):
        raise AtlassError(f"{prefer!r} is not a device; choose cpu or cuda") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise AtlassError(f"{prefer!r} is not a device ATLASS runs on; choose cpu or cuda")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise AtlassError(f"{prefer!r}: no CUDA GPU is available here; use cpu (or leave the device out)")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise AtlassError(f"{prefer!r}: this machine has {torch.cuda.device_count()} GPU(s)")
    return device


def lowest_loss(lrs, losses, num_it):
    """LR-finder suggestion of the paper: the rate at the lowest loss (fastai suggestion API).

    A finder that stopped early (diverged, NaN) may leave no usable loss: then NaN, which
    `choose_lr` turns into the fallback rate."""
    losses = torch.as_tensor(losses, dtype=torch.float32).flatten()
    finite = torch.isfinite(losses)
    if not bool(finite.any()):
        return float("nan"), (float("nan"), float("nan"))
    index = int(torch.where(finite, losses, torch.inf).argmin())
    lr = float(lrs[index])
    return lr, (lr, float(losses[index]))


def _guarded(rule):
    """A fastai suggestion that gives NaN instead of failing on a finder that stopped early."""
    def suggest(lrs, losses, num_it):
        if len(losses) < 3:
            return float("nan"), (float("nan"), float("nan"))
        try:
            return rule(lrs, losses, num_it)
        except (IndexError, ValueError, RuntimeError):
            return float("nan"), (float("nan"), float("nan"))
    suggest.__name__ = rule.__name__
    return suggest


LR_SUGGESTIONS = {"paper": lowest_loss, "valley": _guarded(valley), "steep": _guarded(steep),
                  "minimum": _guarded(minimum)}


def choose_lr(suggested: float, max_lr: float | None = None) -> float:
    if not np.isfinite(suggested) or suggested < MIN_LR:
        return FALLBACK_LR if max_lr is None else min(FALLBACK_LR, max_lr)
    return suggested if max_lr is None else min(suggested, max_lr)


class EpochLines(Callback):
    """One plain line per epoch (for terminals and logs, where progress bars turn into noise)."""
    order = 60

    def __init__(self, log, stage: str):
        self.log, self.stage = log, stage

    def after_epoch(self):
        names = self.recorder.metric_names[1:-1]
        values = self.recorder.values[-1] if self.recorder.values else []
        shown = ", ".join(f"{n} {v:.4f}" for n, v in zip(names, values))
        self.log(f"    {self.stage} epoch {self.epoch + 1}/{self.n_epoch}: {shown}")


class InputChannelsLast(Callback):
    """Hand the batch to the network in channels_last layout (pairs with fastai's ChannelsLast)."""
    order = 0

    def before_batch(self):
        self.learn.xb = tuple(x.contiguous(memory_format=torch.channels_last) for x in self.xb)


class KeepBatchNormStatistics(Callback):
    """BatchNorm layers keep their ImageNet running statistics while the rest trains: batches of
    8 images would otherwise replace them with noise (their scale and shift still learn)."""
    order = 1

    def before_train(self):
        for module in self.model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.eval()


class FastaiModel:
    """A trained network: the torch module and the input normalisation it was trained with."""

    def __init__(self, network: str, module: torch.nn.Module):
        self.network, self.module = network, module
        self.mean, self.std = normalisation(network)


class FastaiTrainer:
    """The Trainer of the workflow loop, backed by fastai."""

    def __init__(self, classes: list[str], config: RunConfig, device: str | None = None,
                 lr_find_iterations: int | None = None, progress: str = "auto", log=print):
        """progress: 'bars' (fastai's, for notebooks), 'lines' (one per epoch), 'none', or
        'auto' (bars in a notebook, lines elsewhere). lr_find_iterations: None bounds the finder
        to the size of the training set (`recipes.lr_find_iterations`)."""
        self.classes = list(classes)
        self.config = config
        self.recipe = config.recipe_info
        self.device = pick_device(device)
        self.lr_find_iterations = lr_find_iterations
        if progress == "auto":   # `atlass run` asks its headless kernels for lines
            from fastprogress.fastprogress import IN_NOTEBOOK
            progress = os.environ.get("ATLASS_PROGRESS") or ("bars" if IN_NOTEBOOK else "lines")
        self.progress, self.log = progress, log
        self.cuda = self.device.type == "cuda"
        self.channels_last = self.cuda       # faster convolutions with mixed precision on a GPU
        self.amp_dtype = None
        if self.cuda and config.mixed_precision:
            self.amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.last_lr: float | None = None
        self.known_lrs: dict[str, float] = {}   # network -> rate its first training found
        self.last_steps: dict[str, int] = {}
        self.kept_stage: str | None = None       # which stage's network the last training kept

    def _say(self, line: str) -> None:
        if self.progress != "none":
            self.log(line)

    # ------------------------------------------------------------------ training
    def _callbacks(self) -> list[Callback]:
        cbs: list[Callback] = [ChannelsLast(), InputChannelsLast()] if self.channels_last else []
        if self.amp_dtype is not None:
            cbs.append(MixedPrecision("bf16" if self.amp_dtype == torch.bfloat16 else "fp16"))
        if self.recipe.keep_bn_statistics and self.config.pretrained:
            cbs.append(KeepBatchNormStatistics())
        return cbs

    def _learner(self, network: str, dls) -> Learner:
        model = build_model(network, len(self.classes), self.config.pretrained, self.recipe.head)
        learn = Learner(dls, model, loss_func=CrossEntropyLossFlat(), metrics=[accuracy],
                        splitter=splitter(network), cbs=self._callbacks())
        if self.progress != "bars" and hasattr(learn, "progress"):
            learn.remove_cb(learn.progress)
        return learn

    def _fit(self, learn: Learner, epochs: int, lr, stage: str, cbs: list[Callback] = ()) -> None:
        self._say(f"    {stage}: {epochs} epoch(s) x {len(learn.dls.train)} step(s) of "
                  f"{learn.dls.train.bs} images = {epochs * len(learn.dls.train)} optimiser steps")
        self.last_steps[stage] = epochs * len(learn.dls.train)
        if self.progress == "bars":
            learn.fit_one_cycle(epochs, lr, cbs=list(cbs))
            return
        with learn.no_logging():  # the Recorder would print raw value lists without a bar
            lines = [EpochLines(self.log, stage)] if self.progress == "lines" else []
            learn.fit_one_cycle(epochs, lr, cbs=[*cbs, *lines])

    def train(self, network: str, train: LabelledArrays, valid: LabelledArrays) -> FastaiModel:
        cfg = self.config
        # Bit-for-bit reproducible on the CPU; on a GPU seeded but with cuDNN free to pick its
        # fastest kernels (deterministic cuDNN costs more than the data path saves).
        set_seed(cfg.seed, reproducible=not self.cuda)
        self.last_lr, self.last_steps = None, {}
        batch = fitted_batch_size(cfg.batch_size, len(train)) if self.recipe.fit_batch_to_data else cfg.batch_size
        mean, std = normalisation(network)
        dls = array_dataloaders(train.images, train.labels, valid.images, valid.labels,
                                batch, self.device, mean, std)
        learn = self._learner(network, dls)
        with tempfile.TemporaryDirectory(prefix="atlass-lr-find-") as scratch:
            learn.path = Path(scratch)   # the LR finder saves and restores the weights there
            self._stages(learn, network, train, valid)
        learn.model.eval()
        # Keep the network only: the Learner holds the optimizer state and the training batches.
        return FastaiModel(network, learn.model)

    def _stages(self, learn: Learner, network: str, train: LabelledArrays, valid: LabelledArrays) -> None:
        cfg = self.config
        learn.freeze()
        if self.recipe.probe_first:
            self._fit_probe(learn, network, train)
        if cfg.epochs_frozen:
            # The head's epochs must see the features the probe was fitted on: a random body's
            # BatchNorm would otherwise trade its statistics for those of a few small batches.
            hold_bn = self.recipe.probe_first and not any(isinstance(c, KeepBatchNormStatistics) for c in learn.cbs)
            self._fit(learn, cfg.epochs_frozen, STAGE1_LR, "stage 1 (head)",
                      [KeepBatchNormStatistics()] if hold_bn else [])
        self.kept_stage = "stage 1"
        if cfg.epochs_unfrozen:
            guard = self.recipe.keep_better_stage and len(valid) > 0
            before = (copy.deepcopy(learn.model.state_dict()), self._valid_predictions(learn.model, network, valid)) \
                if guard else None
            learn.unfreeze()
            self.last_lr = lr = self._stage2_lr(learn, network)
            # Discriminative rates protect pretrained layers; random ones all need to learn.
            rates = slice(lr / 100, lr) if cfg.pretrained or not self.recipe.probe_first else lr
            self._fit(learn, cfg.epochs_unfrozen, rates, "stage 2 (all)")
            self.kept_stage = "stage 2"
            if before is not None:
                self._keep_better(learn.model, network, valid, *before)

    def _valid_predictions(self, model: torch.nn.Module, network: str, valid: LabelledArrays) -> np.ndarray:
        mean, std = normalisation(network)
        return predict_probabilities(model, valid.images, self.device, self.amp_dtype,
                                     channels_last=self.channels_last, mean=mean, std=std).argmax(axis=1)

    def _keep_better(self, model: torch.nn.Module, network: str, valid: LabelledArrays,
                     state_before: dict, predicted_before: np.ndarray) -> None:
        """Fine-tuning is kept only when the validation images give evidence for it: it must fix
        clearly more of them than it breaks (a one-sided sign test, `recipes.compare_stages`).
        On a dozen images one more right is noise, and the simpler probe stays: kept on such
        evidence, fine-tuning did no better than the probe on average and varied by +-5 points on
        the held-out images (benchmarks/results/transfer.md)."""
        compared = compare_stages(valid.labels, predicted_before, self._valid_predictions(model, network, valid))
        shown = (f"on the {len(valid)} validation images it fixes {compared.fixed} and breaks "
                 f"{compared.broken} of stage 1's answers, sign test p {compared.p_value:.2f}")
        if compared.keep_fine_tuning:
            self._say(f"    fine-tuning kept ({shown})")
            return
        model.load_state_dict(state_before)
        self.kept_stage = "stage 1"
        self._say(f"    fine-tuning not kept, no clear gain ({shown}): the stage-1 network stays")

    def _fit_probe(self, learn: Learner, network: str, train: LabelledArrays) -> None:
        """The head's linear layer := a logistic regression on the frozen pooled features."""
        started = time.perf_counter()
        model = learn.model
        features = pooled_features(model, train.images, self.device, *normalisation(network),
                                   amp_dtype=self.amp_dtype)
        weight, bias = fit_linear_probe(features, train.labels, len(self.classes))
        linear = model[1][-1]
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(weight, dtype=linear.weight.dtype))
            linear.bias.copy_(torch.as_tensor(bias, dtype=linear.bias.dtype))
        self._say(f"    stage 1 (head): linear probe fitted on the frozen features of {len(train)} "
                  f"images in {time.perf_counter() - started:.1f} s")

    def _stage2_lr(self, learn: Learner, network: str) -> float:
        if self.recipe.reuse_lr and network in self.known_lrs:
            lr = self.known_lrs[network]
            self._say(f"    learning rate {lr:.2e} (found for {network} in its first training; body {lr / 100:.2e})")
            return lr
        iterations = self.lr_find_iterations or (
            lr_find_iterations(len(learn.dls.train.dataset), learn.dls.train.bs)
            if self.recipe.bounded_finder else 100)
        self._say(f"    learning-rate finder: {iterations} iterations of {learn.dls.train.bs} images...")
        started = time.perf_counter()
        with learn.no_logging(), learn.no_bar():
            suggestion = learn.lr_find(num_it=iterations, show_plot=False,
                                       suggest_funcs=(LR_SUGGESTIONS[self.config.lr_rule],))
        lr = choose_lr(float(suggestion[0]), self.recipe.max_lr if self.config.pretrained else None)
        self.known_lrs.setdefault(network, lr)
        self._say(f"    learning rate from the finder ({self.config.lr_rule} rule: "
                  f"{float(suggestion[0]):.2e}, {time.perf_counter() - started:.1f} s): {lr:.2e}"
                  + (f" (body {lr / 100:.2e})" if self.config.pretrained else ""))
        return lr

    # ------------------------------------------------------------------ inference
    def predict(self, model: FastaiModel, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        return predict_probabilities(model.module, images, self.device, self.amp_dtype, batch_size,
                                     self.channels_last, model.mean, model.std)

    def features(self, model: FastaiModel, images: np.ndarray) -> np.ndarray:
        return pooled_features(model.module, images, self.device, model.mean, model.std, amp_dtype=self.amp_dtype)

    # ------------------------------------------------------------------ persistence
    def bare_module(self, network: str) -> torch.nn.Module:
        """The network with a fresh head for our classes, without loading any weights."""
        return build_model(network, len(self.classes), False, self.recipe.head)

    def save(self, model: FastaiModel, path: Path) -> None:
        path = Path(path)
        partial = path.with_name(path.name + ".partial")
        torch.save(model.module.state_dict(), partial)
        os.replace(partial, path)

    def load(self, network: str, path: Path) -> FastaiModel:
        module = self.bare_module(network)
        module.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        module.to(self.device).eval()
        if self.channels_last:
            module.to(memory_format=torch.channels_last)
        return FastaiModel(network, module)

    def export(self, model: FastaiModel, network: str, folder: Path) -> list[Path]:
        from .export import export_model

        dls = file_dataloaders(self.classes, self.config.image_size, mean=model.mean, std=model.std)
        learn = Learner(dls, model.module.float().cpu().to(memory_format=torch.contiguous_format),
                        loss_func=CrossEntropyLossFlat())
        written = export_model(learn, network, self.classes, self.config.image_size, Path(folder),
                               model.mean, model.std)
        model.module.to(self.device)
        return written


def _autocast(device: torch.device, amp_dtype):
    return torch.autocast(device.type, dtype=amp_dtype) if amp_dtype is not None else contextlib.nullcontext()


def predict_probabilities(module: torch.nn.Module, images: np.ndarray, device, amp_dtype=None,
                          batch_size: int = 256, channels_last: bool = False,
                          mean=None, std=None) -> np.ndarray:
    """Batched softmax probabilities for uint8 NHWC images, on `device` (the fast path of TTA).
    mean/std: the network's input normalisation (default: ImageNet's)."""
    module.eval()
    device = torch.device(device)
    outputs = []
    with torch.inference_mode(), _autocast(device, amp_dtype):
        for start in range(0, len(images), batch_size):
            x = normalise_batch(images[start:start + batch_size], device, mean, std)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            outputs.append(torch.softmax(module(x).float(), dim=1).cpu())
    if not outputs:
        return np.zeros((0, 0), dtype=np.float32)
    return torch.cat(outputs).numpy()


def pooled_features(model: torch.nn.Sequential, images: np.ndarray, device, mean, std,
                    batch_size: int = 128, amp_dtype=None) -> np.ndarray:
    """(n, features) inputs of the head's last linear layer, every layer in eval mode."""
    body, pool = model[0], model[1][:-1]
    was_training = model.training
    model.eval()
    device = torch.device(device)
    parts = []
    with torch.inference_mode(), _autocast(device, amp_dtype):
        for start in range(0, len(images), batch_size):
            x = normalise_batch(images[start:start + batch_size], device, mean, std)
            parts.append(pool(body(x)).float().cpu())
    model.train(was_training)
    return torch.cat(parts).numpy() if parts else np.zeros((0, 0), dtype=np.float32)


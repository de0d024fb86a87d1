"""Training one network with fastai (design section 5): ImageNet transfer learning in two stages.

Stage 1 trains the new head with the body frozen; stage 2 unfreezes, runs the LR finder, and
trains with discriminative rates slice(lr/100, lr), lr being the finder's lowest-loss rate (1e-3
if that is below 1e-5). Data come from in-memory arrays (fast_data), so nothing is decoded twice.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import urllib.error
from pathlib import Path

import numpy as np
import torch

from . import _fastai  # noqa: F401  (first: quiet import, Learner patches)
from fastai.callback.channelslast import ChannelsLast
from fastai.callback.core import Callback
from fastai.callback.fp16 import MixedPrecision
from fastai.learner import Learner
from fastai.losses import CrossEntropyLossFlat
from fastai.metrics import accuracy
from fastai.torch_core import set_seed
from fastai.vision.learner import create_timm_model, create_vision_model, vision_learner

from .config import RunConfig
from .errors import AtlassError, WeightsUnavailableError
from .fast_data import array_dataloaders, normalise_batch
from .fastai_files import file_dataloaders
from .networks import is_builtin, torchvision_builder
from .trainer import LabelledArrays

STAGE1_LR = 2e-3
MIN_LR, FALLBACK_LR = 1e-5, 1e-3


def pick_device(prefer: str | None = None) -> torch.device:
    if prefer:
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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


def choose_lr(suggested: float) -> float:
    return FALLBACK_LR if not np.isfinite(suggested) or suggested < MIN_LR else suggested


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


def architecture(network: str):
    """What fastai's vision_learner takes: a torchvision constructor, or a timm name as text."""
    return torchvision_builder(network) if is_builtin(network) else network


def _weights_error(network: str, exc: Exception) -> WeightsUnavailableError:
    if is_builtin(network):
        cache = f"copy the weights file into {Path(torch.hub.get_dir()) / 'checkpoints'} (set TORCH_HOME to use another cache folder)"
    else:
        cache = "fill the Hugging Face cache (HF_HOME) with the timm weights on a machine that has internet"
    return WeightsUnavailableError(
        f"could not get the ImageNet weights of {network} ({exc}). Either connect this machine "
        f"to the internet once, or {cache}, or train from scratch with --no-pretrained / "
        "pretrained=False (needs more labelled images for the same accuracy)."
    )


@contextlib.contextmanager
def _explain_weight_failures(network: str, pretrained: bool):
    try:
        yield
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise _weights_error(network, exc) from exc
    except (OSError, RuntimeError) as exc:
        text = str(exc).lower()
        if pretrained and any(w in text for w in ("download", "connect", "resolve", "huggingface", "hub")):
            raise _weights_error(network, exc) from exc
        raise
    except ImportError as exc:
        raise AtlassError(f"network {network!r} needs the timm package: pip install timm") from exc


class FastaiModel:
    """A trained network: the torch module and how it was trained."""

    def __init__(self, network: str, module: torch.nn.Module):
        self.network, self.module = network, module


class FastaiTrainer:
    """The Trainer of the workflow loop, backed by fastai."""

    def __init__(self, classes: list[str], config: RunConfig, device: str | None = None,
                 lr_find_iterations: int = 100, progress: str = "auto", log=print):
        """progress: 'bars' (fastai's, for notebooks), 'lines' (one per epoch), 'none', or
        'auto' (bars in a notebook, lines elsewhere)."""
        self.classes = list(classes)
        self.config = config
        self.device = pick_device(device)
        self.lr_find_iterations = lr_find_iterations
        if progress == "auto":
            from fastprogress.fastprogress import IN_NOTEBOOK
            progress = "bars" if IN_NOTEBOOK else "lines"
        self.progress, self.log = progress, log
        self.cuda = self.device.type == "cuda"
        self.channels_last = self.cuda       # faster convolutions with mixed precision on a GPU
        self.amp_dtype = None
        if self.cuda and config.mixed_precision:
            self.amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.last_lr: float | None = None

    # ------------------------------------------------------------------ training
    def _callbacks(self) -> list[Callback]:
        cbs: list[Callback] = [ChannelsLast(), InputChannelsLast()] if self.channels_last else []
        if self.amp_dtype is not None:
            cbs.append(MixedPrecision("bf16" if self.amp_dtype == torch.bfloat16 else "fp16"))
        return cbs

    def _learner(self, network: str, dls, pretrained: bool) -> Learner:
        with _explain_weight_failures(network, pretrained):
            learn = vision_learner(dls, architecture(network), n_out=len(self.classes),
                                   normalize=False, pretrained=pretrained,
                                   loss_func=CrossEntropyLossFlat(), metrics=[accuracy],
                                   cbs=self._callbacks())
        if self.progress != "bars" and hasattr(learn, "progress"):
            learn.remove_cb(learn.progress)
        return learn

    def _fit(self, learn: Learner, epochs: int, lr, stage: str) -> None:
        if self.progress == "bars":
            learn.fit_one_cycle(epochs, lr)
            return
        with learn.no_logging():  # the Recorder would print raw value lists without a bar
            learn.fit_one_cycle(epochs, lr, cbs=[EpochLines(self.log, stage)] if self.progress == "lines" else [])

    def train(self, network: str, train: LabelledArrays, valid: LabelledArrays) -> FastaiModel:
        cfg = self.config
        # Bit-for-bit reproducible on the CPU; on a GPU seeded but with cuDNN free to pick its
        # fastest kernels (deterministic cuDNN costs more than the data path saves).
        set_seed(cfg.seed, reproducible=not self.cuda)
        self.last_lr = None
        dls = array_dataloaders(train.images, train.labels, valid.images, valid.labels,
                                cfg.batch_size, self.device)
        learn = self._learner(network, dls, cfg.pretrained)
        with tempfile.TemporaryDirectory(prefix="atlass-lr-find-") as scratch:
            learn.path = Path(scratch)   # the LR finder saves and restores the weights there
            self._two_stages(learn)
        learn.model.eval()
        # Keep the network only: the Learner holds the optimizer state and the training batches.
        return FastaiModel(network, learn.model)

    def _two_stages(self, learn: Learner) -> None:
        cfg = self.config
        learn.freeze()
        if cfg.epochs_frozen:
            self._fit(learn, cfg.epochs_frozen, STAGE1_LR, "stage 1 (head)")
        learn.unfreeze()
        if cfg.epochs_unfrozen:
            with learn.no_logging(), learn.no_bar():
                suggestion = learn.lr_find(num_it=self.lr_find_iterations, show_plot=False,
                                           suggest_funcs=(lowest_loss,))
            self.last_lr = lr = choose_lr(float(suggestion[0]))
            if self.progress != "none":
                self.log(f"    learning rate from the LR finder: {lr:.2e} (body {lr / 100:.2e})")
            self._fit(learn, cfg.epochs_unfrozen, slice(lr / 100, lr), "stage 2 (all)")

    # ------------------------------------------------------------------ inference
    def predict(self, model: FastaiModel, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        return predict_probabilities(model.module, images, self.device, self.amp_dtype, batch_size,
                                     self.channels_last)

    # ------------------------------------------------------------------ persistence
    def bare_module(self, network: str) -> torch.nn.Module:
        """The network with a fresh head for our classes, without downloading any weights."""
        with _explain_weight_failures(network, False):
            if is_builtin(network):
                return create_vision_model(architecture(network), len(self.classes), pretrained=False)
            return create_timm_model(network, len(self.classes), pretrained=False)[0]

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

        learn = Learner(file_dataloaders(self.classes, self.config.image_size),
                        model.module.float().cpu().to(memory_format=torch.contiguous_format),
                        loss_func=CrossEntropyLossFlat())
        written = export_model(learn, network, self.classes, self.config.image_size, Path(folder))
        model.module.to(self.device)
        return written


def predict_probabilities(module: torch.nn.Module, images: np.ndarray, device, amp_dtype=None,
                          batch_size: int = 256, channels_last: bool = False) -> np.ndarray:
    """Batched softmax probabilities for uint8 NHWC images, on `device` (the fast path of TTA)."""
    module.eval()
    device = torch.device(device)
    outputs = []
    autocast = (torch.autocast(device.type, dtype=amp_dtype) if amp_dtype is not None
                else contextlib.nullcontext())
    with torch.inference_mode(), autocast:
        for start in range(0, len(images), batch_size):
            x = normalise_batch(images[start:start + batch_size], device)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            outputs.append(torch.softmax(module(x).float(), dim=1).cpu())
    if not outputs:
        return np.zeros((0, 0), dtype=np.float32)
    return torch.cat(outputs).numpy()

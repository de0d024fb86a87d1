"""The annotation core stays Qt-free (napari-style): only annotator/ui may import PySide6."""
import re
import subprocess
import sys
from pathlib import Path

import annotator

CORE = Path(annotator.__file__).parent
CHECK = """
import importlib, pkgutil, sys
sys.modules["PySide6"] = None          # any import of Qt now fails
import annotator
for info in pkgutil.iter_modules(annotator.__path__):
    if info.name != "ui":
        importlib.import_module("annotator." + info.name)
print("ok")
"""


def test_core_modules_import_without_qt():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=CORE.parent)
    assert result.stdout.strip() == "ok", result.stderr


def test_only_the_ui_package_mentions_qt():
    pattern = re.compile(r"^\s*(from|import)\s+PySide6\b", re.M)
    core_files = [path for path in CORE.glob("*.py") if pattern.search(path.read_text(encoding="utf-8"))]
    ui_files = [path for path in (CORE / "ui").glob("*.py") if pattern.search(path.read_text(encoding="utf-8"))]
    assert core_files == [] and len(ui_files) >= 5

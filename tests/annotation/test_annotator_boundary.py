"""The annotation core stays Qt-free (napari-style): only annotator/ui may import PySide6 (the
static check is import-linter's, in pyproject.toml; this one imports every module)."""
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


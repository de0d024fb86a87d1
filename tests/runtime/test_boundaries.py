"""The runtime is what a notebook kernel imports: it must never pull in Qt or Jinja."""
import pkgutil
import subprocess
import sys

import atlass_runtime

CHECK = """
import importlib, pkgutil, sys
import atlass_runtime
for info in pkgutil.iter_modules(atlass_runtime.__path__):
    importlib.import_module("atlass_runtime." + info.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "jinja2", "wizard", "annotator"))
print(",".join(bad))
"""


def test_runtime_imports_neither_qt_nor_jinja_nor_the_upper_layers():
    modules = [info.name for info in pkgutil.iter_modules(atlass_runtime.__path__)]
    assert "workflow" in modules and "fastai_trainer" in modules      # the check covers the heavy ones
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


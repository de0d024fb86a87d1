"""Set-up shared by the notebook tests (a module of its own: `conftest` is ambiguous when several
test folders have one)."""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))  # tests/fakes.py

# tests/ is on sys.path (for the shared conftest and fakes), so tests/wizard, a folder named like
# the package it tests, could be imported as a namespace package `wizard` instead of the
# project's. With the repository on sys.path the real package wins (a regular package beats a
# namespace portion wherever it sits on the path). Test modules import this module first.
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))
if "wizard" in sys.modules and getattr(sys.modules["wizard"], "__file__", None) is None:
    for _name in [m for m in sys.modules if m == "wizard" or m.startswith("wizard.")]:
        del sys.modules[_name]

"""tests/wizard (a folder named like the package) can shadow the project's `wizard` as a namespace
package, since tests/ is on sys.path; putting the repository on sys.path makes the real package
win (a regular package beats a namespace portion wherever it sits on the path)."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))
if "wizard" in sys.modules and getattr(sys.modules["wizard"], "__file__", None) is None:
    for name in [m for m in sys.modules if m == "wizard" or m.startswith("wizard.")]:
        del sys.modules[name]

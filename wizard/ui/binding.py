"""A guard against a defect of PySide6 6.12 on Python < 3.12.

That binding forgets to count a reference to None each time Python calls a Qt method that returns
nothing (setEnabled, setText...) and to True each time Python emits a signal. A wizard makes
thousands of such calls, and when the count of None or True falls to zero Python aborts
("Fatal Python error: none_dealloc"). None, True and False are never freed in a healthy process,
so adding a large number of references to them once is harmless and keeps the counts away from
zero for any realistic session. From Python 3.12 on they are immortal and nothing is needed.
"""
from __future__ import annotations

import ctypes
import sys

EXTRA_REFERENCES = 1 << 40
_protected = False


def affected() -> bool:
    """True on the binding and Python that lose references."""
    try:
        import PySide6
    except ImportError:
        return False
    return (tuple(PySide6.__version_info__[:2]) == (6, 12) and sys.version_info < (3, 12)
            and sys.implementation.name == "cpython")


def protect_singletons() -> bool:
    """Add references to None, True and False once, where the binding needs it; True if done."""
    global _protected
    if _protected or not affected():
        return _protected
    if hasattr(sys, "gettotalrefcount"):          # a debug build lays objects out differently
        increment = ctypes.pythonapi.Py_IncRef
        increment.argtypes, increment.restype = [ctypes.py_object], None
        for singleton in (None, True, False):
            for _ in range(100_000):
                increment(singleton)
    else:                                           # ob_refcnt is the first field of every object
        for singleton in (None, True, False):
            ctypes.c_ssize_t.from_address(id(singleton)).value += EXTRA_REFERENCES
    _protected = True
    return True

"""Whether a window can open here, checked before Qt starts: without a screen Qt aborts the
process ("Reinstalling the application may fix this problem", exit 134) instead of saying why."""
from __future__ import annotations

import ctypes.util
import os
import sys

# Qt 6.5+ needs these X11 libraries for its xcb platform; Debian/Ubuntu package names.
XCB_LIBRARIES = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xkbcommon-x11": "libxkbcommon-x11-0"}


def display_problem(app: str = "the annotator") -> str | None:
    """Why no window can be shown, with what to do; None when one can (or Qt knows better)."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or (platform and not platform.startswith("xcb")):
        return None                                    # macOS, Windows, or a platform chosen on purpose
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return (f"{app} opens a window, but there is no display here (DISPLAY is not set). Run it on a "
                "desktop, over `ssh -X`, or under a virtual screen (xvfb-run); tests use "
                "QT_QPA_PLATFORM=offscreen")
    if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
        return None
    missing = [package for library, package in XCB_LIBRARIES.items() if ctypes.util.find_library(library) is None]
    if missing:
        return (f"{app} needs the system libraries Qt uses on X11, which are missing: "
                f"{', '.join(missing)}. Install them (e.g. sudo apt install {' '.join(missing)}), then try again")
    return None

"""Plain progress lines with a time stamp, for the CLI and the notebook alike."""
from __future__ import annotations

import sys
import time


def print_line(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    lines = message.split("\n")
    for line in lines:
        print(f"[{stamp}] {line}" if line else "", file=sys.stdout, flush=True)

"""One annotator per output folder: `<output>/.atlass/lock` names the process that has it open.

A second annotator (another window, another program) on the same folder would write a stale
manifest and find files moved under it, so it is refused and told who holds the folder. A lock
left by a process that is gone (a crash, kill -9) is stale and taken over; one from another
computer cannot be checked, so the message says how to release it by hand."""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from .errors import FolderError

LOCK_NAME = "lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:            # someone else's process: alive
        return True
    return True


class FolderLock:
    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def acquire(cls, output: Path, state_folder: str = ".atlass") -> "FolderLock":
        path = Path(output) / state_folder / LOCK_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        mine = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(2):
            try:
                handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = cls._holder(path)
                if holder is None or cls._stale(holder) or holder.get("pid") == os.getpid():
                    path.unlink(missing_ok=True)          # a crashed annotator's, or this process's own
                    continue
                raise FolderError(
                    f"{output} is open in another annotator (process {holder.get('pid')} on "
                    f"{holder.get('host')}, since {holder.get('since')}). Close that one first; if it is "
                    f"not running any more, delete {path} and open the folder again.") from None
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(mine, stream)
            return cls(path)
        raise FolderError(f"could not take {path}; try again")

    @staticmethod
    def _holder(path: Path) -> dict | None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    @staticmethod
    def _stale(holder: dict) -> bool:
        return holder.get("host") == socket.gethostname() and not _alive(int(holder.get("pid", 0)))

    def release(self) -> None:
        holder = self._holder(self.path)
        if holder is not None and holder.get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)

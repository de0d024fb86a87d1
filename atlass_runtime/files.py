"""Crash-safe file writing: write to a temporary file in the same folder, then rename over the
target, so a kill at any moment leaves either the old or the new file, never half of one."""
from __future__ import annotations

import csv
import functools
import io
import json
import os
import tempfile
from pathlib import Path


@functools.lru_cache(maxsize=1)
def default_file_mode() -> int:
    """The mode a new file gets from the user's umask (0644 with the usual 022); temporary files
    are made 0600, so written files are given this one before they take the final name. Read
    once (setting the umask to read it is not thread-safe)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, value) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def atomic_write_csv(path: str | Path, header: list[str], rows) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def read_json(path: str | Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))

"""Unpacking a project zip without trusting it: every entry is checked before anything is written.

Refused: absolute names (`/x`, `\\x`), drive letters (`C:`), `..` components, empty components,
`:` or NUL in a name, and links. A zip holding the project in one top folder (what `atlass
export` writes) or at its root are both accepted; the project's files land directly in `target`.
Files already there with the same size and CRC are not rewritten, and files that are not in the
zip (a run's output folder) are left alone, so unpacking again over an interrupted run is safe.
"""
from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from pathlib import Path

from .errors import ProjectError, UnsafeArchiveError

NOTEBOOK_NAME = "atlass.ipynb"
_DRIVE = re.compile(r"^[A-Za-z]:")


def entry_parts(info: zipfile.ZipInfo, archive_path) -> list[str]:
    """The path components of an entry, or UnsafeArchiveError saying why it is refused."""
    name = info.filename
    if "\x00" in name:
        raise UnsafeArchiveError(archive_path, name, "contains a NUL character")
    if name.startswith(("/", "\\")):
        raise UnsafeArchiveError(archive_path, name, "is an absolute path")
    if _DRIVE.match(name):
        raise UnsafeArchiveError(archive_path, name, "starts with a drive letter")
    parts = re.split(r"[\\/]", name.rstrip("/\\"))
    for part in parts:
        if part == "..":
            raise UnsafeArchiveError(archive_path, name, "climbs out of the folder with '..'")
        if part in ("", "."):
            raise UnsafeArchiveError(archive_path, name, "has an empty or '.' path component")
        if ":" in part:
            raise UnsafeArchiveError(archive_path, name, "contains ':' (a drive or an alternate data stream)")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(archive_path, name, "is a symbolic link")
    return parts


def _project_prefix(names: list[list[str]], archive_path) -> int:
    """How many leading components to strip: 0 (project at the root) or 1 (one top folder)."""
    if [NOTEBOOK_NAME] in names:
        return 0
    tops = {parts[0] for parts in names}
    if len(tops) == 1 and [next(iter(tops)), NOTEBOOK_NAME] in names:
        return 1
    raise ProjectError(f"{archive_path} is not an ATLASS project: it has no {NOTEBOOK_NAME} at its root "
                       "or in its one top folder. Give a zip made by `atlass export` or the wizard.")


def project_folder_name(zip_path: str | Path) -> str:
    """The name of the top folder of a project zip (or the zip's name when it has none)."""
    with zipfile.ZipFile(zip_path) as archive:
        names = [entry_parts(i, zip_path) for i in archive.infolist()]
    if _project_prefix(names, zip_path) == 1:
        return names[0][0]
    return Path(zip_path).name.removesuffix(".zip")


def _same_file(path: Path, info: zipfile.ZipInfo) -> bool:
    if not path.is_file() or path.stat().st_size != info.file_size:
        return False
    crc = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(2**20):
            crc = zlib.crc32(chunk, crc)
    return crc == info.CRC


def extract_project(zip_path: str | Path, target: str | Path) -> Path:
    """Unpack a project zip into `target` (created if needed); return `target`.

    Raises UnsafeArchiveError (nothing written) for an entry that would land outside `target`,
    and ProjectError for a zip that is not a project or a `target` holding something else.
    """
    zip_path, target = Path(zip_path), Path(target)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProjectError(f"{zip_path} cannot be opened as a zip ({exc})") from exc
    with archive:
        infos = archive.infolist()
        names = [entry_parts(info, zip_path) for info in infos]   # all checked before any write
        strip = _project_prefix(names, zip_path)
        if target.exists() and any(target.iterdir()) and not (target / NOTEBOOK_NAME).is_file():
            raise ProjectError(f"{target} is not empty and holds no ATLASS project; choose a new or empty "
                               "folder (or the folder of an earlier run of this project, to continue it)")
        target.mkdir(parents=True, exist_ok=True)
        root = target.resolve()
        for info, parts in zip(infos, names):
            inside = parts[strip:]
            if not inside:
                continue
            destination = root.joinpath(*inside)
            if destination.resolve() != root and root not in destination.resolve().parents:
                raise UnsafeArchiveError(zip_path, info.filename, f"would be written outside {target} "
                                         "(through a link already in that folder)")
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
            elif not _same_file(destination, info):
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, 2**20)
    return target

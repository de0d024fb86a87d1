"""Unpacking a project zip without trusting it: every entry is checked before anything is written.

Refused: absolute names (`/x`, `\\x`), drive letters (`C:`), `..` components, empty components,
`:` or NUL in a name, and links. What macOS Finder adds when it re-compresses a folder
(`__MACOSX/`, `._*`, `.DS_Store`) is ignored. A zip holding the project in one top folder (what
`atlass export` writes) or at its root are both accepted; the project's files land directly in
`target`.

Unpacking over an earlier copy of the project (a folder with its atlass.ipynb) makes the
project's own files and folders (PROJECT_FILES, PROJECT_FOLDERS) exactly the zip's: an image moved
to another category is not left in both. Everything else, the run's output folder first, is kept,
so an unchanged project resumes its run. Files already there with the same size and CRC are not
rewritten. A non-empty folder without atlass.ipynb is refused untouched.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from atlass_runtime.file_names import CONFIG, NOTEBOOK, PROJECT_FILES, PROJECT_FOLDERS

from .errors import ProjectError, UnsafeArchiveError

# What an unpacked project consists of (design section 3: PROJECT_FILES, PROJECT_FOLDERS) is
# replaced when unpacking again.
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
    if [NOTEBOOK] in names:
        return 0
    tops = {parts[0] for parts in names}
    if len(tops) == 1 and [next(iter(tops)), NOTEBOOK] in names:
        return 1
    raise ProjectError(f"{archive_path} is not an ATLASS project: it has no {NOTEBOOK} at its root "
                       "or in its one top folder. Give a zip made by `atlass export` or the wizard.")


def is_macos_extra(parts: list[str]) -> bool:
    """What Finder adds when it compresses a folder: resource forks and folder view settings."""
    return parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1] == ".DS_Store"


def project_entries(archive: zipfile.ZipFile, archive_path) -> list[tuple[zipfile.ZipInfo, list[str]]]:
    """(entry, path components) of every entry to extract; all are checked, Finder's extras left out."""
    checked = [(info, entry_parts(info, archive_path)) for info in archive.infolist()]
    return [(info, parts) for info, parts in checked if not is_macos_extra(parts)]


def open_zip(zip_path: str | Path) -> zipfile.ZipFile:
    """The zip, or ProjectError saying it does not exist or is damaged (cut short, not a zip)."""
    zip_path = Path(zip_path)
    if not zip_path.exists():
        raise ProjectError(f"{zip_path} does not exist")
    try:
        return zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ProjectError(f"{zip_path} is damaged or not a zip ({exc}): a download or copy that was cut "
                           "short? Get the zip again") from None


def read_member(zip_path: str | Path, name: str) -> bytes | None:
    """The bytes of the project's file `name` (e.g. config.json), wherever the project sits in
    the zip; None when it has none."""
    with open_zip(zip_path) as archive:
        entries = project_entries(archive, zip_path)
        strip = _project_prefix([parts for _, parts in entries], zip_path)
        for info, parts in entries:
            if parts[strip:] == [name]:
                try:
                    return archive.read(info)
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    raise ProjectError(f"{zip_path} is damaged: its {name} cannot be read ({exc}); "
                                       "get the zip again") from None
    return None


def project_folder_name(zip_path: str | Path) -> str:
    """The name of the top folder of a project zip (or the zip's name when it has none)."""
    with open_zip(zip_path) as archive:
        names = [parts for _, parts in project_entries(archive, zip_path)]
    if _project_prefix(names, zip_path) == 1:
        return names[0][0]
    return Path(zip_path).name.removesuffix(".zip")


def is_project_folder(folder: Path) -> bool:
    """Whether `folder` holds an unpacked project (its notebook, the first file unpacked)."""
    return (folder / NOTEBOOK).is_file()


def _same_file(path: Path, info: zipfile.ZipInfo) -> bool:
    if not path.is_file() or path.stat().st_size != info.file_size:
        return False
    crc = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(2**20):
            crc = zlib.crc32(chunk, crc)
    return crc == info.CRC


def _output_folders(*configs: str | bytes | None) -> set[str]:
    """The relative output_dir of each config.json text: never removed, even inside dataset/."""
    found = set()
    for text in configs:
        try:
            output = PurePosixPath(str(json.loads(text)["output_dir"]).replace("\\", "/"))
        except (TypeError, ValueError, KeyError):
            continue
        if not output.is_absolute() and ".." not in output.parts and output.parts:
            found.add(output.as_posix())
    return found


def _remove_stale(root: Path, files: set[str], folders: set[str], keep: set[str]) -> None:
    """Delete what the project's own files and folders hold beyond the zip's `files` and
    `folders` ('/'-separated, relative to `root`), except `keep` and what lies inside it."""
    def kept(relative: str) -> bool:
        return any(relative == k or relative.startswith(k + "/") or k.startswith(relative + "/") for k in keep)

    for name in PROJECT_FILES:
        path = root / name
        if name not in files and (path.is_file() or path.is_symlink()) and not kept(name):
            path.unlink()
    for top in PROJECT_FOLDERS:
        if not (root / top).is_dir() or (root / top).is_symlink():
            continue
        for current, dirnames, filenames in os.walk(root / top):     # links are not followed
            here = Path(current)
            relative = here.relative_to(root).as_posix()
            for name in filenames:
                if f"{relative}/{name}" not in files and not kept(f"{relative}/{name}"):
                    (here / name).unlink()
            for name in list(dirnames):
                inside = f"{relative}/{name}"
                if (inside not in folders or (here / name).is_symlink()) and not kept(inside):
                    dirnames.remove(name)
                    if (here / name).is_symlink():
                        (here / name).unlink()
                    else:
                        shutil.rmtree(here / name)


def extract_project(zip_path: str | Path, target: str | Path) -> Path:
    """Unpack a project zip into `target` (created if needed); return `target`.

    Over an earlier copy of the project, the project's files become exactly the zip's and the
    rest (the run's output) is kept. Raises UnsafeArchiveError (nothing written) for an entry
    that would land outside `target`, and ProjectError (nothing changed) for a zip that is not a
    project or a non-empty `target` that holds no project.
    """
    zip_path, target = Path(zip_path), Path(target)
    archive = open_zip(zip_path)
    with archive:
        entries = project_entries(archive, zip_path)   # all checked before any write
        strip = _project_prefix([parts for _, parts in entries], zip_path)
        entries = [(info, parts[strip:]) for info, parts in entries if parts[strip:]]
        if target.exists() and not target.is_dir():
            raise ProjectError(f"{target} is a file; give a folder to unpack the project into")
        earlier = target.exists() and any(target.iterdir())
        if earlier and not is_project_folder(target):
            raise ProjectError(f"{target} is not empty and holds no ATLASS project (no {NOTEBOOK}); "
                               "nothing in it was changed. Choose a new or empty folder (or the folder of an "
                               "earlier run of this project, to continue it)")
        root = target.resolve()
        for info, parts in entries:
            destination = root.joinpath(*parts).resolve()
            if destination != root and root not in destination.parents:
                raise UnsafeArchiveError(zip_path, info.filename, f"would be written outside {target} "
                                         "(through a link already in that folder)")
        target.mkdir(parents=True, exist_ok=True)
        if earlier:
            names = {"/".join(parts): info for info, parts in entries}
            config = names.get(CONFIG)
            old_config = (root / CONFIG).read_text(encoding="utf-8", errors="replace") \
                if (root / CONFIG).is_file() else None
            folders = {"/".join(parts[:i]) for _, parts in entries for i in range(1, len(parts))}
            _remove_stale(root, {n for n, i in names.items() if not i.is_dir()},
                          folders | {n for n, i in names.items() if i.is_dir()},
                          _output_folders(old_config, archive.read(config) if config else None))
        # The notebook first: a folder left by an interrupted unpacking is known as a project.
        entries.sort(key=lambda entry: entry[1] != [NOTEBOOK])
        for info, parts in entries:
            destination = root.joinpath(*parts)
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
            elif not _same_file(destination, info):
                _extract_member(archive, info, destination, zip_path, created=not earlier and root)
    return target


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path, zip_path,
                    created) -> None:
    """One file, written beside its place and renamed: a damaged member leaves nothing half-written
    (and a target folder this unpacking created is removed again if it stayed empty)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with archive.open(info) as source, open(partial, "wb") as out:
            shutil.copyfileobj(source, out, 2**20)
        os.replace(partial, destination)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        partial.unlink(missing_ok=True)
        if created and created.is_dir() and not any(created.rglob("*.*")):
            shutil.rmtree(created, ignore_errors=True)
        raise ProjectError(f"{zip_path} is damaged: its member {info.filename} cannot be read ({exc}). "
                           "Download or copy the zip again (or write it again with the wizard or "
                           "`atlass export`)") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

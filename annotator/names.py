"""Names the output dataset uses: category names are folder names, so they must be valid on
Windows, macOS and Linux alike; image file names must be unique in the whole dataset."""
from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from typing import Iterable

from atlass_runtime.dataset import EXCLUDED, IGNORED_NAMES, UNLABELLED_ALIASES

from .errors import CategoryNameError

FORBIDDEN_CHARACTERS = '<>:"/\\|?*'
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]])
MAX_NAME_LENGTH = 100          # characters; far below every file system's 255-byte limit


def category_name_problem(name: str, existing: Iterable[str] = (), replacing: str | None = None) -> str | None:
    """Why `name` cannot be a new category (or the new name of `replacing`), or None if it can."""
    name = unicodedata.normalize("NFC", name)
    if not name:
        return "a category needs a name"
    if name != name.strip():
        return "remove the spaces at the start or end of the name"
    for character in name:
        if character in FORBIDDEN_CHARACTERS:
            return f"the character {character} is not allowed in folder names (Windows forbids {FORBIDDEN_CHARACTERS})"
        if ord(character) < 32 or ord(character) == 127:
            return "control characters (tab, new line...) are not allowed in folder names"
    if name.endswith("."):
        return "a folder name cannot end with a dot on Windows"
    if name.startswith("."):
        return "a name starting with a dot makes a hidden folder, which is ignored"
    if name.split(".")[0].rstrip(" ").upper() in WINDOWS_RESERVED:
        return f"{name!r} is a device name reserved by Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)"
    if name.lower() in UNLABELLED_ALIASES:
        return f"{name!r} is reserved for the images that have no category"
    if name.lower() == EXCLUDED:
        return f"{name!r} is reserved for the images set aside (the Excluded / unsure bin)"
    if name.lower() in IGNORED_NAMES:
        return f"{name!r} is a file name the operating system uses"
    if len(name) > MAX_NAME_LENGTH or len(name.encode("utf-8")) > 255:
        return f"the name is too long (at most {MAX_NAME_LENGTH} characters)"
    replacing_key = replacing.casefold() if replacing is not None else None
    for other in existing:
        if other.casefold() == name.casefold() and other.casefold() != replacing_key:
            return f"a category named {other!r} already exists (names are compared ignoring letter case)"
    return None


def check_category_name(name: str, existing: Iterable[str] = (), replacing: str | None = None) -> str:
    """The name in NFC form when it is valid and new; else CategoryNameError saying why."""
    problem = category_name_problem(name, existing, replacing)
    if problem:
        raise CategoryNameError(f"category {name!r}: {problem}")
    return unicodedata.normalize("NFC", name)


def check_category_names(names: Iterable[str]) -> list[str]:
    """Check a list of new categories: each valid, no two alike."""
    checked: list[str] = []
    for name in names:
        checked.append(check_category_name(name, checked))
    return checked


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> list:
    """Sort key putting 'img2' before 'img10', ignoring case."""
    parts = _DIGITS.split(text)
    parts[1::2] = map(int, parts[1::2])
    parts[0::2] = [part.casefold() for part in parts[0::2]]
    return parts


def unique_file_names(relative_paths: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """One output file name per source file (POSIX relative paths), unique ignoring case.

    A file keeps its own name unless another file (or a `taken` name) has it too; then its
    folders are put in front ('plate1/a01.tif' -> 'plate1_a01.tif') and, if even that is taken,
    a number at the end ('a01 (2).tif'). The result depends only on the inputs and their order.
    """
    split = [path.rpartition("/") for path in relative_paths]       # (folders, '/', name)
    used = {name.casefold() for name in taken}
    counts: dict[str, int] = {}
    for _, _, name in split:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    names = []
    for folders, _, name in split:
        candidate = name
        if counts[name.casefold()] > 1 or name.casefold() in used:
            candidate = "_".join([*filter(None, folders.split("/")), name])
        if candidate.casefold() in used:
            stem, suffix = PurePosixPath(candidate).stem, PurePosixPath(candidate).suffix
            number = 2
            while candidate.casefold() in used:
                candidate = f"{stem} ({number}){suffix}"
                number += 1
        used.add(candidate.casefold())
        names.append(candidate)
    return names

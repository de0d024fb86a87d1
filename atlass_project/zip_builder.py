"""The project zip (design section 3): everything a notebook needs, in one file.

    <name>/atlass.ipynb  config.json  README.md  requirements.txt
    <name>/atlass_runtime/*.py
    <name>/dataset/<category>/...   <name>/dataset/unlabelled/...

`/` separators and explicit directory entries; images are stored as they are (JPEG/PNG/TIFF are
already compressed), so writing runs near disk speed. The zip is written to `<zip>.partial` and
renamed at the end: a cancel or a crash never leaves a half-written zip under the final name.
"""
from __future__ import annotations

import os
import re
import shutil
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

import atlass_runtime
from atlass_runtime import RunConfig, scan_dataset
from atlass_runtime.dataset import UNLABELLED, Dataset
from atlass_runtime.file_names import CONFIG, DATASET, NOTEBOOK, OUTPUT, README, REQUIREMENTS, RUNTIME
from atlass_runtime.files import atomic_write_text

from .errors import ExportCancelled, ProjectError
from .render import notebook_text, render_notebook, render_readme
from .requirements import pinned_requirements, requirements_text

STREAM_ABOVE = 64 * 2**20        # files larger than this are streamed instead of read at once
WRITE_BUFFER = 4 * 2**20
_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")

Progress = Callable[[int, int], None]


@dataclass
class Entry:
    """One member of the zip: a folder, a file copied from disk, or generated text."""
    name: str                     # full name inside the zip, '/' separated; folders end with '/'
    source: Path | None = None
    text: str | None = None
    size: int = 0


def project_name(zip_path: str | Path, name: str | None = None) -> str:
    """The project's folder name inside the zip: `name`, or the zip's file name without .zip,
    with characters that are not safe in a folder name replaced by '_'."""
    raw = name if name else Path(zip_path).name.removesuffix(".zip").removesuffix(".ZIP")
    cleaned = _UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", raw)).strip(" .")
    if not cleaned:
        raise ProjectError(f"{raw!r} cannot be used as a project name; give letters or digits")
    return cleaned


def project_config(config: RunConfig) -> RunConfig:
    """The config as the zip holds it: dataset at 'dataset', results in a folder inside the
    project (a relative output_dir is kept unless it leaves the project folder or lies in the
    dataset, where the run's files would be read as images)."""
    output = PurePosixPath(config.output_dir.replace("\\", "/"))
    if (output.is_absolute() or ".." in output.parts or re.match(r"^[A-Za-z]:", config.output_dir)
            or output.parts[:1] in ((DATASET,), ())):
        output = PurePosixPath(OUTPUT)
    return config.replace(dataset_dir=DATASET, output_dir=output.as_posix())


def _posix(path: Path, start: Path) -> str:
    return unicodedata.normalize("NFC", path.relative_to(start).as_posix())


def _exclusion(exclude) -> Callable[[Path], bool]:
    """Whether a scanned file is one of `exclude`, whichever way either path was written.

    A file is compared by its real folder and its own name: the image itself may be a link to
    anywhere, and must keep its name in the dataset.
    """
    folders: dict[str, str] = {}

    def key(path) -> tuple[str, str]:
        path = Path(os.path.abspath(path))
        parent = str(path.parent)
        if parent not in folders:
            folders[parent] = os.path.realpath(parent)
        return folders[parent], path.name

    keys = {key(p) for p in exclude}
    return lambda path: bool(keys) and key(path) in keys


def dataset_entries(dataset: Dataset, exclude=()) -> list[tuple[str, Path]]:
    """(name under dataset/, file) for every image of the dataset, minus `exclude`.

    Category folders keep their sub-folders; loose images at the dataset root (the original
    ATLASS's layout) go to unlabelled/.
    """
    is_excluded = _exclusion(exclude)
    root = dataset.root
    files: list[tuple[str, Path]] = []
    for path, label in dataset.labelled:
        if not is_excluded(path):
            inside = PurePosixPath(*path.relative_to(root).parts[1:]).as_posix()  # below the category folder
            files.append((f"{label}/{unicodedata.normalize('NFC', inside)}", path))
    taken = set()
    loose = []
    for path in dataset.unlabelled:
        if is_excluded(path):
            continue
        relative = path.relative_to(root)
        if len(relative.parts) == 1:
            loose.append(path)
            continue
        name = f"{UNLABELLED}/{unicodedata.normalize('NFC', PurePosixPath(*relative.parts[1:]).as_posix())}"
        taken.add(name.lower())
        files.append((name, path))
    for path in loose:
        name = f"{UNLABELLED}/{unicodedata.normalize('NFC', path.name)}"
        if name.lower() in taken:
            name = f"{UNLABELLED}/from_dataset_root/{unicodedata.normalize('NFC', path.name)}"
        taken.add(name.lower())
        files.append((name, path))
    return files


def runtime_files() -> list[tuple[str, Path]]:
    """The runtime package's .py files (no caches), as (name under atlass_runtime/, file)."""
    package = Path(atlass_runtime.__file__).resolve().parent
    return [(_posix(p, package), p) for p in sorted(package.rglob("*.py"))
            if "__pycache__" not in p.parts]


def plan_zip(dataset: Dataset, config: RunConfig, name: str, zip_name: str, exclude=()) -> list[Entry]:
    """Every entry of the zip, in order, with explicit folder entries."""
    config = project_config(config)
    notebook = notebook_text(render_notebook(config, name))
    readme = render_readme(config, name, zip_name, pinned_requirements(config.networks))
    files: list[Entry] = [
        Entry(f"{name}/{NOTEBOOK}", text=notebook),
        Entry(f"{name}/{CONFIG}", text=config.to_json()),
        Entry(f"{name}/{README}", text=readme),
        Entry(f"{name}/{REQUIREMENTS}", text=requirements_text(config.networks)),
    ]
    files += [Entry(f"{name}/{RUNTIME}/{rel}", source=p) for rel, p in runtime_files()]
    files += [Entry(f"{name}/{DATASET}/{rel}", source=p) for rel, p in dataset_entries(dataset, exclude)]
    folders = {f"{name}/", f"{name}/{RUNTIME}/", f"{name}/{DATASET}/",
               f"{name}/{DATASET}/{UNLABELLED}/"}
    folders.update(f"{name}/{DATASET}/{c}/" for c in dataset.classes)   # empty ones too
    for entry in files:
        parts = entry.name.split("/")[:-1]
        folders.update("/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1))
    entries = [Entry(folder) for folder in sorted(folders)] + files
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise ProjectError(f"two files would have the same name in the zip: {entry.name}")
        seen.add(entry.name)
        entry.size = entry.source.stat().st_size if entry.source else len((entry.text or "").encode("utf-8"))
    return entries


def _zip_info(entry: Entry, now: tuple) -> zipfile.ZipInfo:
    stamp = now
    if entry.source is not None:
        stamp = time.localtime(max(entry.source.stat().st_mtime, 315532800))[:6]  # zip dates start in 1980
    info = zipfile.ZipInfo(entry.name, date_time=stamp)
    if entry.name.endswith("/"):
        info.external_attr = (0o40755 << 16) | 0x10
    else:
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_STORED if entry.source and not entry.name.endswith(".py") \
            else zipfile.ZIP_DEFLATED
        info.file_size = entry.size
    return info


def refuse_zip_inside(dataset_dir: str | Path, zip_path: str | Path, error=ProjectError) -> None:
    """A zip inside the dataset folder would be read as data by the next inspection or run."""
    dataset, zip_path = Path(dataset_dir).resolve(), Path(zip_path)
    if dataset in zip_path.resolve().parents:
        message = (f"{zip_path} is inside the dataset folder {dataset_dir}, where the next run would read "
                   f"it as data; write it beside the dataset, e.g. {dataset.parent / (dataset.name + '.zip')}")
        raise error("output", message) if error is not ProjectError else error(message)


def build_zip(dataset_dir: str | Path, config: RunConfig, zip_path: str | Path, *,
              progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
              name: str | None = None, exclude=()) -> Path:
    """Write the project zip of `dataset_dir` for `config` to `zip_path`; return its path.

    progress(bytes_done, bytes_total) is called after each file; cancel() returning True stops
    the writing with ExportCancelled, leaving neither the zip nor a partial file (an older zip
    of the same name is kept). `exclude`: files to leave out (e.g. the unreadable ones that
    inspect_dataset found). `name`: the project folder inside the zip (default: the zip's name).
    """
    zip_path = Path(zip_path)
    refuse_zip_inside(dataset_dir, zip_path)
    # Paths stay as the scan found them (root/<category>/...), never resolved: an image that is
    # a link to elsewhere keeps its name in the dataset, and the zip stores the linked-to bytes.
    dataset = scan_dataset(dataset_dir)
    name = project_name(zip_path, name)
    entries = plan_zip(dataset, config, name, zip_path.name, exclude)
    total = sum(e.size for e in entries)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    partial = zip_path.with_name(zip_path.name + ".partial")
    now = time.localtime()[:6]
    done = 0
    try:
        with open(partial, "wb", buffering=WRITE_BUFFER) as stream:
            with zipfile.ZipFile(stream, "w", allowZip64=True) as archive:
                for entry in entries:
                    if cancel is not None and cancel():
                        raise ExportCancelled(f"writing {zip_path} was cancelled; nothing was left behind")
                    _write(archive, entry, _zip_info(entry, now))
                    done += entry.size
                    if progress is not None:
                        progress(done, total)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, zip_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    notebook = next(e for e in entries if e.name == f"{name}/{NOTEBOOK}")
    atomic_write_text(beside_notebook(zip_path), notebook.text)
    return zip_path


def beside_notebook(zip_path: str | Path) -> Path:
    """The copy of the notebook written next to the zip (`cells.zip` -> `cells.ipynb`): what a
    user opens in Colab, which then asks for the zip (one upload)."""
    zip_path = Path(zip_path)
    return zip_path.with_name(zip_path.name.removesuffix(".zip").removesuffix(".ZIP") + ".ipynb")


def _write(archive: zipfile.ZipFile, entry: Entry, info: zipfile.ZipInfo) -> None:
    if entry.name.endswith("/"):
        archive.writestr(info, b"")
    elif entry.text is not None:
        archive.writestr(info, entry.text.encode("utf-8"))
    elif entry.size <= STREAM_ABOVE:
        archive.writestr(info, entry.source.read_bytes())
    else:
        with open(entry.source, "rb") as source, archive.open(info, "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, 2**20)

"""Plain helpers for the annotator tests: generated image folders and folder fingerprints."""
from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import cv2
import numpy as np

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def write_image(path: Path, image: np.ndarray) -> Path:
    """Write with OpenCV (BGR order for colour) through bytes, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(path.suffix, image)
    assert ok, path
    path.write_bytes(data.tobytes())
    return path


def make_image_folder(root: Path, per_folder: int = 4) -> Path:
    """A source folder like a biologist's: sub-folders, 8- and 16-bit TIFF, PNG, JPEG, BMP,
    the same file name in two sub-folders, an unreadable file and a text file."""
    rng = np.random.default_rng(7)
    for i in range(per_folder):
        write_image(root / "plate1" / f"cell_{i}.tif", rng.integers(150, 1700, (24, 24), dtype=np.uint16))
        write_image(root / "plate2" / f"cell_{i}.png", rng.integers(0, 60, (20, 20), dtype=np.uint8))
        write_image(root / "plate2" / "colour" / f"rgb_{i}.jpg", rng.integers(0, 255, (30, 30, 3), dtype=np.uint8))
    write_image(root / "plate1" / "same.bmp", rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
    write_image(root / "plate2" / "same.bmp", rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
    (root / "plate2" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a picture")
    (root / "notes.txt").write_text("not an image")
    return root


def make_flat_folder(root: Path, count: int, size: int = 16) -> Path:
    """`count` small 8-bit PNGs named img_000.png..., each a different grey level."""
    for i in range(count):
        write_image(root / f"img_{i:03d}.png", np.full((size, size), (i * 37) % 256, np.uint8))
    return root


def fingerprint(folder: Path) -> dict[str, tuple]:
    """Every file and folder under `folder`: relative path -> (size, mtime, content hash)."""
    result = {}
    for current, dirs, files in os.walk(folder):
        for name in dirs:
            result[os.path.relpath(os.path.join(current, name), folder) + "/"] = ()
        for name in files:
            path = os.path.join(current, name)
            stat = os.stat(path)
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            result[os.path.relpath(path, folder)] = (stat.st_size, stat.st_mtime_ns, digest)
    return result


def layout(output: Path) -> dict[str, set[str]]:
    """Folder -> file names of an output dataset (hidden entries left out)."""
    result = {}
    for entry in sorted(output.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            result[entry.name] = {f.name for f in entry.iterdir() if not f.name.startswith(".")}
    return result


RUN_CLASSES = ["G1", "S"]


def write_run(folder: Path, pseudo: list[tuple[str, str, float]], uncertain=(), classes=RUN_CLASSES,
              sizes: dict | None = None, spreading: dict | None = None) -> Path:
    """A run's output folder as the runtime writes it: results.json, pseudo_labels.csv, one
    round of votes (the pseudo-labelled images and the uncertain ones; `spreading`: file name ->
    label spreading's category)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps({"classes": classes, "created": "2026-12-02T10:00:00",
                                                     "rounds": [{"round": 1}]}))
    with open(folder / "pseudo_labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "label", "confidence", "round"])
        writer.writerows([(f"unlabelled/{name}", label, confidence, 1) for name, label, confidence in pseudo])
    (folder / "rounds").mkdir(exist_ok=True)
    with open(folder / "rounds" / "round-1_votes.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "label", "confidence", "runner_up", "runner_up_confidence", "margin",
                         "agreement", "accepted", "label_before", "bytes", "label_spreading"])
        for name, label, confidence in pseudo:
            writer.writerow([f"unlabelled/{name}", label, confidence, "S" if label == "G1" else "G1",
                             1 - confidence, 2 * confidence - 1, 1.0, True, "", (sizes or {}).get(name, ""),
                             (spreading or {}).get(name, "")])
        for name, label, margin in uncertain:
            writer.writerow([f"unlabelled/{name}", label, 0.5 + margin / 2, "x", 0.5 - margin / 2, margin,
                             0.5, False, "", "", (spreading or {}).get(name, "")])
    return folder

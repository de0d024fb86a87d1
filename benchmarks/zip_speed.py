"""How fast is writing the project zip, compared with copying the same files with `cp -r`?

    .venv/bin/python benchmarks/zip_speed.py [--images 5000] [--size 256] [--repeat 3]

Generates an organised dataset of JPEG microscopy-like crops (5 categories + unlabelled), reads
it once so both methods start from a warm page cache, then alternates `cp -r` of the dataset
folder and `wizard.build_zip` (which also renders the notebook, writes the runtime copy and
fsyncs the zip) and reports the median times and their ratio (the goal: at most 1.5x the copy).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def make_dataset(root: Path, images: int, size: int, seed: int = 0) -> int:
    """Write `images` JPEGs (80% labelled in 5 categories, 20% unlabelled); return total bytes."""
    rng = np.random.default_rng(seed)
    classes = [f"class_{i}" for i in range(5)]
    total = 0
    yy, xx = np.mgrid[0:size, 0:size]
    for index in range(images):
        folder = root / (classes[index % 5] if index < images * 0.8 else "unlabelled")
        folder.mkdir(parents=True, exist_ok=True)
        cx, cy, r = rng.uniform(0.3, 0.7) * size, rng.uniform(0.3, 0.7) * size, rng.uniform(0.15, 0.3) * size
        blob = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))
        image = np.stack([blob * rng.uniform(80, 250) for _ in range(3)], axis=2) + rng.normal(20, 8, (size, size, 3))
        ok, data = cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 92])
        assert ok
        (folder / f"img_{index:05d}.jpg").write_bytes(data.tobytes())
        total += len(data)
    return total


def warm(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            path.read_bytes()


def time_copy(source: Path, target: Path) -> float:
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
    return time.perf_counter() - started


def time_zip(source: Path, zip_path: Path) -> float:
    from atlass_runtime import RunConfig
    from atlass_project import build_zip

    zip_path.unlink(missing_ok=True)
    config = RunConfig(process="IMDD")
    started = time.perf_counter()
    build_zip(source, config, zip_path)
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--size", type=int, default=256, help="image side in pixels (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", help="where to write (default: a temporary folder, removed after)")
    args = parser.parse_args(argv)

    work = Path(args.workdir or tempfile.mkdtemp(prefix="atlass-zip-bench-"))
    try:
        dataset = work / "dataset"
        shutil.rmtree(dataset, ignore_errors=True)
        started = time.perf_counter()
        total = make_dataset(dataset, args.images, args.size)
        print(f"dataset: {args.images} JPEGs, {total / 2**20:.1f} MB, made in {time.perf_counter() - started:.1f} s",
              flush=True)
        warm(dataset)
        copies, zips = [], []
        for run in range(args.repeat):
            copies.append(time_copy(dataset, work / "copy"))
            zips.append(time_zip(dataset, work / "project.zip"))
            print(f"run {run + 1}: cp -r {copies[-1]:.2f} s, zip {zips[-1]:.2f} s", flush=True)
        zip_size = (work / "project.zip").stat().st_size
        summary = {"images": args.images, "dataset_mb": round(total / 2**20, 1),
                   "zip_mb": round(zip_size / 2**20, 1),
                   "cp_r_s": round(statistics.median(copies), 3), "zip_s": round(statistics.median(zips), 3)}
        summary["ratio_zip_over_cp"] = round(summary["zip_s"] / summary["cp_r_s"], 2)
        print(json.dumps(summary, indent=2))
        return 0 if summary["ratio_zip_over_cp"] <= 1.5 else 1
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""A small, deterministic, realistic-looking sample dataset of our own: fluorescence-like
microscopy crops of single cells in three shapes (round, elongated, dividing).

    python -m atlass_cli.sample_cells OUTPUT_FOLDER [--labelled 30 --unlabelled 90]

writes the organised layout (one folder per category + unlabelled/), the input `make demo` uses.
The true class of each unlabelled image is in `unlabelled_truth.csv` beside the dataset, so a
demo can show how good the pseudo-labels were.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

CLASSES = ("round", "elongated", "dividing")


def _cell_mask(shape: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(cytoplasm, nucleus) float masks in [0, 1] for one cell of the given shape."""
    canvas = np.zeros((size, size), np.float32)
    nucleus = np.zeros((size, size), np.float32)
    centre = np.array([size / 2, size / 2]) + rng.normal(0, size * 0.05, 2)
    radius = size * rng.uniform(0.17, 0.23)
    angle = float(rng.uniform(0, 180))

    def ellipse(target, centre_xy, axes, value=1.0):
        cv2.ellipse(target, (int(centre_xy[0]), int(centre_xy[1])), (int(axes[0]), int(axes[1])),
                    angle, 0, 360, value, -1, lineType=cv2.LINE_AA)

    if shape == "round":
        axes = (radius * rng.uniform(0.95, 1.1), radius * rng.uniform(0.9, 1.05))
        ellipse(canvas, centre, axes)
        ellipse(nucleus, centre + rng.normal(0, 1.5, 2), (axes[0] * 0.5, axes[1] * 0.45))
    elif shape == "elongated":
        axes = (radius * rng.uniform(1.6, 2.1), radius * rng.uniform(0.55, 0.7))
        ellipse(canvas, centre, axes)
        ellipse(nucleus, centre, (axes[0] * 0.35, axes[1] * 0.6))
    else:  # dividing: two daughter cells with a constriction, two nuclei
        offset = radius * rng.uniform(0.75, 0.95)
        direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        for sign in (-1, 1):
            daughter = centre + sign * offset * direction
            axes = (radius * rng.uniform(0.75, 0.85), radius * rng.uniform(0.7, 0.8))
            ellipse(canvas, daughter, axes)
            ellipse(nucleus, daughter, (axes[0] * 0.45, axes[1] * 0.45))
    return canvas, nucleus


def make_cell_image(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One 8-bit RGB crop: green cytoplasm, blue nucleus, uneven background, shot noise, blur."""
    cytoplasm, nucleus = _cell_mask(shape, size, rng)
    texture = cv2.GaussianBlur(rng.normal(1.0, 0.25, (size, size)).astype(np.float32), (0, 0), 2)
    yy, xx = np.mgrid[0:size, 0:size] / size
    background = 12 + 10 * (rng.uniform(-1, 1) * xx + rng.uniform(-1, 1) * yy)
    brightness = rng.uniform(0.6, 1.0)
    green = background + 150 * brightness * cytoplasm * texture + 40 * nucleus
    blue = background * 0.8 + 190 * brightness * nucleus * texture
    red = background * 0.6 + 25 * cytoplasm
    image = np.stack([red, green, blue], axis=2)
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.8, 1.6))
    image = rng.poisson(np.clip(image, 0, None)).astype(np.float32) + rng.normal(0, 3, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def write_sample(output: str | Path, labelled_per_class: int = 30, unlabelled: int = 90,
                 size: int = 64, seed: int = 7) -> Path:
    """Write the organised sample dataset into `output`/ and return that folder."""
    output = Path(output)
    rng = np.random.default_rng(seed)
    truth = []
    for name in CLASSES:
        (output / name).mkdir(parents=True, exist_ok=True)
        for i in range(labelled_per_class):
            _save(output / name / f"{name}_{i:03d}.png", make_cell_image(name, size, rng))
    (output / "unlabelled").mkdir(parents=True, exist_ok=True)
    for i in range(unlabelled):
        name = CLASSES[i % len(CLASSES)]
        file = f"cell_{i:04d}.png"
        _save(output / "unlabelled" / file, make_cell_image(name, size, rng))
        truth.append((f"unlabelled/{file}", name))
    with open(output.parent / f"{output.name}_unlabelled_truth.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("file", "true_label"), *truth])
    return output


def _save(path: Path, rgb: np.ndarray) -> None:
    ok, data = cv2.imencode(".png", rgb[:, :, ::-1])
    if not ok:
        raise OSError(f"could not encode {path}")
    path.write_bytes(data.tobytes())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output")
    parser.add_argument("--labelled", type=int, default=30, help="labelled images per category")
    parser.add_argument("--unlabelled", type=int, default=90)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    folder = write_sample(args.output, args.labelled, args.unlabelled, args.size, args.seed)
    print(f"Sample dataset written to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

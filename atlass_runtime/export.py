"""Writing the chosen model in forms other programs can use, and reading it back.

A model folder holds:
  model.pkl   fastai `Learner.export()`: `load_learner("model.pkl").predict("cell.tif")` works
  model.onnx  framework-free: input float32 RGB (N, 3, S, S) scaled to [0, 1], output class
              probabilities (N, classes); normalisation is inside the graph
  model.json  classes, image size and how to preprocess an image (for any tool)
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import torch

from .errors import AtlassError
from .file_names import MODEL, MODEL_META, MODEL_ONNX, MODEL_PICKLE, README
from .networks import IMAGENET_MEAN, IMAGENET_STD

PREPROCESSING = (
    "Read the image (first page of multi-page files), keep RGB (grey is repeated, alpha dropped); "
    "images deeper than 8 bits are auto-contrasted per image (0.1th-99.9th percentile to 0-255, "
    "clipped, rounded to uint8); resize to image_size x image_size with OpenCV (cv2.resize), "
    "aspect ratio not kept: interpolation INTER_AREA when the image has more pixels than "
    "image_size x image_size, INTER_LINEAR otherwise; divide by 255 (model.onnx then subtracts "
    "`mean` and divides by `std` itself; model.pkl does all of this from a file path)."
)
RESIZE = {"library": "opencv", "function": "cv2.resize", "keep_aspect_ratio": False,
          "interpolation_when_shrinking": "INTER_AREA", "interpolation_otherwise": "INTER_LINEAR"}
LOADING = ("model.pkl is a fastai Learner pickle: it loads where fastai and the atlass_runtime "
           "package are importable (the project zip holds atlass_runtime: run from the project "
           "folder, or add it to sys.path). model.onnx needs only an ONNX runtime.")


class NormalisedSoftmax(torch.nn.Module):
    """network(normalise(x)) -> probabilities; what model.onnx contains."""

    def __init__(self, module: torch.nn.Module, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        self.module = module
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x):
        return torch.softmax(self.module((x - self.mean) / self.std), dim=1)


def export_model(learn, network: str, classes: list[str], size: int, folder: Path,
                 mean=IMAGENET_MEAN, std=IMAGENET_STD) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    learn.path = folder
    learn.export(MODEL_PICKLE)
    onnx_path = folder / MODEL_ONNX
    _export_onnx(learn.model, size, onnx_path, mean, std)
    meta = {
        "network": network,
        "classes": list(classes),
        "image_size": size,
        "input": "float32 RGB, shape (N, 3, image_size, image_size), values in [0, 1]",
        "output": "class probabilities, shape (N, len(classes))",
        "mean": list(mean),
        "std": list(std),
        "preprocessing": PREPROCESSING,
        "resize": RESIZE,
        "loading": LOADING,
    }
    meta_path = folder / MODEL_META
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    readme = folder / README
    readme.write_text(MODEL_README.format(network=network, classes=", ".join(classes), size=size,
                                          mean=list(mean), std=list(std), preprocessing=PREPROCESSING,
                                          loading=LOADING), encoding="utf-8")
    return [folder / MODEL_PICKLE, onnx_path, meta_path, readme]


MODEL_README = """# The exported model ({network})

Categories, in the order of the outputs: {classes}. Input: {size} x {size} pixels.

- `model.pkl`: `from fastai.learner import load_learner; load_learner("model.pkl").predict("cell.tif")`.
  {loading}
- `model.onnx`: input `image`, float32 RGB (N, 3, {size}, {size}) in [0, 1]; output
  `probabilities` (N, categories). Normalisation (mean {mean}, std {std}) is inside the graph.
- `model.json`: the same facts for programs.

Preparing an image exactly as training did: {preprocessing}
"""


def _export_onnx(module: torch.nn.Module, size: int, path: Path, mean, std) -> None:
    wrapped = NormalisedSoftmax(module.float().cpu(), mean, std).eval()
    example = torch.rand(1, 3, size, size)
    partial = path.with_name(path.name + ".partial")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter announces its deprecation
        torch.onnx.export(wrapped, (example,), str(partial), dynamo=False,
                          input_names=["image"], output_names=["probabilities"],
                          dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}},
                          opset_version=17)
    os.replace(partial, path)


def find_model_files(model: str | Path) -> tuple[Path, dict]:
    """(model.pkl path, model.json contents) for a model folder, or any file in it (model.pkl,
    model.json, model.onnx), or a run's output folder (its model/ folder)."""
    model = Path(model)
    if not model.exists():
        raise AtlassError(f"{model} does not exist; give the 'model' folder a run wrote")
    folder = model if model.is_dir() else model.parent
    if model.is_dir() and not (folder / MODEL_META).is_file() and (folder / MODEL / MODEL_META).is_file():
        folder = folder / MODEL                         # a run's output folder
    pkl = model if model.is_file() and model.suffix == ".pkl" else folder / MODEL_PICKLE
    meta_path = folder / MODEL_META
    if not pkl.is_file() or not meta_path.is_file():
        raise AtlassError(f"{model} is not an exported ATLASS model; give the 'model' folder a run "
                          "wrote (it holds model.pkl and model.json)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AtlassError(f"{meta_path} is damaged ({exc}); export the model again") from None
    return pkl, meta


def load_model(model: str | Path):
    """(torch module, metadata) of an exported model, ready for predict_probabilities."""
    from fastai.learner import load_learner

    pkl, meta = find_model_files(model)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # load_learner warns that pickles must be trusted
            learn = load_learner(pkl, cpu=True)
    except ModuleNotFoundError as exc:
        raise AtlassError(f"{pkl} needs the Python package {exc.name!r} to load. {LOADING}") from None
    except Exception as exc:   # a damaged or foreign pickle: say which file, not a traceback
        raise AtlassError(f"{pkl} cannot be loaded as a fastai model ({type(exc).__name__}: {exc}); "
                          "export the model again") from None
    return learn.model.eval(), meta

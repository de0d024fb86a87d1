"""ATLASS's workflow against the plain fastai pipeline, same machine, same data, one run.

    python benchmarks/speed.py                 # small CPU configuration (minutes)
    python benchmarks/speed.py --gpu           # the issue's GPU configuration

Training (ND: each network, two stages 2+8 epochs, LR finder):
  plain: ImageDataLoaders.from_folder + vision_learner (+ to_fp16 on a GPU), decoding files every epoch
  ours:  decode once (ImageStore) + FastaiTrainer (in-memory batches on the device, GPU
         augmentation, bf16/fp16 + channels_last on a GPU)
Pseudo-labelling (every image x every transform x every model):
  plain: learn.predict once per image per transform per model (what the original ATLASS did),
         timed on a sample and extrapolated to the whole pool (it is that slow)
  ours:  pair_probabilities: each transformed copy made once, large batches on the device
Prints a table of seconds and ratios, test accuracies, and the agreement of the two paths.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from atlass_cli.sample_cells import CLASSES, _save, make_cell_image  # noqa: E402
from atlass_runtime import RunConfig  # noqa: E402
from atlass_runtime.fastai_trainer import STAGE1_LR, FastaiTrainer, architecture, choose_lr, lowest_loss  # noqa: E402
from atlass_runtime.image_store import ImageStore  # noqa: E402
from atlass_runtime.pseudo_labelling import pair_probabilities  # noqa: E402
from atlass_runtime.trainer import LabelledArrays  # noqa: E402
from atlass_runtime.transforms import transform_pipeline  # noqa: E402

CPU_DEFAULTS = dict(networks="ResNet18", images=240, size=64, epochs="1,2", unlabelled=120,
                    transforms="H Flip,Gamma", predict_sample=40, batch_size=32)
GPU_DEFAULTS = dict(networks="ResNet34,ResNet50,ResNet101,DenseNet121", images=1000, size=224,
                    epochs="2,8", unlabelled=10000, transforms="H Flip,V Flip,H+V Flip,Blurring,Gamma",
                    predict_sample=50, batch_size=64)


def _write_images(jobs: list[tuple[str, str, int, int]]) -> None:
    """Worker: (path, class name, size, seed) -> one PNG; seeded per image, so any split of the
    jobs between processes gives the same files."""
    for path, name, size, seed in jobs:
        _save(Path(path), make_cell_image(name, size, np.random.default_rng(seed)))


def make_dataset(root: Path, images: int, unlabelled: int, size: int, seed: int = 0) -> dict:
    """Synthetic cells in from_folder layout: 75% train, 12.5% valid, 12.5% test, + unlabelled/.
    Written by every CPU core (11,000 images at 224 px take minutes on one)."""
    parts = {"train": 0.75, "valid": 0.125, "test": 0.125}
    files = {p: [] for p in (*parts, "unlabelled")}
    jobs = []
    per_class = images // len(CLASSES)
    for c, name in enumerate(CLASSES):
        counts = {p: int(round(per_class * f)) for p, f in parts.items()}
        counts["train"] = per_class - counts["valid"] - counts["test"]
        for part, n in counts.items():
            for i in range(n):
                path = root / part / name / f"{name}_{i:05d}.png"
                jobs.append((str(path), name, size, seed * 10_000_000 + len(jobs)))
                files[part].append((path, c))
    for i in range(unlabelled):
        path = root / "unlabelled" / f"u_{i:06d}.png"
        jobs.append((str(path), CLASSES[i % 3], size, seed * 10_000_000 + len(jobs)))
        files["unlabelled"].append((path, i % 3))
    for folder in {Path(path).parent for path, *_ in jobs}:
        folder.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(16, os.cpu_count() or 1))
    chunks = [jobs[k::workers] for k in range(workers)]
    if workers == 1:
        _write_images(jobs)
    else:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_images, chunks))
    return files


def warm_up(device: str) -> None:
    """CUDA context and cuDNN start-up, paid here rather than by whichever pipeline runs first."""
    if device != "cuda":
        return
    import torch
    import torchvision
    model = torchvision.models.resnet18(num_classes=3).cuda()
    x = torch.randn(8, 3, 64, 64, device="cuda")
    for dtype in (torch.float16, torch.bfloat16):
        with torch.autocast("cuda", dtype=dtype):
            model(x).float().sum().backward()
    torch.cuda.synchronize()


def sync(device: str) -> None:
    if device == "cuda":
        import torch
        torch.cuda.synchronize()


def plain_fastai(root: Path, files: dict, network: str, cfg: RunConfig, device: str, workers: int):
    """The usual fastai way: files decoded every epoch by DataLoader workers."""
    from fastai.metrics import accuracy
    from fastai.vision.augment import Resize, aug_transforms
    from fastai.vision.core import imagenet_stats
    from fastai.data.transforms import Normalize
    from fastai.vision.data import ImageDataLoaders
    from fastai.vision.learner import vision_learner

    started = time.perf_counter()
    dls = ImageDataLoaders.from_folder(root, train="train", valid="valid", item_tfms=Resize(cfg.image_size),
                                       # normalised like ours (vision_learner adds it only when pretrained)
                                       batch_tfms=[*aug_transforms(), Normalize.from_stats(*imagenet_stats)], bs=cfg.batch_size, num_workers=workers,
                                       seed=cfg.seed, device=device)
    learn = vision_learner(dls, architecture(network), pretrained=False, metrics=accuracy)
    learn.path = Path(tempfile.mkdtemp())
    if device == "cuda":
        learn.to_fp16()
    with learn.no_bar(), learn.no_logging():
        learn.freeze()
        learn.fit_one_cycle(cfg.epochs_frozen, STAGE1_LR)
        learn.unfreeze()
        lr = choose_lr(float(learn.lr_find(show_plot=False, suggest_funcs=(lowest_loss,))[0]))
        learn.fit_one_cycle(cfg.epochs_unfrozen, slice(lr / 100, lr))
    sync(device)
    seconds = time.perf_counter() - started
    test_paths = [p for p, _ in files["test"]]
    with learn.no_bar():
        probs, _ = learn.get_preds(dl=dls.test_dl(test_paths))
    vocab = list(dls.vocab)
    predicted = [CLASSES.index(vocab[i]) for i in probs.argmax(1).tolist()]
    accuracy_ = float(np.mean([p == c for p, (_, c) in zip(predicted, files["test"])]))
    return learn, seconds, accuracy_


def ours(store: ImageStore, files: dict, network: str, cfg: RunConfig, device: str, channels_last: bool):
    trainer = FastaiTrainer(list(CLASSES), cfg, device=device, progress="none")
    trainer.channels_last = channels_last and trainer.cuda

    def arrays(part):
        return LabelledArrays(store.take([p for p, _ in files[part]]),
                              np.array([c for _, c in files[part]], dtype=np.int64))

    train, valid, test = arrays("train"), arrays("valid"), arrays("test")
    started = time.perf_counter()
    model = trainer.train(network, train, valid)
    sync(device)
    seconds = time.perf_counter() - started
    accuracy_ = float((trainer.predict(model, test.images).argmax(1) == test.labels).mean())
    return trainer, model, seconds, accuracy_


def plain_predict_seconds(models: list, size: int, views, paths: list[Path]) -> tuple[float, np.ndarray]:
    """learn.predict per image per transform per model, on `paths` (the same trained networks as
    the batched path, wrapped in fastai's usual file pipeline); returns seconds and labels."""
    from fastai.learner import Learner
    from fastai.losses import CrossEntropyLossFlat

    from atlass_runtime.fastai_files import file_dataloaders
    from atlass_runtime.imageio import read_image

    learners = [Learner(file_dataloaders(list(CLASSES), size), m.module, loss_func=CrossEntropyLossFlat())
                for m in models]
    labels = []
    started = time.perf_counter()
    for path in paths:
        image = read_image(path)
        for _, fn in views:
            view = np.ascontiguousarray(fn(image))
            for learn in learners:
                with learn.no_bar():
                    label, _, _ = learn.predict(view)
                labels.append(label)
    return time.perf_counter() - started, np.array(labels)


TABLE_HEAD = ("| step | plain fastai (s) | ATLASS (s) | speed-up | test acc plain | test acc ATLASS |\n"
              "|---|---:|---:|---:|---:|---:|")


def table_row(row) -> str:
    name, plain_s, ours_s, plain_acc, ours_acc = row
    ratio = f"{plain_s / ours_s:.1f}x" if plain_s and ours_s else "-"
    fmt = lambda v: f"{v:.3f}" if v is not None else "-"  # noqa: E731
    return f"| {name} | {plain_s:.1f} | {ours_s:.1f} | {ratio} | {fmt(plain_acc)} | {fmt(ours_acc)} |"


def print_row(row) -> None:
    """Each row as soon as it is measured: a run cut short by a time limit still reports."""
    print("  " + table_row(row), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gpu", action="store_true", help="use the GPU configuration of the issue")
    for key, value in CPU_DEFAULTS.items():
        parser.add_argument("--" + key.replace("_", "-"), default=None, help=f"CPU default {value}; GPU default {GPU_DEFAULTS[key]}")
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1),
                        help="DataLoader workers of the plain pipeline (default: up to 8)")
    parser.add_argument("--channels-last", choices=("on", "off"), default="on")
    parser.add_argument("--work", help="folder for the generated images (default: a temporary one)")
    args = parser.parse_args(argv)
    base = GPU_DEFAULTS if args.gpu else CPU_DEFAULTS
    opt = {k: (getattr(args, k) if getattr(args, k) is not None else v) for k, v in base.items()}
    import torch
    device = "cuda" if torch.cuda.is_available() else "cpu"
    networks = [n.strip() for n in opt["networks"].split(",")]
    e1, e2 = (int(x) for x in opt["epochs"].split(","))
    cfg = RunConfig(process="ND", networks=networks, image_size=int(opt["size"]), epochs_frozen=e1,
                    epochs_unfrozen=e2, batch_size=int(opt["batch_size"]), pretrained=False)
    root = Path(args.work or tempfile.mkdtemp(prefix="atlass-speed-"))
    t0 = time.perf_counter()   # images first: worker processes are forked before CUDA starts
    files = make_dataset(root, int(opt["images"]), int(opt["unlabelled"]), int(opt["size"]))
    print(f"generated {sum(len(v) for v in files.values())} images in {time.perf_counter() - t0:.1f} s under {root}")
    print(f"device: {torch.cuda.get_device_name(0) if device == 'cuda' else 'CPU'}; torch {torch.__version__}")
    warm_up(device)

    rows = []
    started = time.perf_counter()
    labelled = [p for part in ("train", "valid", "test") for p, _ in files[part]]
    store = ImageStore(labelled, cfg.image_size)
    decode_labelled = time.perf_counter() - started
    rows.append(("decode labelled images once (ours only)", 0.0, decode_labelled, None, None))
    print_row(rows[-1])
    models, trainer = [], None
    for network in networks:
        _, plain_s, plain_acc = plain_fastai(root, files, network, cfg, device, args.workers)
        trainer, model, ours_s, ours_acc = ours(store, files, network, cfg, device, args.channels_last == "on")
        models.append(model)
        rows.append((f"train {network} ({e1}+{e2} epochs + LR finder)", plain_s, ours_s, plain_acc, ours_acc))
        print_row(rows[-1])
    plain_total = sum(r[1] for r in rows)
    ours_total = sum(r[2] for r in rows)
    rows.append(("ND training, all networks", plain_total, ours_total, None, None))
    print_row(rows[-1])

    views = transform_pipeline([t.strip() for t in opt["transforms"].split(",")])
    pool = [p for p, _ in files["unlabelled"]]
    started = time.perf_counter()
    pool_store = ImageStore(pool, cfg.image_size)
    probabilities = pair_probabilities(trainer, models, views, pool_store.pixels)
    sync(device)
    ours_tta = time.perf_counter() - started
    sample = pool[: int(opt["predict_sample"])]
    sample_s, plain_labels = plain_predict_seconds(models, cfg.image_size, views, sample)
    plain_tta = sample_s * len(pool) / len(sample)
    # agreement of the two paths on the sample (same models, same views)
    ours_labels = np.array([CLASSES[i] for i in probabilities[:, : len(sample)].argmax(2).T.reshape(-1)])
    agreement = float((ours_labels == plain_labels.astype(str)).mean())
    pairs = len(views) * len(models)
    rows.append((f"pseudo-label {len(pool)} images x {len(views)} views x {len(models)} models "
                 f"(plain extrapolated from {len(sample)})", plain_tta, ours_tta, None, None))
    print_row(rows[-1])

    print()
    print(TABLE_HEAD)
    for row in rows:
        print(table_row(row))
    print(f"\nSame labels from both pseudo-labelling paths on {len(sample)} images x {pairs} pairs: {agreement:.1%}")
    print(f"config: {cfg.image_size} px, batch {cfg.batch_size}, epochs {e1}+{e2}, {len(files['train'])} train / "
          f"{len(files['valid'])} valid / {len(files['test'])} test, plain workers {args.workers}, "
          f"channels_last {args.channels_last}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Does fine-tuning beat the linear probe? Transfer learning from ImageNet weights on small data.

For every dataset, k (labelled images per class) and seed, the k images per class are split as a
run splits them into training images (85%) and validation images (15%, at least one per class),
and every method learns from the same training images:
  probe       scikit-learn LogisticRegression (C=1) on the frozen pooled features: the floor
              that any fine-tuning must beat;
  RECIPE[:RULE]  one network trained by FastaiTrainer with that recipe (and LR rule), e.g.
              `paper` (the paper's recipe), `lp-ft` (the default), `lp-ft:steep`, `quick`; it
              sees the validation images as a run does (lp-ft keeps its fine-tuning only on a
              clear gain there);
and each model is scored on the dataset's fixed held-out test set. One CSV row per (dataset, k,
seed, method), appended as it finishes (a killed benchmark continues), and a Markdown table.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/transfer.py ../shared/data/medmnist/breastmnist.npz \\
        ../shared/data/jurkat-cellcycle-16bit-tiff ../shared/data/jurkat-cellcycle-brightfield \\
        ../shared/data/pbc-blood-cells-subset --k 25,50 --seeds 0,1,2 --methods probe,paper,lp-ft
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # ssl_bench, when run as a script

import numpy as np  # noqa: E402

from ssl_bench.sampling import draw_sample  # noqa: E402
from ssl_bench.sources import load_source  # noqa: E402
from ssl_bench.stats import mean_std  # noqa: E402

COLUMNS = ["dataset", "k", "seed", "method", "network", "image_size", "train_images", "valid_images",
           "test_images", "accuracy", "macro_f1", "seconds", "lr", "steps", "kept", "settings"]
VALID_FRACTION = 0.15


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--k", default="25,50", help="labelled images per class (25,50)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--methods", default="probe,paper,lp-ft",
                        help="probe and/or RECIPE[:LR_RULE] (recipes: lp-ft, quick, paper)")
    parser.add_argument("--network", default="EfficientNet-Lite0")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--name", default="transfer", help="CSV and table file names (NAME.csv, NAME.md)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/atlass-transfer"))
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--note", action="append", default=[], help="a paragraph added under the command")
    args = parser.parse_args(argv)
    args.k = [int(v) for v in args.k.split(",")]
    args.seeds = [int(v) for v in args.seeds.split(",")]
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    return args


# ---------------------------------------------------------------------- one draw
class Draw:
    """k labelled images per class from the pool (training), and the fixed test set, decoded."""

    def __init__(self, source, k: int, seed: int, size: int, test_cache: dict):
        from atlass_runtime.image_store import decode_images

        sample = draw_sample(source, k, seed)
        self.classes = list(source.classes)
        paths = [p for p, _ in sample.labelled]
        images, failed = decode_images(paths, size)
        assert not failed, failed
        labels = np.array([self.classes.index(c) for _, c in sample.labelled], dtype=np.int64)
        valid = np.zeros(len(labels), dtype=bool)
        rng = np.random.default_rng([seed, k])
        for c in range(len(self.classes)):
            rows = rng.permutation(np.flatnonzero(labels == c))
            valid[rows[:max(1, round(VALID_FRACTION * len(rows)))]] = True
        self.images, self.labels = images[~valid], labels[~valid]
        self.valid_images, self.valid_labels = images[valid], labels[valid]
        if source.name not in test_cache:
            test_paths = [p for p, _ in source.test]
            pixels, failed = decode_images(test_paths, size)
            assert not failed, failed
            test_cache[source.name] = (pixels, np.array([self.classes.index(c) for _, c in source.test]))
        self.test_images, self.test_labels = test_cache[source.name]


def scores(true, predicted, classes) -> tuple[float, float]:
    from atlass_runtime.evaluation import evaluate

    metrics = evaluate(true, predicted, classes)
    return metrics["accuracy"], metrics["macro_f1"]


def run_probe(draw: Draw, network: str, size: int) -> dict:
    """scikit-learn's logistic regression on the pretrained network's frozen pooled features."""
    from sklearn.linear_model import LogisticRegression

    from atlass_runtime.fastai_trainer import pooled_features
    from atlass_runtime.network_builder import build_model
    from atlass_runtime.networks import normalisation

    started = time.perf_counter()
    model = build_model(network, len(draw.classes), pretrained=True, head="linear")
    stats = normalisation(network)
    train = pooled_features(model, draw.images, "cpu", *stats)
    test = pooled_features(model, draw.test_images, "cpu", *stats)
    probe = LogisticRegression(C=1.0, max_iter=5000).fit(train, draw.labels)
    accuracy, f1 = scores(draw.test_labels, probe.predict(test), draw.classes)
    return dict(accuracy=accuracy, macro_f1=f1, seconds=time.perf_counter() - started, lr="", steps=0, kept="")


def run_recipe(draw: Draw, network: str, size: int, method: str, seed: int, log) -> dict:
    from atlass_runtime import RunConfig
    from atlass_runtime.fastai_trainer import FastaiTrainer
    from atlass_runtime.trainer import LabelledArrays

    recipe, _, rule = method.partition(":")
    config = RunConfig(process="ND", networks=[network], image_size=size, seed=seed, recipe=recipe,
                       lr_rule=rule or None, pretrained=True)
    trainer = FastaiTrainer(draw.classes, config, device="cpu", progress="lines", log=log)
    train = LabelledArrays(draw.images, draw.labels)
    valid = LabelledArrays(draw.valid_images, draw.valid_labels)
    started = time.perf_counter()
    model = trainer.train(network, train, valid)
    seconds = time.perf_counter() - started
    predicted = trainer.predict(model, draw.test_images).argmax(axis=1)
    accuracy, f1 = scores(draw.test_labels, predicted, draw.classes)
    return dict(accuracy=accuracy, macro_f1=f1, seconds=seconds,
                lr=f"{trainer.last_lr:.3g}" if trainer.last_lr else "",
                steps=sum(trainer.last_steps.values()), kept=trainer.kept_stage or "")


# ---------------------------------------------------------------------- records
def read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if None not in r and r.get("settings")]
    for row in rows:
        row["k"], row["seed"] = int(row["k"]), int(row["seed"])
        for name in ("accuracy", "macro_f1", "seconds"):
            row[name] = float(row[name])
    return rows


def append_row(path: Path, row: dict) -> None:
    new = not path.is_file()
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerow({c: row[c] for c in COLUMNS})
        handle.flush()
        os.fsync(handle.fileno())


def markdown(rows: list[dict], methods: list[str], notes: list[str]) -> str:
    cells = sorted({(r["dataset"], r["k"]) for r in rows})
    lines = ["# Transfer learning on small data: fine-tuning against the linear probe", ""] + notes + [""]
    for metric, title in (("accuracy", "Test accuracy"), ("macro_f1", "Test macro F1")):
        lines += [f"## {title} (mean ± std over seeds)", "",
                  "| dataset | k | " + " | ".join(methods) + " |",
                  "|---|---:|" + "---:|" * len(methods)]
        for dataset, k in cells:
            values = []
            for method in methods:
                got = [r[metric] for r in rows if (r["dataset"], r["k"], r["method"]) == (dataset, k, method)]
                if got:
                    ms = mean_std(got)
                    values.append(f"{ms.mean:.3f} ± {ms.std:.3f} (n={ms.n})" if ms.std is not None
                                  else f"{ms.mean:.3f} (n=1)")
                else:
                    values.append("–")
            lines.append(f"| {dataset} | {k} | " + " | ".join(values) + " |")
        lines.append("")
    lines += ["## Mean over every (dataset, k, seed) each method ran, and seconds per model", "",
              "| method | runs | accuracy | macro F1 | Δ accuracy vs probe (paired) | seconds per model |",
              "|---|---:|---:|---:|---:|---:|"]
    probe = {(r["dataset"], r["k"], r["seed"]): r["accuracy"] for r in rows if r["method"] == "probe"}
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        paired = [r["accuracy"] - probe[(r["dataset"], r["k"], r["seed"])] for r in mine
                  if (r["dataset"], r["k"], r["seed"]) in probe]
        delta = f"{np.mean(paired):+.3f} ({sum(d > 0 for d in paired)} / {sum(d == 0 for d in paired)} / " \
                f"{sum(d < 0 for d in paired)} wins/ties/losses)" if paired and method != "probe" else "–"
        lines.append(f"| {method} | {len(mine)} | {np.mean([r['accuracy'] for r in mine]):.3f} | "
                     f"{np.mean([r['macro_f1'] for r in mine]):.3f} | {delta} | "
                     f"{np.mean([r['seconds'] for r in mine]):.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    args.output.mkdir(parents=True, exist_ok=True)
    csv_path, table_path = args.output / f"{args.name}.csv", args.output / f"{args.name}.md"
    settings = f"{args.network}@{args.image_size}"
    done = {(r["dataset"], r["k"], r["seed"], r["method"]) for r in read_rows(csv_path)
            if r["settings"] == settings}
    sources = [load_source(path, args.work / "sources") for path in args.datasets]
    log_file = open(args.work / f"{args.name}.log", "a", encoding="utf-8") if not args.table_only else None

    def log(line: str) -> None:
        log_file.write(line + "\n")
        log_file.flush()

    test_cache: dict = {}
    if not args.table_only:
        print(f"{platform.node()}, Python {platform.python_version()}, {settings}", flush=True)
        for seed in args.seeds:                    # seed-major: a partial run covers every cell
            for source in sources:
                for k in args.k:
                    todo = [m for m in args.methods if (source.name, k, seed, m) not in done]
                    if not todo:
                        continue
                    draw = Draw(source, k, seed, args.image_size, test_cache)
                    for method in todo:
                        log(f"== {source.name} k={k} seed={seed} {method}")
                        result = (run_probe(draw, args.network, args.image_size) if method == "probe"
                                  else run_recipe(draw, args.network, args.image_size, method, seed, log))
                        row = dict(dataset=source.name, k=k, seed=seed, method=method, network=args.network,
                                   image_size=args.image_size, train_images=len(draw.labels),
                                   valid_images=len(draw.valid_labels), test_images=len(draw.test_labels),
                                   settings=settings,
                                   **{**result, "accuracy": round(result["accuracy"], 6),
                                      "macro_f1": round(result["macro_f1"], 6),
                                      "seconds": round(result["seconds"], 1)})
                        append_row(csv_path, row)
                        print(f"{source.name} k={k} seed={seed} {method}: accuracy {row['accuracy']:.3f}, "
                              f"macro F1 {row['macro_f1']:.3f}, {row['seconds']} s", flush=True)
    rows = [r for r in read_rows(csv_path) if r["settings"] == settings]
    notes = [f"`{' '.join(['python', 'benchmarks/transfer.py'] + (argv or sys.argv[1:]))}`", "",
             f"{args.network}, ImageNet weights, {args.image_size} px, CPU. The k labelled images per "
             f"class are split into training ({1 - VALID_FRACTION:.0%}) and validation images, as a run "
             "does; every method learns from the same training images, the recipes see the validation "
             "images too (lp-ft keeps its fine-tuning only on a clear gain there, a sign test: column `kept` of the "
             "CSV). Each model is scored on the dataset's fixed held-out test set (MedMNIST: the official "
             "test split; class folders: a fixed 25% of each class). A class with fewer than k images "
             "gives all it has."] + [line for note in args.note for line in ("", note)]
    table_path.write_text(markdown(rows, args.methods, notes), encoding="utf-8")
    print(f"Table: {table_path}; rows: {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

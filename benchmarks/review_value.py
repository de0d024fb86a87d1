"""What reviewing pseudo-labels is worth: correcting the N least confident against N random ones.

For every dataset and seed, k images per class are labelled and the rest (up to --max-unlabelled)
unlabelled, their true classes kept aside. One round of data distillation (DD: the network
trained on the labels votes on every unlabelled image, every vote accepted) gives pseudo-labels
with their confidences, as a user would get them. A reviewer then looks at N of them and
corrects the wrong ones (answered from the truth): the N least confident first (what the
annotator's review mode shows), or N at random (the average of 200 draws). The table gives the
pseudo-labels' precision before and after, and how many errors the N looks found.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/review_value.py ../shared/data/pbc-blood-cells-subset \\
        ../shared/data/jurkat-cellcycle-16bit-tiff --seeds 0,1,2
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # ssl_bench, when run as a script

import numpy as np  # noqa: E402

from ssl_bench.sampling import draw_sample, write_organised  # noqa: E402
from ssl_bench.sources import load_source  # noqa: E402

LOOKS = (10, 20, 50)
RANDOM_DRAWS = 200
COLUMNS = ["dataset", "k", "seed", "pseudo_labels", "precision", "looks", "order", "errors_found",
           "precision_after"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--k", type=int, default=25)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--network", default="EfficientNet-Lite0")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--max-unlabelled", type=int, default=200)
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--work", type=Path, default=Path("/tmp/atlass-review-value"))
    args = parser.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",")]
    return args


def pseudo_labels(source, k: int, seed: int, args) -> tuple[list[float], list[bool]]:
    """(confidence, right?) of every pseudo-label of one DD round on a fresh draw."""
    from atlass_runtime import RunConfig
    from atlass_runtime.workflow import Workflow

    sample = draw_sample(source, k, seed, args.max_unlabelled)
    folder = args.work / f"{source.name}-k{k}-s{seed}"
    truth = write_organised(sample, folder / "dataset")
    config = RunConfig(process="DD", networks=[args.network], transforms=["H Flip"], image_size=args.image_size,
                       seed=seed, dataset_dir=str(folder / "dataset"), output_dir=str(folder / "run"))
    workflow = Workflow(config, log=lambda line: None, restart=True)
    workflow.pseudo_label()
    entries = workflow.state.pseudo_labels
    return [e["confidence"] for e in entries], [truth[e["file"]] == e["label"] for e in entries]


def after_looks(confidence: list[float], right: list[bool], looks: int, order: str, rng) -> tuple[float, float]:
    """(errors found, precision after correcting them) for `looks` pseudo-labels looked at."""
    right = np.asarray(right)
    n = len(right)
    looks = min(looks, n)
    if order == "least confident":
        chosen = [np.argsort(np.asarray(confidence), kind="stable")[:looks]]
    else:
        chosen = [rng.choice(n, size=looks, replace=False) for _ in range(RANDOM_DRAWS)]
    found = [float((~right[c]).sum()) for c in chosen]
    return float(np.mean(found)), float((right.sum() + np.mean(found)) / n)


def main(argv=None) -> int:
    args = parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    rows = []
    rng = np.random.default_rng(0)
    for path in args.datasets:
        source = load_source(path, args.work / "sources")
        for seed in args.seeds:
            confidence, right = pseudo_labels(source, args.k, seed, args)
            precision = float(np.mean(right)) if right else 0.0
            for looks in LOOKS:
                for order in ("least confident", "random"):
                    found, after = after_looks(confidence, right, looks, order, rng)
                    rows.append(dict(dataset=source.name, k=args.k, seed=seed, pseudo_labels=len(right),
                                     precision=round(precision, 4), looks=looks, order=order,
                                     errors_found=round(found, 2), precision_after=round(after, 4)))
            print(f"{source.name} seed {seed}: {len(right)} pseudo-labels, precision {precision:.3f}", flush=True)
    with open(args.output / "review_value.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    lines = ["# Reviewing pseudo-labels: the least confident first against at random", "",
             f"`python benchmarks/review_value.py {' '.join(sys.argv[1:] if argv is None else argv)}`", "",
             f"{args.network} (ImageNet weights, default lp-ft recipe), {args.image_size} px, k = {args.k} labelled "
             f"per class, up to {args.max_unlabelled} unlabelled, one round of DD (every vote accepted); means over "
             f"seeds {', '.join(map(str, args.seeds))} (random looks: also over {RANDOM_DRAWS} draws). A look at a "
             "wrong pseudo-label corrects it (the reviewer knows the truth).", "",
             "| dataset | pseudo-labels | precision before | N looked at | errors found, least confident | "
             "errors found, random | precision after, least confident | precision after, random |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        for looks in LOOKS:
            def mean(order, key):
                return np.mean([r[key] for r in rows if (r["dataset"], r["looks"], r["order"]) == (dataset, looks, order)])
            mine = [r for r in rows if r["dataset"] == dataset and r["looks"] == looks]
            lines.append(f"| {dataset} | {np.mean([r['pseudo_labels'] for r in mine]):.0f} | "
                         f"{np.mean([r['precision'] for r in mine]):.3f} | {looks} | "
                         f"{mean('least confident', 'errors_found'):.1f} | {mean('random', 'errors_found'):.1f} | "
                         f"{mean('least confident', 'precision_after'):.3f} | {mean('random', 'precision_after'):.3f} |")
    (args.output / "review_value.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Table: {args.output / 'review_value.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

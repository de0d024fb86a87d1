"""The paper's section 4.2 protocol on any fully labelled dataset (Inés et al. 2021, Table 3).

For every dataset, k (labelled images per class) and seed: k images per class are labelled, the
rest of the training images are unlabelled, and every process is run on that same draw; the model
each process chooses is scored on a held-out test set. Results go to a CSV (one row per run,
appended as runs finish, so a killed benchmark continues where it stopped) and a Markdown table.

    python benchmarks/ssl_protocol.py ../shared/data/medmnist/breastmnist.npz DATASET_FOLDER \\
        --k 25,50 --seeds 0,1,2 --image-size 32 --epochs 1,4 --no-pretrained \\
        --single-networks ResNet18 --multi-networks ResNet18,ResNet34

Datasets: a folder with one sub-folder per class (25% of each class held out as test, fixed), or a
MedMNIST-style .npz (official train + val as the pool, official test as the test set).
Defaults follow the paper (ResNet50 / four networks, 224 px, 2 + 8 epochs, ImageNet weights).
"""
from __future__ import annotations

import argparse
import platform
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # ssl_bench, when run as a script

from atlass_runtime import PROCESSES, AtlassError, get_process  # noqa: E402
from atlass_runtime.networks import canonical_network  # noqa: E402
from ssl_bench.records import SettingsMismatch, append_row, finished_runs, read_rows, run_key  # noqa: E402
from ssl_bench.runner import HeldOutTest, Settings, run_process  # noqa: E402
from ssl_bench.sampling import draw_sample, too_few_unlabelled, write_organised  # noqa: E402
from ssl_bench.sources import SourceError, load_source  # noqa: E402
from ssl_bench.table import markdown_report  # noqa: E402

CSV_NAME, TABLE_NAME = "ssl_protocol.csv", "ssl_protocol.md"


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv=None) -> argparse.Namespace:
    paper = Settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+", type=Path, help="class-folder datasets and/or .npz files")
    parser.add_argument("--k", type=_ints, default=[25, 50, 75], help="labelled images per class (25,50,75)")
    parser.add_argument("--seeds", type=_ints, default=[0, 1, 2], help="seeds (0,1,2)")
    parser.add_argument("--processes", type=_names, default=list(PROCESSES), help="processes (all seven)")
    parser.add_argument("--single-networks", type=_names, default=list(paper.single_networks),
                        help="the network of DD and IDD (and of ND, see --nd-networks)")
    parser.add_argument("--multi-networks", type=_names, default=list(paper.multi_networks),
                        help="the networks of MD, IMD, MDD, IMDD")
    parser.add_argument("--nd-networks", choices=("single", "multi"), default=paper.nd_networks,
                        help="ND trains the single network (the paper) or the multi set, keeping the best")
    parser.add_argument("--transforms", type=_names, default=None, help="test-time transforms (the paper's five)")
    parser.add_argument("--threshold", type=float, default=paper.threshold, help="iterative processes (0.8)")
    parser.add_argument("--max-rounds", type=int, default=paper.max_rounds, help="iterative processes (5)")
    parser.add_argument("--image-size", type=int, default=paper.image_size)
    parser.add_argument("--epochs", type=_ints, default=[paper.epochs_frozen, paper.epochs_unfrozen],
                        help="FROZEN,UNFROZEN epochs (2,8)")
    parser.add_argument("--batch-size", type=int, default=paper.batch_size)
    parser.add_argument("--lr-find-iterations", type=int, default=paper.lr_find_iterations)
    parser.add_argument("--no-pretrained", dest="pretrained", action="store_false",
                        help="train from scratch instead of ImageNet weights")
    parser.add_argument("--max-unlabelled", type=int, default=None,
                        help="use at most this many unlabelled images per run (seeded random subset)")
    parser.add_argument("--min-unlabelled-ratio", type=float, default=paper.min_unlabelled_ratio,
                        help="skip a (dataset, k) with fewer unlabelled than this x labelled images")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results",
                        help=f"folder of {CSV_NAME} and {TABLE_NAME}")
    parser.add_argument("--work", type=Path, default=Path("/tmp/atlass-ssl-protocol"),
                        help="scratch folder: linked datasets, PNGs from .npz, run folders, runtime.log")
    parser.add_argument("--restart", action="store_true", help="discard the runs already in the CSV")
    parser.add_argument("--table-only", action="store_true", help="only rewrite the table from the CSV")
    parser.add_argument("--keep-runs", action="store_true", help="keep each run's output folder")
    parser.add_argument("--no-model-reuse", dest="reuse_models", action="store_false",
                        help="train every model, even one an earlier process of the draw trained identically")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--verbose", action="store_true", help="print the workflow's own log lines")
    parser.add_argument("--note", action="append", default=[], help="a line added to the table's notes")
    args = parser.parse_args(argv)
    if len(args.epochs) != 2:
        parser.error("--epochs takes FROZEN,UNFROZEN, e.g. 2,8")
    try:   # canonical spellings, so that 'resnet18' and 'ResNet18' are the same settings
        args.processes = [get_process(p).code for p in args.processes]
        args.single_networks = [canonical_network(n) for n in args.single_networks]
        args.multi_networks = [canonical_network(n) for n in args.multi_networks]
    except KeyError as exc:
        parser.error(exc.args[0])
    return args


def settings_from(args) -> Settings:
    return Settings(single_networks=tuple(args.single_networks), multi_networks=tuple(args.multi_networks),
                    nd_networks=args.nd_networks,
                    transforms=tuple(args.transforms) if args.transforms is not None else None,
                    threshold=args.threshold, max_rounds=args.max_rounds, epochs_frozen=args.epochs[0],
                    epochs_unfrozen=args.epochs[1], image_size=args.image_size, batch_size=args.batch_size,
                    pretrained=args.pretrained, lr_find_iterations=args.lr_find_iterations,
                    max_unlabelled=args.max_unlabelled, min_unlabelled_ratio=args.min_unlabelled_ratio)


class Plan:
    """The datasets read and every (dataset, k, seed) draw, with what is skipped and why."""

    def __init__(self, args, settings: Settings):
        self.sources, self.notes, self.draws = [], [], []
        for path in args.datasets:
            try:
                source = load_source(path, args.work / "sources")
            except (SourceError, AtlassError) as exc:
                self.notes.append(f"{path.name} left out: {exc}")
                continue
            self.sources.append(source)
            majority = max(Counter(c for _, c in source.test).values()) / len(source.test)
            self.notes.append(f"{source.name}: {len(source.classes)} classes, pool {len(source.pool)} "
                              f"images, test {len(source.test)} ({source.test_origin}); always answering "
                              f"the most frequent test class would score accuracy {majority:.3f}.")
            for k in args.k:
                sample = draw_sample(source, k, args.seeds[0], settings.max_unlabelled)
                reason = too_few_unlabelled(sample, settings.min_unlabelled_ratio)
                if reason:
                    self.notes.append(f"{source.name}, k = {k} skipped: {reason}.")
                    continue
                self.draws += [(source, k, seed) for seed in args.seeds]
        order = {seed: i for i, seed in enumerate(args.seeds)}
        self.draws.sort(key=lambda d: order[d[2]])   # seed-major: a partial run covers every cell


def preamble(args, settings: Settings) -> list[str]:
    epochs = f"{settings.epochs_frozen} + {settings.epochs_unfrozen}"
    return [
        f"Settings (id `{settings.settings_id()}`): k = {', '.join(map(str, args.k))} labelled images "
        f"per class; seeds {', '.join(map(str, args.seeds))}; single-network processes "
        f"{'+'.join(settings.single_networks)}, multi-network processes {'+'.join(settings.multi_networks)}, "
        f"ND {'+'.join(settings.networks_for('ND'))}; {settings.image_size} px; epochs {epochs} "
        f"(frozen + unfrozen); {'ImageNet weights' if settings.pretrained else 'no pretraining'}; "
        f"threshold {settings.threshold:g} and at most {settings.max_rounds} rounds (iterative processes); "
        f"LR finder {settings.lr_find_iterations} iterations; batch {settings.batch_size}; "
        f"unlabelled images per run: {settings.max_unlabelled or 'all'}.",
        "",
        "Each workflow gets only the k labelled images of each class (it keeps "
        f"{settings.valid_fraction:.0%} of them to choose among networks and at least 1 per class as "
        "its own test split), plus the unlabelled ones; the model it chooses is scored on the "
        "benchmark's held-out test set below. Best mean per row in bold. "
        + ("Within a draw, a model that several processes train identically (same network, images, "
           "settings and seed: ND's model is round 1 of every other process) is trained once and "
           "reused; CPU training is reproducible, so this saves time without changing results."
           if args.reuse_models else "Every model was trained anew (--no-model-reuse)."),
    ]


def write_table(args, settings: Settings, notes: list[str]) -> Path:
    rows = [r for r in read_rows(args.output / CSV_NAME) if r["settings_id"] == settings.settings_id()]
    path = args.output / TABLE_NAME
    path.write_text(markdown_report(rows, args.processes, preamble(args, settings), notes), encoding="utf-8")
    return path


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    csv_path = args.output / CSV_NAME
    args.output.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.restart and csv_path.exists():
        csv_path.unlink()
    try:
        done = finished_runs(csv_path, settings.settings_id())
    except SettingsMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    plan = Plan(args, settings)
    if not args.table_only:
        run_all(args, settings, plan, done)
    print(f"Table: {write_table(args, settings, plan.notes + args.note)}; runs: {csv_path}")
    return 0


def run_all(args, settings: Settings, plan: Plan, done: set) -> None:
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    todo = [(s, k, seed, p) for s, k, seed in plan.draws for p in args.processes
            if (s.name, k, seed, p) not in done]
    print(f"{len(todo)} run(s) to do, {len(done)} already in {args.output / CSV_NAME}; "
          f"{platform.node()}, Python {platform.python_version()}.", flush=True)
    runtime_log = open(args.work / "runtime.log", "a", encoding="utf-8")

    def log(line: str) -> None:
        runtime_log.write(line + "\n")
        runtime_log.flush()
        if args.verbose:
            print("    " + line, flush=True)

    tests: dict[str, HeldOutTest] = {}
    started, finished, previous_draw = time.perf_counter(), 0, None
    for number, (source, k, seed, process) in enumerate(todo, start=1):
        if source.name not in tests:
            tests[source.name] = HeldOutTest(source, settings.image_size)
            if tests[source.name].unreadable:
                print(f"{source.name}: {tests[source.name].unreadable} test image(s) could not be read "
                      "and are left out of the test set", flush=True)
        draw_dir = args.work / "runs" / source.name / f"k{k}-seed{seed}"
        if previous_draw not in (None, draw_dir) and not args.keep_runs:
            shutil.rmtree(previous_draw, ignore_errors=True)   # its links and cached models
        previous_draw = draw_dir
        sample = draw_sample(source, k, seed, settings.max_unlabelled)
        truth = write_organised(sample, draw_dir / "dataset")
        log(f"=== {source.name} k={k} seed={seed} {process}")
        row = run_process(settings, source, sample, truth, process, draw_dir / "dataset",
                          draw_dir / process, tests[source.name], log,
                          model_cache=draw_dir / "model-cache" if args.reuse_models else None,
                          keep_output=args.keep_runs)
        append_row(args.output / CSV_NAME, row)
        done.add(run_key(row))
        finished += 1
        elapsed = time.perf_counter() - started
        left = elapsed / finished * (len(todo) - number)
        pseudo = (f"{row['pseudo_labels']} pseudo-labels ({row['pseudo_label_accuracy']:.0%} right)"
                  if row["pseudo_labels"] else "no pseudo-labels")
        print(f"[{number}/{len(todo)}] {source.name} k={k} seed={seed} {row['process']}: accuracy "
              f"{row['accuracy']:.3f}, macro F1 {row['macro_f1']:.3f}, {pseudo}, {row['rounds']} round(s), "
              f"{row['models_trained']} model(s) trained, {row['models_reused']} reused, {row['seconds']:.0f} s; "
              f"about {left / 60:.0f} min left", flush=True)
        write_table(args, settings, plan.notes + args.note)
    if previous_draw is not None and not args.keep_runs:
        shutil.rmtree(previous_draw, ignore_errors=True)
    runtime_log.close()


if __name__ == "__main__":
    sys.exit(main())

"""The paper's section 4.2 protocol on any fully labelled dataset (Inés et al. 2021, Table 3).

For every dataset, k (labelled images per class) and seed: k images per class are labelled, the
rest of the training images are unlabelled, and every process is run on that same draw; the model
each process chooses is scored on a held-out test set. Each run is made once per variant of the
self-training settings (the paper's, the improved defaults, or one option at a time). Results go
to a CSV (one row per run, appended as runs finish, so a killed benchmark continues where it
stopped) and a Markdown table.

    python benchmarks/ssl_protocol.py ../shared/data/medmnist/breastmnist.npz DATASET_FOLDER \\
        --k 25,50 --seeds 0,1,2 --variants paper,improved --set image_size=64 --set max_rounds=3

Datasets: a folder with one sub-folder per class (25% of each class held out as test, fixed), or a
MedMNIST-style .npz (official train + val as the pool, official test as the test set).
Networks default to the ImageNet-pretrained EfficientNet-Lite0 (single) and Lite0 + Lite1 (multi),
whose weights come installed; every other setting is RunConfig's default unless --set.
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

from atlass_runtime import PROCESSES, AtlassError, RunConfig, get_process  # noqa: E402
from atlass_runtime.networks import canonical_network  # noqa: E402
from ssl_bench.records import SettingsMismatch, append_candidates, append_row, finished_runs, read_rows, run_key  # noqa: E402
from ssl_bench.runner import VARIANTS, HeldOutTest, Settings, run_process  # noqa: E402
from ssl_bench.sampling import draw_sample, too_few_unlabelled, write_organised  # noqa: E402
from ssl_bench.sources import SourceError, load_source  # noqa: E402
from ssl_bench.table import markdown_report  # noqa: E402



def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _setting(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (a RunConfig field), got {text!r}")
    return name.strip().replace("-", "_"), value.strip()


def parse_args(argv=None) -> argparse.Namespace:
    default = Settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+", type=Path, help="class-folder datasets and/or .npz files")
    parser.add_argument("--k", type=_ints, default=[25, 50], help="labelled images per class (25,50)")
    parser.add_argument("--seeds", type=_ints, default=[0, 1, 2], help="seeds (0,1,2)")
    parser.add_argument("--processes", type=_names, default=list(PROCESSES), help="processes (all seven)")
    parser.add_argument("--variants", type=_names, default=["paper", "improved"],
                        help=f"self-training settings to compare ({', '.join(VARIANTS)}); default paper,improved")
    parser.add_argument("--single-networks", type=_names, default=list(default.single_networks),
                        help="the network of DD and IDD (and of ND, see --nd-networks)")
    parser.add_argument("--multi-networks", type=_names, default=list(default.multi_networks),
                        help="the networks of MD, IMD, MDD, IMDD")
    parser.add_argument("--nd-networks", choices=("single", "multi"), default=default.nd_networks,
                        help="ND trains the single network (the paper) or the multi set, keeping the best")
    parser.add_argument("--set", dest="settings", type=_setting, action="append", default=[],
                        metavar="NAME=VALUE", help="a RunConfig setting for every run, e.g. image_size=64, "
                        "max_rounds=3, recipe=paper (repeat the flag for several)")
    parser.add_argument("--lr-find-iterations", type=int, default=default.lr_find_iterations,
                        help="LR-finder iterations (default: the recipe's bound)")
    parser.add_argument("--max-unlabelled", type=int, default=None,
                        help="use at most this many unlabelled images per run (seeded random subset)")
    parser.add_argument("--min-unlabelled-ratio", type=float, default=default.min_unlabelled_ratio,
                        help="skip a (dataset, k) with fewer unlabelled than this x labelled images")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results",
                        help="folder of NAME.csv and NAME.md")
    parser.add_argument("--name", default="ssl_protocol", help="file names NAME.csv and NAME.md")
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
    try:   # canonical spellings, so that 'resnet18' and 'ResNet18' are the same settings
        args.processes = [get_process(p).code for p in args.processes]
        args.single_networks = [canonical_network(n) for n in args.single_networks]
        args.multi_networks = [canonical_network(n) for n in args.multi_networks]
    except KeyError as exc:
        parser.error(exc.args[0])
    try:
        settings_from(args)
    except (ValueError, AtlassError) as exc:
        parser.error(str(exc))
    return args


def settings_from(args) -> Settings:
    base = dict(Settings().config)
    base.update(args.settings)
    if base:   # checked (and spelled) by RunConfig itself, on a process every field applies to
        RunConfig.from_dict({"process": "IMDD", **base})
    return Settings(single_networks=tuple(args.single_networks), multi_networks=tuple(args.multi_networks),
                    nd_networks=args.nd_networks, config=tuple(sorted(base.items())),
                    variants=tuple(args.variants), lr_find_iterations=args.lr_find_iterations,
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
    example = settings.config_for("IMDD", args.seeds[0], Path("dataset"), Path("out"), "paper")
    shown = {k: v for k, v in example.to_dict().items() if k not in ("process", "networks", "seed",
                                                                     "dataset_dir", "output_dir")}
    variants = "; ".join(f"**{v}**: " + (", ".join(f"{k} {val}" for k, val in VARIANTS[v].items())
                                         or "RunConfig's defaults") for v in settings.variants)
    return [
        f"Settings (id `{settings.settings_id()}`): k = {', '.join(map(str, args.k))} labelled images "
        f"per class; seeds {', '.join(map(str, args.seeds))}; single-network processes "
        f"{'+'.join(settings.single_networks)}, multi-network processes {'+'.join(settings.multi_networks)}, "
        f"ND {'+'.join(settings.networks_for('ND'))}; unlabelled images per run: "
        f"{settings.max_unlabelled or 'all'}. Every run's RunConfig (IMDD, paper variant): "
        + ", ".join(f"{k} {v}" for k, v in shown.items()) + ".",
        "",
        f"Variants (self-training settings): {variants}.",
        "",
        "Each workflow gets only the k labelled images of each class (it keeps "
        f"{example.valid_fraction:.0%} of them to choose among networks and at least 1 per class as "
        "its own test split), plus the unlabelled ones; the model it chooses is scored on the "
        "benchmark's held-out test set below. Best mean per row in bold. "
        + ("Within a draw, a model that several processes or variants train identically (same network, "
           "images, settings and seed: ND's model is round 1 of every other process) is trained once and "
           "reused; CPU training is reproducible, so this saves time without changing results."
           if args.reuse_models else "Every model was trained anew (--no-model-reuse)."),
    ]


def write_table(args, settings: Settings, notes: list[str]) -> Path:
    rows = [r for r in read_rows(args.output / f"{args.name}.csv") if r["settings_id"] == settings.settings_id()]
    path = args.output / f"{args.name}.md"
    path.write_text(markdown_report(rows, args.processes, list(settings.variants), preamble(args, settings), notes),
                    encoding="utf-8")
    return path


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    csv_path = args.output / f"{args.name}.csv"
    args.output.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.restart:
        for path in (csv_path, candidates_path(args)):
            path.unlink(missing_ok=True)
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


def candidates_path(args) -> Path:
    return args.output / f"{args.name}_candidates.jsonl"


def run_all(args, settings: Settings, plan: Plan, done: set) -> None:
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    todo = [(s, k, seed, v, p) for s, k, seed in plan.draws for v in settings.variants for p in args.processes
            if (s.name, k, seed, v, p) not in done]
    print(f"{len(todo)} run(s) to do, {len(done)} already in {args.output / f'{args.name}.csv'}; "
          f"{platform.node()}, Python {platform.python_version()}.", flush=True)
    runtime_log = open(args.work / "runtime.log", "a", encoding="utf-8")

    def log(line: str) -> None:
        runtime_log.write(line + "\n")
        runtime_log.flush()
        if args.verbose:
            print("    " + line, flush=True)

    tests: dict[str, HeldOutTest] = {}
    started, finished, previous_draw = time.perf_counter(), 0, None
    for number, (source, k, seed, variant, process) in enumerate(todo, start=1):
        if source.name not in tests:
            tests[source.name] = HeldOutTest(source, settings.config_for("ND", 0, Path("d"), Path("o")).image_size)
            if tests[source.name].unreadable:
                print(f"{source.name}: {tests[source.name].unreadable} test image(s) could not be read "
                      "and are left out of the test set", flush=True)
        draw_dir = args.work / "runs" / source.name / f"k{k}-seed{seed}"
        if previous_draw not in (None, draw_dir) and not args.keep_runs:
            shutil.rmtree(previous_draw, ignore_errors=True)   # its links and cached models
        previous_draw = draw_dir
        sample = draw_sample(source, k, seed, settings.max_unlabelled)
        truth = write_organised(sample, draw_dir / "dataset")
        log(f"=== {source.name} k={k} seed={seed} {variant} {process}")
        row = run_process(settings, source, sample, truth, process, draw_dir / "dataset",
                          draw_dir / f"{variant}-{process}", tests[source.name], log,
                          model_cache=draw_dir / "model-cache" if args.reuse_models else None,
                          keep_output=args.keep_runs, variant=variant)
        append_candidates(candidates_path(args), row)
        append_row(args.output / f"{args.name}.csv", row)
        done.add(run_key(row))
        finished += 1
        elapsed = time.perf_counter() - started
        left = elapsed / finished * (len(todo) - number)
        pseudo = (f"{row['pseudo_labels']} pseudo-labels ({row['pseudo_label_accuracy']:.0%} right)"
                  if row["pseudo_labels"] else "no pseudo-labels")
        print(f"[{number}/{len(todo)}] {source.name} k={k} seed={seed} {variant} {row['process']}: accuracy "
              f"{row['accuracy']:.3f}, macro F1 {row['macro_f1']:.3f}, {pseudo}, {row['rounds']} round(s), "
              f"{row['models_trained']} model(s) trained, {row['models_reused']} reused, {row['seconds']:.0f} s; "
              f"about {left / 60:.0f} min left", flush=True)
        write_table(args, settings, plan.notes + args.note)
    if previous_draw is not None and not args.keep_runs:
        shutil.rmtree(previous_draw, ignore_errors=True)
    runtime_log.close()


if __name__ == "__main__":
    sys.exit(main())

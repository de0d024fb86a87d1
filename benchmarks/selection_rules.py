"""Which final-choice rule holds up: every rule applied to the same runs, each against ND.

`ssl_protocol.py` records, beside its CSV, every candidate of every run with its validation
scores and its held-out test score (`NAME_candidates.jsonl`). A selection rule sees only the
validation scores; this script replays each rule on those records and scores the model it would
have chosen on the held-out test set, paired against ND on the same draw (Wilcoxon signed-rank).
No model is trained: the comparison is exact for the runs that were made.

    python benchmarks/selection_rules.py benchmarks/results/ssl_selection
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # ssl_bench, when run as a script

from ssl_bench.records import read_candidates, read_rows, run_key  # noqa: E402
from ssl_bench.stats import compare, mean_std  # noqa: E402

WITH_PSEUDO, LABELS_ALONE = "labels + pseudo-labels", "labels alone"


def by_validation(candidate: dict) -> tuple[float, float, float]:
    """The product's own order (evaluation.selection_key): accuracy, macro F1, lower log-loss."""
    return candidate["valid_accuracy"], candidate["valid_macro_f1"], -(candidate["valid_log_loss"] or 0.0)


def _pseudo_only(candidates: list[dict]) -> list[dict]:
    return [c for c in candidates if c["trained_on"] == WITH_PSEUDO] or candidates


def _first_network_alone(candidates: list[dict]) -> list[dict]:
    first = candidates[0]["network"]
    return [c for c in candidates if c["trained_on"] == WITH_PSEUDO or c["network"] == first]


RULES = {
    "pseudo-labelled only (the paper)": lambda cs: max(_pseudo_only(cs), key=by_validation),
    "all, ties to the lower log-loss (the default to stop 21)": lambda cs: max(cs, key=by_validation),
    "all, labels alone of the first network only": lambda cs: max(_first_network_alone(cs), key=by_validation),
    "all, ties on accuracy and F1 to the pseudo-labelled": lambda cs: max(
        cs, key=lambda c: (c["valid_accuracy"], c["valid_macro_f1"])),   # finals come first
    "all, ties on accuracy and F1 to the pseudo-labelled, then log-loss (our default)": lambda cs: max(
        cs, key=lambda c: (c["valid_accuracy"], c["valid_macro_f1"], c["trained_on"] == WITH_PSEUDO,
                           -(c["valid_log_loss"] or 0.0))),
    "all, by validation log-loss": lambda cs: max(cs, key=lambda c: (-(c["valid_log_loss"] or 0.0),
                                                                     c["valid_accuracy"])),
}


def replay(rows: list[dict], records: list[dict], rule) -> list[dict]:
    """The CSV rows with `accuracy` and `macro_f1` replaced by those of the rule's choice."""
    chosen = {run_key(r): rule(r["candidates"]) for r in records}
    replayed = []
    for row in rows:
        pick = chosen.get(run_key(row))
        if pick is not None:
            replayed.append({**row, "accuracy": pick["test_accuracy"], "macro_f1": pick["test_macro_f1"],
                             "chosen_alone": pick["trained_on"] == LABELS_ALONE})
    return replayed


def report(rows: list[dict], records: list[dict]) -> list[str]:
    variants = sorted({r["variant"] for r in rows})
    processes = [p for p in ("DD", "IDD", "MD", "IMD", "MDD", "IMDD") if any(r["process"] == p for r in rows)]
    datasets = sorted({r["dataset"] for r in rows})
    lines = ["| variant | rule | process | pairs | Δ accuracy vs ND | wins / ties / losses | Wilcoxon p | "
             "worst dataset Δ | labels alone chosen |", "|---|---|---|---:|---:|:---:|---:|---:|---:|"]
    for variant in variants:
        for name, rule in RULES.items():
            chosen = replay([r for r in rows if r["variant"] == variant], records, rule)
            for process in processes:
                result = compare(chosen, process)
                if not result.pairs:
                    continue
                worst = min(compare([r for r in chosen if r["dataset"] == d], process).mean_difference or 0.0
                            for d in datasets)
                alone = [r["chosen_alone"] for r in chosen if r["process"] == process]
                p = "–" if result.test.p_value is None else f"{result.test.p_value:.3f}"
                lines.append(f"| {variant} | {name} | {process} | {result.pairs} | {result.mean_difference:+.3f} | "
                             f"{result.wins} / {result.ties} / {result.losses} | {p} | {worst:+.3f} | "
                             f"{sum(alone)} of {len(alone)} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="the benchmark's results path without extension "
                        "(NAME.csv and NAME_candidates.jsonl)")
    parser.add_argument("--output", type=Path, help="markdown file to write (default: NAME_rules.md)")
    args = parser.parse_args(argv)
    csv_path = args.results.with_name(args.results.name + ".csv")
    jsonl_path = args.results.with_name(args.results.name + "_candidates.jsonl")
    rows, records = read_rows(csv_path), read_candidates(jsonl_path)
    if not rows or not records:
        print(f"error: no runs with candidate records in {csv_path} and {jsonl_path}; run "
              "benchmarks/ssl_protocol.py with --name first", file=sys.stderr)
        return 1
    nd = mean_std([r["accuracy"] for r in rows if r["process"] == "ND"])
    text = "\n".join([
        f"# Final-choice rules replayed on `{csv_path.name}`", "",
        __doc__.split("\n\n")[1].replace("\n", " "), "",
        f"{len(records)} runs with candidate records; ND's mean held-out accuracy {nd.mean:.3f} over {nd.n} runs. "
        "Δ is the rule's choice minus ND on the same (dataset, k, seed); worst dataset Δ is the lowest "
        "per-dataset mean.", "", *report(rows, records), ""])
    output = args.output or args.results.with_name(args.results.name + "_rules.md")
    output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

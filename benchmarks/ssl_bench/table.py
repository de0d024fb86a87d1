"""The Markdown report, laid out like the paper's Table 3: one row per (dataset, k), one column per
process, mean ± std over seeds; then every process against ND."""
from __future__ import annotations

from .stats import MeanStd, compare, holm, summarise

DASH = "–"


def _number(value: float | None, digits: int = 3, signed: bool = False) -> str:
    if value is None:
        return DASH
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def _cell(stat: MeanStd | None, best: bool, seeds: int) -> str:
    if stat is None:
        return DASH
    text = _number(stat.mean) + (f" ± {stat.std:.3f}" if stat.std is not None else "")
    if stat.n != seeds:
        text += f" (n={stat.n})"
    return f"**{text}**" if best else text


def _grid(rows: list[dict], processes: list[str], metric: str, title: str) -> list[str]:
    stats = summarise(rows, metric)
    seeds = max((s.n for s in stats.values()), default=0)
    capped = {(r["dataset"], r["k"]): r["capped_classes"] for r in rows if r["capped_classes"]}
    lines = [f"## {title} (mean ± std over seeds)", "",
             "| dataset | k | " + " | ".join(processes) + " |",
             "|---|---:|" + "---:|" * len(processes)]
    for dataset, k in sorted({(r["dataset"], r["k"]) for r in rows}):
        found = [stats.get((dataset, k, p)) for p in processes]
        top = max((s.mean for s in found if s is not None), default=None)
        cells = [_cell(s, s is not None and s.mean >= top - 1e-12, seeds) for s in found]
        mark = "†" if (dataset, k) in capped else ""
        lines.append(f"| {dataset} | {k}{mark} | " + " | ".join(cells) + " |")
    return lines + [""]


def _comparisons(rows: list[dict], processes: list[str], baseline: str) -> tuple[list[str], list[str]]:
    others = [p for p in processes if p != baseline]
    accuracy = [compare(rows, p, baseline, "accuracy") for p in others]
    f1 = [compare(rows, p, baseline, "macro_f1") for p in others]
    holm_accuracy = holm([c.test.p_value for c in accuracy])
    holm_f1 = holm([c.test.p_value for c in f1])
    lines = [f"## Each process against {baseline}", "",
             f"Paired over every (dataset, k, seed) where both ran. Wins / ties / losses count "
             f"runs with higher / equal / lower test accuracy than {baseline}. Wilcoxon signed-rank "
             "test, two-sided, tied pairs dropped; Holm: adjusted for the "
             f"{len(others)} comparisons.", "",
             "| process | pairs | mean accuracy | Δ accuracy | wins / ties / losses | Wilcoxon p | Holm p "
             "| mean macro F1 | Δ macro F1 | Wilcoxon p (F1) | Holm p (F1) | pseudo-labels per run "
             "| pseudo-labels right |",
             "|---|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for process in processes:
        mine = [r for r in rows if r["process"] == process]
        mean_acc = _number(sum(r["accuracy"] for r in mine) / len(mine)) if mine else DASH
        mean_f1 = _number(sum(r["macro_f1"] for r in mine) / len(mine)) if mine else DASH
        added = sum(r["pseudo_labels"] for r in mine)
        right = sum(r["pseudo_labels_correct"] for r in mine)
        per_run = f"{added / len(mine):.0f}" if mine else DASH
        share = f"{right / added:.1%}" if added else DASH
        if process == baseline:
            lines.append(f"| {process} | {len(mine)} | {mean_acc} | {DASH} | {DASH} | {DASH} | {DASH} "
                         f"| {mean_f1} | {DASH} | {DASH} | {DASH} | {per_run} | {share} |")
            continue
        i = others.index(process)
        a, f = accuracy[i], f1[i]
        lines.append(f"| {process} | {a.pairs} | {mean_acc} | {_number(a.mean_difference, signed=True)} "
                     f"| {a.wins} / {a.ties} / {a.losses} | {_p(a.test.p_value)} | {_p(holm_accuracy[i])} "
                     f"| {mean_f1} | {_number(f.mean_difference, signed=True)} | {_p(f.test.p_value)} "
                     f"| {_p(holm_f1[i])} | {per_run} | {share} |")
        notes.append(f"{process} (accuracy: {a.test.note}; macro F1: {f.test.note})")
    return lines + [""], notes


def markdown_report(rows: list[dict], processes: list[str], preamble: list[str],
                    notes: list[str], baseline: str = "ND") -> str:
    processes = [p for p in processes if any(r["process"] == p for r in rows)] or processes
    lines = ["# ATLASS processes against ND: the paper's section 4.2 protocol", "", *preamble, ""]
    if not rows:
        return "\n".join(lines + ["No finished runs yet.", "", "## Notes", ""] + [f"- {n}" for n in notes] + [""])
    lines += _grid(rows, processes, "accuracy", "Test accuracy")
    lines += _grid(rows, processes, "macro_f1", "Test macro F1")
    comparison, test_notes = _comparisons(rows, processes, baseline)
    lines += comparison
    capped = sorted({(r["dataset"], r["k"], r["capped_classes"]) for r in rows if r["capped_classes"]})
    all_notes = [f"† {d}, k = {k}: fewer than k images available, all taken as labelled "
                 f"({c.replace(';', ', ')}); those classes have no unlabelled images."
                 for d, k, c in capped] + notes + ["Wilcoxon tests: " + "; ".join(test_notes) + "."]
    lines += ["## Notes", ""] + [f"- {n}" for n in all_notes] + [""]
    return "\n".join(lines)

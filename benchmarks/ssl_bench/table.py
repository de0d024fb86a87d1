"""The Markdown report, laid out like the paper's Table 3: one row per (dataset, k), one column per
process, mean ± std over seeds; then every process against ND."""
from __future__ import annotations

from .stats import MeanStd, compare, holm, summarise

DASH = "–"


def _number(value: float | None, digits: int = 3, signed: bool = False) -> str:
    if value is None:
        return DASH
    if abs(value) < 0.5 * 10 ** -digits:
        value = 0.0                     # no "-0.000" from rounding noise
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


ITERATIVE = ("IDD", "IMD", "IMDD")


def _variant_rows(rows: list[dict], variant: str) -> list[dict]:
    return [r for r in rows if r["variant"] == variant]


def _against(rows: list[dict], processes: list[str], variant: str, reference: str) -> list[str]:
    """Each process of `variant` against the same process of `reference` (paired runs)."""
    paired = [{**r, "process": f"{r['variant']}:{r['process']}"} for r in rows if r["variant"] in (variant, reference)]
    lines = [f"## {variant} against {reference}, process by process", "",
             f"Paired over every (dataset, k, seed); Δ is {variant} minus {reference}. Wilcoxon signed-rank, "
             "two-sided, tied pairs dropped.", "",
             "| process | pairs | Δ accuracy | wins / ties / losses | Wilcoxon p | Δ macro F1 |",
             "|---|---:|---:|:---:|---:|---:|"]
    for process in processes:
        a = compare(paired, f"{variant}:{process}", f"{reference}:{process}", "accuracy")
        f = compare(paired, f"{variant}:{process}", f"{reference}:{process}", "macro_f1")
        if a.pairs:
            lines.append(f"| {process} | {a.pairs} | {_number(a.mean_difference, signed=True)} | "
                         f"{a.wins} / {a.ties} / {a.losses} | {_p(a.test.p_value)} | "
                         f"{_number(f.mean_difference, signed=True)} |")
    return lines + [""]


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _pseudo_label_quality(rows: list[dict], processes: list[str], variants: list[str]) -> list[str]:
    lines = ["## Pseudo-labels: how many, how right, how balanced", "",
             "Per run: pseudo-labels added; their precision (share right, against the held-out truth of "
             "the unlabelled images); the teacher's validation accuracy (the best model trained on the "
             "labels alone, on the workflow's validation images); the largest ratio of a category's share "
             "of the pseudo-labels to its share of the labels (1: as labelled; above 2: piling up); how "
             "often the final choice fell on a labels-alone model.", "",
             "| variant | process | runs | pseudo-labels per run | precision | teacher validation accuracy "
             "| acceptance ratio, mean / max | labels alone chosen |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for variant in variants:
        for process in processes:
            mine = [r for r in rows if r["variant"] == variant and r["process"] == process]
            if not mine or process == "ND":
                continue
            added = sum(r["pseudo_labels"] for r in mine)
            right = sum(r["pseudo_labels_correct"] for r in mine)
            ratios = [r["max_acceptance_ratio"] for r in mine if r["max_acceptance_ratio"] is not None]
            teacher = _mean(r["teacher_valid_accuracy"] for r in mine)
            alone = sum(r["selected_trained_on"] == "labels alone" for r in mine)
            lines.append(f"| {variant} | {process} | {len(mine)} | {added / len(mine):.0f} | "
                         f"{(f'{right / added:.1%}' if added else DASH)} | {_number(teacher)} | "
                         f"{(f'{_mean(ratios):.2f} / {max(ratios):.2f}' if ratios else DASH)} | {alone} / {len(mine)} |")
    return lines + [""]


def _targets(rows: list[dict], variant: str) -> list[str]:
    """The issue's targets for the variant: the best iterative process against ND."""
    mine = _variant_rows(rows, variant)
    found = [compare(mine, p, "ND", "accuracy") for p in ITERATIVE]
    found = [c for c in found if c.pairs]
    if not found:
        return []
    best = max(found, key=lambda c: c.mean_difference)
    per_dataset = {}
    for dataset in sorted({r["dataset"] for r in mine}):
        c = compare([r for r in mine if r["dataset"] == dataset], best.process, "ND", "accuracy")
        per_dataset[dataset] = c.mean_difference
    worst = min((d for d in per_dataset.values() if d is not None), default=None)
    distilled = [r for r in mine if r["process"] != "ND"]
    ratios = [r["max_acceptance_ratio"] for r in distilled if r["max_acceptance_ratio"] is not None]
    precise = [r for r in distilled if r["pseudo_label_accuracy"] is not None and r["teacher_valid_accuracy"] is not None]
    at_least = sum(r["pseudo_label_accuracy"] >= r["teacher_valid_accuracy"] for r in precise)
    precision = _mean(r["pseudo_label_accuracy"] for r in precise)
    teacher = _mean(r["teacher_valid_accuracy"] for r in precise)
    return [f"## Targets ({variant})", "",
            f"- Best iterative process: {best.process}, {_number(best.mean_difference, signed=True)} accuracy "
            f"against ND on average over {best.pairs} paired runs (target: at least +0.030; Wilcoxon p "
            f"{_p(best.test.p_value)}).",
            f"- {best.process} against ND per dataset: " + ", ".join(
                f"{d} {_number(v, signed=True)}" for d, v in per_dataset.items())
            + f" (target: no loss larger than 0.010; worst {_number(worst, signed=True)}).",
            f"- Largest acceptance ratio of any class in any run: "
            f"{(f'{max(ratios):.2f}' if ratios else DASH)} (target: at most 2).",
            f"- Pseudo-label precision {(f'{precision:.1%}' if precision is not None else DASH)} on average "
            f"against the teacher's validation accuracy {(f'{teacher:.1%}' if teacher is not None else DASH)}; "
            f"at least the teacher's in {at_least} of {len(precise)} runs.", ""]


def markdown_report(rows: list[dict], processes: list[str], variants: list[str], preamble: list[str],
                    notes: list[str], baseline: str = "ND") -> str:
    processes = [p for p in processes if any(r["process"] == p for r in rows)] or processes
    variants = [v for v in variants if any(r["variant"] == v for r in rows)] or variants
    lines = ["# ATLASS processes against ND: the paper's section 4.2 protocol", "", *preamble, ""]
    if not rows:
        return "\n".join(lines + ["No finished runs yet.", "", "## Notes", ""] + [f"- {n}" for n in notes] + [""])
    test_notes = []
    for variant in variants:
        mine = _variant_rows(rows, variant)
        lines += _grid(mine, processes, "accuracy", f"Test accuracy, {variant}")
    for variant in variants:
        lines += _targets(rows, variant)
    for variant in variants:
        comparison, found = _comparisons(_variant_rows(rows, variant), processes, baseline)
        lines += [comparison[0] + f" ({variant})"] + comparison[1:]
        test_notes += [f"{variant} {n}" for n in found]
    for variant in variants[1:]:
        lines += _against(rows, processes, variant, variants[0])
    lines += _pseudo_label_quality(rows, processes, variants)
    for variant in variants:
        lines += _grid(_variant_rows(rows, variant), processes, "macro_f1", f"Test macro F1, {variant}")
    capped = sorted({(r["dataset"], r["k"], r["capped_classes"]) for r in rows if r["capped_classes"]})
    all_notes = [f"† {d}, k = {k}: fewer than k images available, all taken as labelled "
                 f"({c.replace(';', ', ')}); those classes have no unlabelled images."
                 for d, k, c in capped] + notes + ["Wilcoxon tests: " + "; ".join(test_notes) + "."]
    lines += ["## Notes", ""] + [f"- {n}" for n in all_notes] + [""]
    return "\n".join(lines)

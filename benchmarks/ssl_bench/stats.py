"""Means over seeds, and each process against ND: wins / ties / losses and the Wilcoxon
signed-rank test over paired (dataset, k, seed) runs, with Holm's correction across processes."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import wilcoxon

TIE = 1e-9                # differences smaller than this are ties (the CSV keeps 6 decimals)
EXACT_UP_TO = 50          # untied pairs for which the exact distribution is used
LOWEST_P_NEEDS = 6        # with fewer untied pairs the two-sided p cannot go below 0.05


@dataclass(frozen=True)
class MeanStd:
    mean: float
    std: float | None      # sample standard deviation; None for a single run
    n: int


def mean_std(values: list[float]) -> MeanStd:
    array = np.asarray(values, dtype=float)
    return MeanStd(float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else None, len(array))


def summarise(rows: list[dict], metric: str) -> dict[tuple[str, int, str], MeanStd]:
    """(dataset, k, process) -> mean and std of `metric` over seeds."""
    groups: dict[tuple[str, int, str], list[float]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["k"], row["process"]), []).append(row[metric])
    return {key: mean_std(values) for key, values in groups.items()}


def paired_differences(rows: list[dict], process: str, baseline: str, metric: str) -> list[float]:
    """metric(process) - metric(baseline) for every (dataset, k, seed) where both ran."""
    by_key = {(r["dataset"], r["k"], r["seed"], r["process"]): r[metric] for r in rows}
    differences = []
    for (dataset, k, seed, name), value in sorted(by_key.items()):
        if name == process and (dataset, k, seed, baseline) in by_key:
            difference = value - by_key[(dataset, k, seed, baseline)]
            differences.append(0.0 if abs(difference) < TIE else difference)
    return differences


@dataclass(frozen=True)
class WilcoxonResult:
    p_value: float | None   # None when the test cannot be computed
    untied: int
    note: str


def wilcoxon_signed_rank(differences: list[float]) -> WilcoxonResult:
    """Two-sided test that the differences are centred on 0. Tied pairs (difference 0) are
    dropped (Wilcoxon's method); exact p when no |difference| repeats, else the normal
    approximation with the tie correction."""
    untied = [d for d in differences if d != 0.0]
    if not differences:
        return WilcoxonResult(None, 0, "no paired runs")
    if not untied:
        return WilcoxonResult(None, 0, f"all {len(differences)} pairs tied")
    magnitudes = np.round(np.abs(untied) / TIE).astype(np.int64)
    exact = len(untied) <= EXACT_UP_TO and len(set(magnitudes.tolist())) == len(untied)
    result = wilcoxon(untied, zero_method="wilcox", method="exact" if exact else "asymptotic")
    notes = ["exact" if exact else "normal approx."]
    if len(untied) < LOWEST_P_NEEDS:
        notes.append(f"{len(untied)} untied pair(s): p cannot reach 0.05")
    return WilcoxonResult(float(result.pvalue), len(untied), "; ".join(notes))


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values (None stays None and does not count as a test)."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None and not math.isnan(p))
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[index] = running
    return adjusted


@dataclass(frozen=True)
class Comparison:
    process: str
    pairs: int
    wins: int
    ties: int
    losses: int
    mean_difference: float | None
    test: WilcoxonResult


def compare(rows: list[dict], process: str, baseline: str = "ND", metric: str = "accuracy") -> Comparison:
    differences = paired_differences(rows, process, baseline, metric)
    return Comparison(process, len(differences), sum(d > 0 for d in differences),
                      sum(d == 0 for d in differences), sum(d < 0 for d in differences),
                      float(np.mean(differences)) if differences else None,
                      wilcoxon_signed_rank(differences))

"""Feature-space semi-supervised learning on frozen EfficientNet-Lite0 features (an exploration,
not product code): does self-training or label spreading beat the linear probe on labels alone?

Same draws as ssl_protocol.py (ssl_bench sampling, held-out test sets). Per draw: the probe
(logistic regression C=1) on the k labelled images; the probe self-trained (threshold 0.8,
class-balanced, 3 rounds); label spreading (kNN 7, alpha 0.5, L2-normalised features) with a
probe on all its labels (lp_all), only where it agrees with the probe (lp_agree), or where it
agrees and the probe is at least 0.8 confident (agree_conf).

usage: python benchmarks/feature_space_ssl.py SIZE MAX_UNLABELLED|all [K,K] [SEEDS]
writes benchmarks/results/feature_space_ssl_SIZE_MAX.csv and prints the paired summary;
       python benchmarks/feature_space_ssl.py --summary CSV   prints that summary again
"""
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]
from ssl_bench.sources import load_source           # noqa: E402
from ssl_bench.sampling import draw_sample          # noqa: E402
from ssl_bench.stats import paired_differences, wilcoxon_signed_rank  # noqa: E402
from atlass_runtime.image_store import decode_images  # noqa: E402
from atlass_runtime.network_builder import build_model  # noqa: E402
from atlass_runtime.fastai_trainer import pooled_features  # noqa: E402
from atlass_runtime.networks import normalisation     # noqa: E402

METHODS = ("probe", "self_probe", "lp_all", "lp_agree", "agree_conf")


def summary_table(rows: list[dict]) -> str:
    """Each method against the probe on the same draws, as Markdown (ssl_bench's paired Wilcoxon)."""
    rows = [dict(r, process=r["method"], seed=int(r["seed"]), acc=float(r["acc"])) for r in rows]
    lines = ["| method | mean accuracy | Δ vs probe | wins / losses | Wilcoxon p | by dataset | "
             "pseudo-labels per draw | pseudo-labels right |", "|---|---:|---:|:---:|---:|---|---:|---:|"]
    for method in METHODS:
        mine = [r for r in rows if r["method"] == method]
        differences = paired_differences(rows, method, "probe", "acc")
        p = wilcoxon_signed_rank(differences).p_value if method != "probe" else None
        by_dataset = {d: np.mean(paired_differences([r for r in rows if r["dataset"] == d], method, "probe", "acc"))
                      for d in dict.fromkeys(r["dataset"] for r in mine)}
        precision = [float(r["pl_prec"]) for r in mine if r["pl_prec"] not in ("", None)]
        lines.append(f"| {method} | {np.mean([r['acc'] for r in mine]):.3f} | {np.mean(differences):+.3f} | "
                     f"{sum(d > 0 for d in differences)} / {sum(d < 0 for d in differences)} | "
                     f"{'–' if p is None else f'{p:.3f}'} | "
                     f"{', '.join(f'{d} {v:+.3f}' for d, v in by_dataset.items())} | "
                     f"{np.mean([float(r['pl_n']) for r in mine]):.0f} | "
                     f"{f'{np.mean(precision):.1%}' if precision else '–'} |")
    return "\n".join(lines)


if sys.argv[1] == "--summary":          # the table again from a written CSV, without training
    with open(sys.argv[2], newline="") as handle:
        print(summary_table(list(csv.DictReader(handle))))
    sys.exit(0)

SIZE = int(sys.argv[1])
MAXU = None if sys.argv[2] == "all" else int(sys.argv[2])
KS = [int(k) for k in (sys.argv[3] if len(sys.argv) > 3 else "25,50").split(",")]
SEEDS = [int(s) for s in (sys.argv[4] if len(sys.argv) > 4 else "0,1,2,3,4").split(",")]
DATA = [str(ROOT.parent / "shared/data" / n) for n in ["medmnist/breastmnist.npz", "jurkat-cellcycle-16bit-tiff",
        "jurkat-cellcycle-brightfield", "pbc-blood-cells-subset"]]
WORK = Path(tempfile.gettempdir()) / "atlass-feature-ssl"
torch.set_num_threads(2)
net = "EfficientNet-Lite0"
model = build_model(net, 2, pretrained=True)
mean, std = normalisation(net)
cache = {}


def feats(paths):
    missing = [p for p in paths if p not in cache]
    if missing:
        arr, fail = decode_images(missing, SIZE)
        f = pooled_features(model, arr, "cpu", mean, std)
        for p, v in zip(missing, f):
            cache[p] = v
    return np.stack([cache[p] for p in paths])


def probe(x, y):
    return LogisticRegression(C=1.0, max_iter=2000).fit(x, y)


def self_train(x, y, xu, n_classes, thr=0.8, rounds=3):
    """Class-balanced self-training of the probe: each round add the confident pool images,
    each class at most its labelled share."""
    shares = np.bincount(y, minlength=n_classes) / len(y)
    clf = probe(x, y)
    for _ in range(rounds):
        p = clf.predict_proba(xu)
        conf, pred = p.max(1), clf.classes_[p.argmax(1)]
        ok = conf >= thr
        keep = np.zeros(len(xu), bool)
        cap = int(ok.sum())
        for c in range(n_classes):
            idx = np.where(ok & (pred == c))[0]
            idx = idx[np.argsort(-conf[idx])][:max(1, int(np.floor(shares[c] * cap)))]
            keep[idx] = True
        if not keep.any():
            break
        clf = probe(np.vstack([x, xu[keep]]), np.concatenate([y, pred[keep]]))
    return clf, keep, pred


def spread(x, y, xu, n_classes):
    z = np.vstack([x, xu])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    labels = np.concatenate([y, -np.ones(len(xu), int)])
    ls = LabelSpreading(kernel="knn", n_neighbors=7, alpha=0.5, max_iter=100).fit(z, labels)
    return ls.transduction_[len(x):], ls.label_distributions_[len(x):]


out = ROOT / "benchmarks" / "results" / f"feature_space_ssl_{SIZE}_{sys.argv[2]}.csv"
fields = ["dataset", "k", "seed", "n_unl", "method", "acc", "pl_n", "pl_prec"]
rows = []
with out.open("w", newline="") as fh:
    w = csv.DictWriter(fh, fields)
    w.writeheader()
    for d in DATA:
        src = load_source(d, WORK)
        classes = src.classes
        ci = {c: i for i, c in enumerate(classes)}
        xt = feats([p for p, _ in src.test])
        yt = np.array([ci[c] for _, c in src.test])
        for k in KS:
            for seed in SEEDS:
                t0 = time.time()
                s = draw_sample(src, k, seed, MAXU)
                x = feats([p for p, _ in s.labelled]); y = np.array([ci[c] for _, c in s.labelled])
                xu = feats([p for p, _ in s.unlabelled]); yu = np.array([ci[c] for _, c in s.unlabelled])
                nc = len(classes)
                res = {}
                base = probe(x, y)
                res["probe"] = (base.score(xt, yt), 0, np.nan)
                st, keep, pred = self_train(x, y, xu, nc)
                res["self_probe"] = (st.score(xt, yt), int(keep.sum()),
                                     float((pred[keep] == yu[keep]).mean()) if keep.any() else np.nan)
                lp_lab, lp_dist = spread(x, y, xu, nc)
                lp_all = probe(np.vstack([x, xu]), np.concatenate([y, lp_lab]))
                res["lp_all"] = (lp_all.score(xt, yt), len(xu), float((lp_lab == yu).mean()))
                bp = base.predict(xu)
                agree = bp == lp_lab
                lp_ag = probe(np.vstack([x, xu[agree]]), np.concatenate([y, lp_lab[agree]]))
                res["lp_agree"] = (lp_ag.score(xt, yt), int(agree.sum()),
                                   float((lp_lab[agree] == yu[agree]).mean()) if agree.any() else np.nan)
                # confident agreement: probe confident (>= 0.8) and LP agrees
                bconf = base.predict_proba(xu).max(1)
                ca = agree & (bconf >= 0.8)
                lp_ca = probe(np.vstack([x, xu[ca]]), np.concatenate([y, lp_lab[ca]])) if ca.any() else base
                res["agree_conf"] = (lp_ca.score(xt, yt), int(ca.sum()),
                                     float((lp_lab[ca] == yu[ca]).mean()) if ca.any() else np.nan)
                for m, (acc, n, prec) in res.items():
                    r = dict(dataset=src.name, k=k, seed=seed, n_unl=len(xu), method=m, acc=round(acc, 4),
                             pl_n=n, pl_prec=round(prec, 3) if prec == prec else "")
                    w.writerow(r); rows.append(r)
                fh.flush()
                print(src.name, k, seed, {m: round(v[0], 3) for m, v in res.items()},
                      f"{time.time() - t0:.0f}s", flush=True)

print(summary_table(rows))

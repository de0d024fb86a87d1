"""What a finished run leaves to keep and to read: PNG figures and one self-contained report.html
in its output folder, whether it ran in the notebook or with `atlass train`.

    figures/samples.png            a few images of each category, as the network sees them
    figures/confusion.png          the confusion matrix of every candidate on the test images
    figures/pseudo_labels.png      the pseudo-labels accepted per round and category
    figures/confidence.png         the vote confidence of the unlabelled images, threshold marked
    report.html                    settings, dataset, rounds, figures and every figure of results.json
"""
from __future__ import annotations

import base64
import csv
import html
from pathlib import Path

import numpy as np

from .file_names import FIGURES, REPORT, votes_name



def _save(figure, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from . import notebook_display  # noqa: F401  (its warning filters: missing glyphs are not news)

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)          # saved, not shown: a notebook shows its figures itself
    return path


def pseudo_label_figure(rounds: list[dict], classes: list[str]):
    """Stacked bars: pseudo-labels accepted in each round, per category (None without rounds)."""
    import matplotlib.pyplot as plt

    if not rounds:
        return None
    figure, axis = plt.subplots(figsize=(1.2 + 0.8 * len(rounds), 3.2))
    bottom = np.zeros(len(rounds))
    numbers = [r["round"] for r in rounds]
    for name in classes:
        counts = np.array([r["accepted_per_class"].get(name, 0) for r in rounds], dtype=float)
        axis.bar(numbers, counts, bottom=bottom, label=name)
        bottom += counts
    axis.set_xlabel("round")
    axis.set_ylabel("pseudo-labels accepted")
    axis.set_xticks(numbers)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    axis.set_title("Pseudo-labels accepted per round", fontsize=10)
    return figure


def confidence_figure(output_dir: Path, rounds: list[dict]):
    """Histogram of every round's vote confidences, with the threshold (None without votes)."""
    import matplotlib.pyplot as plt

    found = []
    for entry in rounds:
        path = output_dir / votes_name(entry["round"])
        if path.is_file():
            with open(path, newline="", encoding="utf-8") as handle:
                found.append((entry, [float(row["confidence"]) for row in csv.DictReader(handle)]))
    if not found:
        return None
    figure, axis = plt.subplots(figsize=(5, 3.2))
    for entry, values in found:
        axis.hist(values, bins=20, range=(0, 1), histtype="step", label=f"round {entry['round']}")
    threshold = found[0][0].get("threshold")
    if threshold is not None:
        axis.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:g}")
    axis.set_xlabel("vote confidence")
    axis.set_ylabel("unlabelled images")
    axis.legend(fontsize=7)
    axis.set_title("Confidence of the votes on the unlabelled images", fontsize=10)
    return figure


def write_figures(workflow, results: dict) -> list[Path]:
    """The PNG figures of a finished run, in its figures/ folder; returns the files written."""
    from . import notebook_display as show

    folder = workflow.output / FIGURES
    made = [("samples.png", show.sample_figure(workflow.dataset, size=workflow.config.image_size)),
            ("confusion.png", show.confusion_figure(results)),
            ("pseudo_labels.png", pseudo_label_figure(results["rounds"], results["classes"])),
            ("confidence.png", confidence_figure(workflow.output, results["rounds"]))]
    return [_save(figure, folder / name) for name, figure in made if figure is not None]


def _table(table) -> str:
    return table.to_html(border=0, classes="table", escape=True)


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}"></figure>'


def write_report(workflow, results: dict, figures: list[Path]) -> Path:
    """report.html: everything about the run in one file, figures embedded (it opens offline)."""
    from . import notebook_display as show

    config = workflow.config
    paragraphs = [html.escape(line) for line in show.summary_lines(results)]
    counts = results["dataset"]
    unlabelled = show.unlabelled_sentence(counts["unlabelled"], counts.get("unlabelled_left_aside", 0),
                                          config.process)
    sections = [
        f"<h1>ATLASS run: {html.escape(config.process_info.title)} ({config.process})</h1>",
        "<p>" + "</p><p>".join(paragraphs) + "</p>",
        "<h2>Every candidate</h2>", _table(show.candidates_table(results)),
        f"<h2>{html.escape(results['selected']['name'])} per category on the test images</h2>",
        _table(show.per_class_table(results)),
        "<h2>Dataset</h2>", _table(show.dataset_table(workflow)),
        f"<p>{html.escape(unlabelled)} Files left out: {len(results['dataset']['skipped'])}.</p>",
    ]
    if results["rounds"]:
        sections += ["<h2>Pseudo-labelling rounds</h2>",
                     _table(show.rounds_table(results["rounds"], results["classes"])),
                     f"<p>Stopped because {html.escape(results['stop_reason'] or '')}.</p>"]
    sections += ["<h2>Figures</h2>"] + [_image(path) for path in figures]
    sections += ["<h2>Settings</h2>", _table(show.settings_table(config)),
                 f"<p>ATLASS {html.escape(results['atlass_version'])}, {html.escape(results['device'])}, "
                 f"{results['models_trained']} model(s) trained. Every figure is also in results.json.</p>"]
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>ATLASS report</title><style>"
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
            "table.table{border-collapse:collapse;font-size:90%;margin:0.5em 0}"
            "table.table td,table.table th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}"
            "img{max-width:100%}</style></head><body>" + "\n".join(sections) + "</body></html>\n")
    from .files import atomic_write_text

    path = workflow.output / REPORT
    atomic_write_text(path, page)
    return path

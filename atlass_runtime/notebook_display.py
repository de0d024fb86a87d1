"""What the generated notebook shows: tables and figures a biologist can read, one call per cell.

    from atlass_runtime import notebook_display as show
    show.dataset_summary(wf); show.sample_images(wf.dataset); show.rounds(wf); show.results(results)

In a notebook, tables and figures are displayed (IPython.display); elsewhere tables are printed
and figures are left open for the script to save. The showing functions return None (so a cell
does not display its table twice); the `*_table` and `*_figure` functions build what they show,
for scripts and tests.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .file_names import FIGURES, MODEL, MODEL_FILES, PSEUDO_LABELS, REPORT, RESULTS, SKIPPED, SPLIT
from .imageio import display_rgb8, is_image_name, network_image, read_image

# torch.hub imports tqdm.auto, which asks for ipywidgets in a kernel that lacks them; our progress
# is fastprogress's, so that advice is noise in the notebook.
warnings.filterwarnings("ignore", message="IProgress not found")
# A category named in a script the figure font lacks (Chinese, say) is drawn as boxes; matplotlib's
# warning about each missing glyph, with a source line, would bury the run's own warnings.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")

SPLIT_NAMES = {"train": "training", "valid": "validation", "test": "test"}
THUMBNAIL = 96


# ---------------------------------------------------------------------- showing
def in_notebook() -> bool:
    """True inside a Jupyter/Colab kernel (papermill included), False in a plain Python process."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _show_table(table: pd.DataFrame, title: str | None = None) -> None:
    if in_notebook():
        from IPython.display import Markdown, display

        if title:  # displayed, not printed: a headless run's log shows the tables' titles only with them
            display(Markdown(f"**{title.strip()}**"))
        display(table)
    else:
        if title:
            print(title)
        with pd.option_context("display.width", 200, "display.max_columns", 50):
            print(table.to_string())


def _show_figure(figure):
    if in_notebook():
        import matplotlib.pyplot as plt
        from IPython.display import display

        display(figure)
        plt.close(figure)


def _percent(value) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


# ---------------------------------------------------------------------- settings and dataset
def settings_table(config) -> pd.DataFrame:
    """Each setting with its value and what it means."""
    helps = config.field_help()
    rows = [(name, ", ".join(value) if isinstance(value, list) else value, helps[name])
            for name, value in config.to_dict().items()]
    return pd.DataFrame(rows, columns=["setting", "value", "meaning"]).set_index("setting")


def settings(config) -> None:
    """The run's settings with what each means, and which copy of ATLASS runs them."""
    from . import __version__

    print(f"ATLASS runtime {__version__}, from {Path(__file__).resolve().parent}")
    print(f"Process {config.process}: {config.process_info.title}. {config.process_info.explanation}")
    _show_table(settings_table(config))


def dataset_table(wf) -> pd.DataFrame:
    """Labelled images per category and how they are split, with a total row."""
    counts = {c: {name: 0 for name in SPLIT_NAMES} for c in wf.classes}
    for name in SPLIT_NAMES:
        for index in wf.split.of(name):
            counts[wf.dataset.labelled[index][1]][name] += 1
    rows = [[c, sum(n.values()), n["train"], n["valid"], n["test"]] for c, n in counts.items()]
    table = pd.DataFrame(rows, columns=["category", "labelled", "training", "validation", "test"])
    total = ["all categories"] + table.iloc[:, 1:].sum().tolist()
    table.loc[len(table)] = total
    return table.set_index("category")


def unlabelled_sentence(used: int, left_aside: int, process: str) -> str:
    if left_aside:
        return f"Unlabelled images: {left_aside}, left aside ({process} does not use them)."
    return f"Unlabelled images: {used}."


def dataset_summary(wf) -> None:
    """What was read: categories and their split, unlabelled images, files left out."""
    dataset = wf.dataset
    _show_table(dataset_table(wf), "Labelled images per category:")
    print(unlabelled_sentence(len(dataset.unlabelled), wf.unlabelled_left_aside, wf.process.code))
    if dataset.skipped:
        print(f"Files left out ({len(dataset.skipped)}):")
        for path, reason in dataset.skipped[:20]:
            print(f"  {wf.relative(path)}: {reason}")
        if len(dataset.skipped) > 20:
            print(f"  ... and {len(dataset.skipped) - 20} more (see skipped_files.csv)")


def _thumbnail(path) -> np.ndarray:
    import cv2

    image = display_rgb8(read_image(path))
    scale = THUMBNAIL / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA)
    return image


def image_grid(rows: dict[str, list[tuple[Path, str]]], title: str | None = None, size: int | None = None):
    """A figure with one row per key: images with a caption each (unreadable ones say so); at
    `size` x `size` as the network gets them when `size` is given."""
    import matplotlib.pyplot as plt

    columns = max([len(items) for items in rows.values()] + [1])
    figure, axes = plt.subplots(len(rows) or 1, columns, figsize=(1.6 * columns + 1.2, 1.8 * max(len(rows), 1)),
                                squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for r, (name, items) in enumerate(rows.items()):
        axes[r][0].text(-0.1, 0.5, name, transform=axes[r][0].transAxes, ha="right", va="center", fontsize=10)
        for c, (path, caption) in enumerate(items):
            try:
                axes[r][c].imshow(network_image(path, size) if size else _thumbnail(path))
            except Exception as exc:  # show the others even if one file cannot be read
                caption = f"unreadable ({type(exc).__name__})"
            axes[r][c].set_title(caption, fontsize=7)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def _pick(items: list, count: int, seed: int) -> list:
    if len(items) <= count:
        return list(items)
    chosen = np.random.default_rng(seed).choice(len(items), size=count, replace=False)
    return [items[i] for i in sorted(chosen)]


def short_name(name: str, length: int = 18) -> str:
    """A file name shortened in the middle, so its start and its end (the number) both show."""
    if len(name) <= length:
        return name
    keep = length - 1
    return name[:(keep + 1) // 2] + "…" + name[-(keep // 2):]


def sample_figure(dataset, per_class: int = 6, seed: int = 0, size: int | None = None):
    """A few images of each category (and of the unlabelled ones): at the network's input size
    `size` when given (8-bit, deeper images auto-contrasted, as the network gets them), else as
    thumbnails contrast-stretched for the eye."""
    rows = {}
    for name in dataset.classes:
        paths = [p for p, label in dataset.labelled if label == name]
        rows[name] = [(p, short_name(p.name)) for p in _pick(paths, per_class, seed)]
    if dataset.unlabelled:
        rows["(unlabelled)"] = [(p, short_name(p.name)) for p in _pick(dataset.unlabelled, per_class, seed)]
    title = f"Sample images, as the network sees them ({size} x {size} pixels)" if size else "Sample images"
    return image_grid(rows, title, size)


def sample_images(dataset, per_class: int = 6, seed: int = 0, size: int | None = None) -> None:
    """Show a few images of each category and of the unlabelled ones (at `size`, the network's)."""
    _show_figure(sample_figure(dataset, per_class, seed, size))


# ---------------------------------------------------------------------- pseudo-labels
def rounds_table(rounds: list[dict], classes: list[str]) -> pd.DataFrame:
    """One row per pseudo-labelling round: images before, accepted (per category), those above the
    threshold that label spreading left out (with `label_spreading`) or class balance held back, confidence."""
    spreading = any("left_out_by_label_spreading" in entry for entry in rounds)
    rows = []
    for entry in rounds:
        per_class = entry.get("accepted_per_class", {})
        rows.append({"round": entry["round"], "unlabelled before": entry["unlabelled_before"],
                     "accepted": entry["accepted"],
                     **{f"+ {c}": per_class.get(c, 0) for c in classes},
                     "left out by label spreading": sum(entry.get("left_out_by_label_spreading", {}).values()),
                     "held back by class balance": sum(entry.get("held_back_by_balance", {}).values()),
                     "mean confidence of accepted": _percent(entry.get("mean_confidence_accepted")),
                     "threshold": entry.get("threshold")})
    columns = ["round", "unlabelled before", "accepted", *[f"+ {c}" for c in classes],
               *(["left out by label spreading"] if spreading else []),
               "held back by class balance", "mean confidence of accepted", "threshold"]
    return pd.DataFrame(rows, columns=columns).set_index("round")


def transform_choice_table(choice: dict | None) -> pd.DataFrame | None:
    """transforms = "auto": the validation log-likelihood each step of the greedy choice gave."""
    if not choice:
        return None
    rows = [{"step": i, "added": step["added"] or "(none helps: stop)", "log-likelihood": step["log_likelihood"]}
            for i, step in enumerate(choice["steps"])]
    return pd.DataFrame(rows).set_index("step")


def rounds(wf) -> None:
    """The pseudo-labels added in each round, why pseudo-labelling stopped, the transforms the
    run chose and the temperatures it fitted, and the guard rails' warnings."""
    state = wf.state
    choice = transform_choice_table(state.transform_choice)
    if choice is not None:
        chosen = state.transform_choice["chosen"]
        _show_table(choice, "Transforms chosen on the validation images (higher log-likelihood is better):")
        print("Kept: the image itself" + (", " + ", ".join(chosen) if chosen else " only") + ".")
    _show_table(rounds_table(state.rounds, wf.classes), "Pseudo-labels added per round:")
    for entry in state.rounds:
        if entry.get("temperatures"):
            print(f"Round {entry['round']} temperatures: "
                  + ", ".join(f"{n} {t:.2f}" for n, t in entry["temperatures"].items()))
    print(f"In all: {len(state.pseudo_labels)} pseudo-labelled image(s) of {len(wf.dataset.unlabelled)} "
          f"unlabelled. Stopped because {state.stop_reason or 'it has not finished yet'}.")
    for item in state.warnings:
        print(f"Warning: {item['message']}")


def pseudo_label_figure(wf, per_class: int = 6, seed: int = 0):
    """Some pseudo-labelled images of each category, with confidence and round (None if none)."""
    by_class: dict[str, list] = {c: [] for c in wf.classes}
    for entry in wf.state.pseudo_labels:
        by_class[entry["label"]].append(entry)
    if not wf.state.pseudo_labels:
        return None
    rows = {c: [(wf.root / e["file"], f"{100 * e['confidence']:.0f}% (round {e['round']})")
                for e in _pick(entries, per_class, seed)]
            for c, entries in by_class.items() if entries}
    return image_grid(rows, "Pseudo-labelled images (confidence, round)")


def pseudo_label_samples(wf, per_class: int = 6, seed: int = 0) -> None:
    """Show some pseudo-labelled images of each category, with their confidence and round."""
    figure = pseudo_label_figure(wf, per_class, seed)
    if figure is None:
        print("No image received a pseudo-label.")
    else:
        _show_figure(figure)


# ---------------------------------------------------------------------- results
def candidates_table(results: dict) -> pd.DataFrame:
    """Every trained model on the validation and test images; the chosen one is marked."""
    chosen = results["selected"]["name"]
    rows = []
    for candidate in results["candidates"]:
        valid, test = candidate["validation"], candidate["test"]
        low, high = test["accuracy_ci95"]
        rows.append({"model": candidate["name"], "trained on": candidate["trained_on"],
                     "chosen": "yes" if candidate["name"] == chosen else "" if candidate["eligible"] else "(not eligible)",
                     "validation accuracy": _percent(valid["accuracy"]),
                     "validation macro F1": _percent(valid["macro_f1"]),
                     "test accuracy": _percent(test["accuracy"]),
                     "test 95% interval": f"{100 * low:.0f}-{100 * high:.0f}%",
                     "test macro F1": _percent(test["macro_f1"]),
                     "test images": test["n_images"]})
    return pd.DataFrame(rows).set_index("model")


def per_class_table(results: dict, name: str | None = None, split: str = "test") -> pd.DataFrame:
    """Precision, recall, F1 and number of images of each category, for one candidate."""
    name = name or results["selected"]["name"]
    metrics = next(c[split] for c in results["candidates"] if c["name"] == name)
    rows = [{"category": category, "precision": _percent(m["precision"]), "recall": _percent(m["recall"]),
             "F1": _percent(m["f1"]), "images": m["support"]} for category, m in metrics["per_class"].items()]
    return pd.DataFrame(rows).set_index("category")


def summary_lines(results: dict) -> list[str]:
    """The choice, its test figures against chance, whether pseudo-labelling helped, the warnings."""
    selected = results["selected"]
    test = selected["test"]
    low, high = test["accuracy_ci95"]
    lines = [f"Chosen: {selected['name']} (best on the {selected['select_on']} images). On the "
             f"{test['n_images']} test images: accuracy {_percent(test['accuracy'])} (95% interval "
             f"{100 * low:.0f}-{100 * high:.0f}%), macro F1 {_percent(test['macro_f1'])}; guessing at random "
             f"would score {_percent(test['chance']['uniform'])}, always answering the most frequent "
             f"category {_percent(test['chance']['majority'])}."]
    if selected["select_on"] == "test":
        lines.append("Note: the model was chosen on the test images (as in the paper), so these test figures "
                     "are optimistic; choose on 'validation' for an honest estimate.")
    if results.get("verdict"):
        lines.append(results["verdict"])
    lines += [f"Warning: {item['message']}" for item in results.get("warnings", [])]
    return lines


def results(results: dict) -> None:
    """The candidates table, the choice, whether pseudo-labelling helped, the warnings, and the
    chosen model's figures per category."""
    _show_table(candidates_table(results), "Every candidate:")
    print()
    for line in summary_lines(results):
        print(line)
    _show_table(per_class_table(results), f"\n{results['selected']['name']} on the test images, per category:")


def confusion_figure(results: dict, split: str = "test"):
    """One confusion matrix per candidate (rows: true category, columns: predicted)."""
    import matplotlib.pyplot as plt

    classes = results["classes"]
    chosen = results["selected"]["name"]
    candidates = sorted(results["candidates"], key=lambda c: c["name"] != chosen)  # chosen first
    size = 1.2 + 0.55 * len(classes)
    figure, axes = plt.subplots(1, len(candidates), figsize=(size * len(candidates) + 0.8, size + 0.8),
                                squeeze=False)
    for axis, candidate in zip(axes[0], candidates):
        matrix = np.array(candidate[split]["confusion_matrix"])
        axis.imshow(matrix, cmap="Blues", vmin=0, vmax=max(int(matrix.max()), 1))
        for (row, col), value in np.ndenumerate(matrix):
            axis.text(col, row, str(value), ha="center", va="center", fontsize=8,
                      color="white" if value > matrix.max() / 2 else "black")
        axis.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
        axis.set_yticks(range(len(classes)), classes, fontsize=8)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        marker = " (chosen)" if candidate["name"] == chosen else ""
        axis.set_title(f"{candidate['name']}{marker}\n{split} accuracy {_percent(candidate[split]['accuracy'])}",
                       fontsize=9)
    figure.tight_layout()
    return figure


def confusion_matrices(results: dict, split: str = "test") -> None:
    """Show the confusion matrix of every candidate, the chosen one first."""
    _show_figure(confusion_figure(results, split))


# ---------------------------------------------------------------------- export and prediction
def exported_files_table(output_dir) -> pd.DataFrame:
    """The files a run wrote that a user keeps (the model's three forms, the figures), with sizes."""
    output = Path(output_dir)
    names = [REPORT, *(f"{MODEL}/{name}" for name in MODEL_FILES[:3]), RESULTS, PSEUDO_LABELS, SPLIT, SKIPPED]
    names += sorted(p.relative_to(output).as_posix() for p in (output / FIGURES).glob("*.png"))
    rows = [{"file": name, "size": _size((output / name).stat().st_size)}
            for name in names if (output / name).is_file()]
    return pd.DataFrame(rows, columns=["file", "size"]).set_index("file")


def exported_files(result) -> None:
    """Where the run's output folder is, and the files in it a user keeps."""
    print(f"Output folder: {Path(result.output_dir).resolve()}")
    _show_table(exported_files_table(result.output_dir))


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def has_images(folder) -> bool:
    """True when `folder` exists and holds at least one image file (sub-folders searched)."""
    if not os.path.isdir(folder):
        return False
    return any(is_image_name(f) for _, _, files in os.walk(folder) for f in files)


def predictions(table: pd.DataFrame, max_rows: int = 20) -> None:
    """How many new images went to each category, and the first rows of the predictions."""
    counts = table["label"].value_counts().rename_axis("category").rename("images").to_frame()
    _show_table(counts, f"{len(table)} image(s) classified:")
    shown = table.head(max_rows).assign(file=lambda t: t["file"].map(lambda f: Path(f).name))
    _show_table(shown, f"The first {min(max_rows, len(table))}:")

"""`atlass demo`: the main job on the bundled sample, start to end, in a few minutes on a CPU.

It does what a user does: export the project zip (dataset + generated notebook), run that
notebook headless with papermill, and read the results. Run it again with the same --output to
see a finished run resume instantly.
"""
from __future__ import annotations

import csv
import sys
import time
from pathlib import Path


def register(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="generate the sample dataset and run the main job on it")
    demo.add_argument("--output", default="demo_output", help="folder for everything (default: %(default)s)")
    demo.set_defaults(handler=run_demo)


DEMO_NETWORK = "EfficientNet-Lite0"


def demo_config():
    """Small enough for a CPU in a few minutes; everything else as a user would choose: ImageNet
    weights (EfficientNet-Lite0's come installed, so no internet is needed) and the default recipe."""
    from atlass_runtime import RunConfig

    return RunConfig(process="IDD", networks=[DEMO_NETWORK], transforms=["H Flip", "V Flip", "Gamma"],
                     image_size=64, max_rounds=2, pretrained=True)


def run_demo(args) -> int:
    from atlass_runtime.logging_setup import print_line
    from atlass_project import build_zip, inspect_dataset, run_project
    from atlass_project.zip_builder import beside_notebook

    from .sample_cells import write_sample

    output = Path(args.output)
    dataset = write_sample(output / "sample_cells")
    report = inspect_dataset(dataset)
    print_line(report.summary())
    config = demo_config()
    zip_path = build_zip(dataset, config, output / "sample_cells.zip",
                         exclude=[p for p, _ in report.unreadable])
    print_line(f"Project zip (what the wizard gives a user): {zip_path}")
    print_line("Running its notebook headless with papermill, as `atlass run` does...")
    started = time.perf_counter()
    run = run_project(zip_path, output / "project", stdout=sys.stdout, stderr=sys.stderr)
    seconds = time.perf_counter() - started      # the notebook has printed its results above
    print(f"\nUsed: {', '.join(config.networks)} from its ImageNet weights (installed with ATLASS, "
          f"no download), {config.image_size} px, recipe {config.recipe}, process {config.process}, "
          f"on {run.results['device']}; {run.results['models_trained_this_session']} model(s) trained, "
          f"{seconds:.0f} s for the notebook run.")
    checked = pseudo_label_check(run.pseudo_labels_path,
                                 output / f"{dataset.name}_unlabelled_truth.csv")
    if checked:
        print(f"\nPseudo-labels against the sample's hidden truth: {checked[0]} of {checked[1]} correct.")
    print(f"\nExecuted notebook: {run.notebook}")
    print(f"Model:             {run.model_dir}")
    print(f"Report:            {run.output_dir / run.results['report']} (figures in {run.figures_dir})")
    print(f"Project zip:       {zip_path} (in Colab open {beside_notebook(zip_path).name}, which asks for "
          "the zip; or `atlass run` it)")
    return 0


def pseudo_label_check(pseudo_labels: Path, truth: Path) -> tuple[int, int] | None:
    """(correct, total) pseudo-labels, comparing with the generator's record of the true classes."""
    if not pseudo_labels.is_file() or not truth.is_file():
        return None
    with open(truth, newline="", encoding="utf-8") as f:
        true_label = {row["file"]: row["true_label"] for row in csv.DictReader(f)}
    with open(pseudo_labels, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    correct = sum(1 for row in rows if true_label.get(row["file"]) == row["label"])
    return correct, len(rows)

"""`atlass export` and `atlass run`: parse arguments, call the project layer, say where things are."""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

from atlass_runtime.config_cli import add_config_arguments, config_from_args
from atlass_runtime.errors import ConfigError, DatasetError

from .inspection import inspect_dataset
from .run_project import run_project
from .zip_builder import beside_notebook, build_zip, refuse_zip_inside


def register(subparsers) -> None:
    export = subparsers.add_parser(
        "export", help="write the project zip (dataset + notebook) for Colab, a GPU box or `atlass run`",
        description="Check an organised dataset and write ONE zip holding it, a notebook that trains "
                    "a classifier on it with the chosen settings, and everything the notebook needs.")
    export.add_argument("dataset", help="organised dataset: one folder per category + unlabelled/")
    export.add_argument("--output", "-o", metavar="ZIP",
                        help="the zip to write (default: the dataset folder's name + .zip, here)")
    export.add_argument("--name", help="the project's folder name inside the zip (default: the zip's name)")
    add_config_arguments(export)
    export.set_defaults(handler=_export, settings_style="flags")

    run = subparsers.add_parser(
        "run", help="execute a project zip or folder headless (papermill), resumable",
        description="Unpack a project zip safely and execute its notebook with papermill, keeping the "
                    "executed notebook. Run the same command again to continue an interrupted run "
                    "(--restart starts it again).")
    run.add_argument("project", help="a project zip (from `atlass export` or the wizard) or its unzipped folder")
    run.add_argument("--output", "-o", metavar="DIR",
                     help="for a zip: the folder it is unpacked into and run in (default: ./<project name>); "
                          "for a folder: where the results go (default: its own output folder)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="change a setting for this run, e.g. -p threshold 0.9 -p networks ResNet18,ResNet34")
    run.add_argument("--timeout", type=int, help="seconds allowed per notebook cell (default: no limit)")
    run.add_argument("--restart", action="store_true",
                     help="discard an earlier run in the output folder and start again (by default it is continued)")
    run.add_argument("--quiet", "-q", action="store_true", help="do not echo the notebook's printed output")
    run.set_defaults(handler=_run, settings_style="parameters")


# ---------------------------------------------------------------------- export
def _export(args: argparse.Namespace) -> int:
    dataset = Path(args.dataset)
    config = config_from_args(args, dataset_dir="dataset")
    zip_path = Path(args.output) if args.output else Path.cwd() / f"{dataset.resolve().name}.zip"
    refuse_zip_inside(dataset, zip_path, ConfigError)
    print(f"Checking the images of {dataset}...", flush=True)
    report = inspect_dataset(dataset)
    print(report.summary())
    findings = report.check(config)
    for finding in findings:
        print(f"{'Problem' if finding.blocking else 'Warning'}: {finding.message}")
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise DatasetError("the notebook would stop on the problem(s) above; fix the dataset and export again")

    shown = [0]

    def progress(done: int, total: int) -> None:  # a line per quarter, for zips that take a while
        quarter = 4 * done // max(total, 1)
        if total > 50 * 2**20 and quarter > shown[0]:
            shown[0] = quarter
            print(f"  writing {zip_path.name}: {25 * quarter}%", flush=True)

    build_zip(dataset, config, zip_path, progress=progress, exclude=[p for p, _ in report.unreadable])
    size = zip_path.stat().st_size / 2**20
    print(f"Wrote {zip_path} ({size:.1f} MB): process {config.process}, networks {', '.join(config.networks)}, "
          f"{report.labelled} labelled and {report.unlabelled} unlabelled images.")
    print(f"Wrote {beside_notebook(zip_path)}, the notebook. Next, in Google Colab: File > Upload notebook, "
          f"pick {beside_notebook(zip_path).name}, choose a GPU runtime, Run all, and pick {zip_path.name} when "
          f"it asks. Or run it here with: atlass run {zip_path}")
    return 0


# ---------------------------------------------------------------------- run
def parse_value(text: str):
    """A -p value: a list written as [a, b] is read as a list; anything else stays text (RunConfig
    turns text into numbers, true/false and comma-separated lists, naming the setting if it can't)."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            return ast.literal_eval(stripped)
        except (ValueError, SyntaxError):
            return [part.strip(" '\"") for part in stripped.strip("[]").split(",") if part.strip()]
    return text


def _run(args: argparse.Namespace) -> int:
    parameters = {name: parse_value(value) for name, value in args.parameter}
    echo = None if args.quiet else sys.stdout
    command = ["atlass", "run", args.project] + (["-o", args.output] if args.output else [])
    command += [part for name, value in args.parameter for part in ("-p", name, value)]
    if args.timeout:
        command += ["--timeout", str(args.timeout)]
    run = run_project(args.project, args.output, parameters, stdout=echo,
                      stderr=None if args.quiet else sys.stderr, timeout=args.timeout, restart=args.restart,
                      command=command)
    if args.quiet:      # otherwise the notebook has just printed it
        print_summary(run.results)
    print(f"\nExecuted notebook: {run.notebook}")
    print(f"Results (report):  {run.results_path}")
    print(f"Model:             {run.model_dir}")
    return 0


def print_summary(results: dict) -> None:
    """The results table of a run, as plain text."""
    from atlass_runtime.notebook_display import candidates_table, per_class_table, summary_lines

    print("\nEvery candidate:")
    print(candidates_table(results).to_string())
    print()
    for line in summary_lines(results):
        print(line)
    print(f"\n{results['selected']['name']} per category on the {results['selected']['test']['n_images']} test images:")
    print(per_class_table(results).to_string())

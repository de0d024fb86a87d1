"""`atlass train` and `atlass predict`: parse arguments, call the runtime, print where things are."""
from __future__ import annotations

import argparse
from pathlib import Path

from .config_cli import add_config_arguments, config_from_args


def register(subparsers) -> None:
    train = subparsers.add_parser(
        "train", help="run the whole workflow headless on an organised dataset folder",
        description="Train, pseudo-label, evaluate and export, as the generated notebook does. "
                    "Run the same command again to resume a run that was interrupted.")
    train.add_argument("dataset", help="organised dataset: one folder per category + unlabelled/")
    train.add_argument("--output", "-o", required=True, help="folder for checkpoints, results and the model")
    train.add_argument("--restart", action="store_true",
                       help="discard an earlier run in the output folder instead of resuming it")
    add_config_arguments(train)
    train.set_defaults(handler=_train, settings_style="flags")

    predict = subparsers.add_parser("predict", help="classify new images with an exported model")
    predict.add_argument("model", help="the 'model' folder of a run (or its model.pkl)")
    predict.add_argument("images", nargs="+", help="image files and/or folders (searched recursively)")
    predict.add_argument("--output", "-o", default="predictions.csv", help="CSV to write (default: %(default)s)")
    predict.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    predict.set_defaults(handler=_predict)


def _train(args: argparse.Namespace) -> int:
    from .logging_setup import print_line
    from .workflow import run_workflow

    config = config_from_args(args, dataset_dir=args.dataset, output_dir=args.output)
    result = run_workflow(config, log=print_line, restart=args.restart)
    from .notebook_display import summary_lines

    print_line("")
    for line in summary_lines(result.results):
        print_line(line)
    print_line(f"Report:        {result.output_dir / result.results['report']}")
    print_line(f"Results:       {result.results_path}")
    print_line(f"Pseudo-labels: {result.pseudo_labels_path}")
    print_line(f"Model:         {result.model_dir}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from .errors import AtlassError
    from .fastai_trainer import pick_device
    from .predict import predict_images

    try:
        pick_device(args.device)
    except AtlassError as exc:
        raise AtlassError(f"--device {exc}") from None
    table = predict_images(args.model, args.images, output_csv=args.output, device=args.device)
    counts = table["label"].value_counts().to_dict() if len(table) else {}
    print(f"{len(table)} image(s) classified -> {Path(args.output)}")
    for label, count in sorted(counts.items()):
        print(f"  {label}: {count}")
    return 0

"""`atlass wizard [DATASET]`: parse the arguments and open the window (Qt imported late, so
`atlass --help` works without it)."""
from __future__ import annotations

import argparse
from pathlib import Path

from atlass_runtime.errors import AtlassError


def register(subparsers) -> None:
    wizard = subparsers.add_parser(
        "wizard", help="configure a training run step by step and write the project zip (opens a window)",
        description="Choose the dataset, the process, the transforms, the networks and the training "
                    "settings page by page, then write ONE zip holding the dataset and a notebook to "
                    "run in Google Colab, on a local GPU or with `atlass run`. `atlass export` writes "
                    "the same zip without a window.")
    wizard.add_argument("dataset", nargs="?", metavar="DATASET",
                        help="organised dataset: one folder per category + unlabelled/ (asked if omitted)")
    wizard.add_argument("--output", "-o", metavar="ZIP",
                        help="where the zip goes (default: beside the dataset, named after it; "
                             "can be changed on the last page)")
    wizard.set_defaults(handler=_wizard)


def _wizard(args: argparse.Namespace) -> int:
    from ..display import display_problem

    problem = display_problem("the wizard")
    if problem:
        raise AtlassError(problem + " (or write the zip without a window: atlass export DATASET)")
    try:
        from .app import run_wizard
    except ImportError as exc:
        if (exc.name or "").startswith("PySide6"):
            raise AtlassError("the wizard needs Qt; install it with: pip install 'atlass[gui]' "
                              "(or write the zip without a window: atlass export DATASET)") from exc
        raise
    return run_wizard(Path(args.dataset).expanduser() if args.dataset else None,
                      Path(args.output).expanduser() if args.output else None)

"""`atlass annotate`: parse the arguments, open the session, start the Qt app (imported late,
so `atlass --help` works without Qt)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .errors import AnnotatorError
from .start_request import StartRequest


def register(subparsers) -> None:
    annotate = subparsers.add_parser(
        "annotate", help="sort a folder of images into categories (opens a window)",
        description="Sort images into categories, building the organised dataset in the output folder "
                    "(the image folder is never modified). Without arguments a start dialog asks for the "
                    "folders and categories; with --output alone, an existing output folder is continued.")
    annotate.add_argument("images", nargs="?", metavar="IMAGE_FOLDER",
                          help="folder of images to sort (sub-folders are searched too)")
    annotate.add_argument("--output", "-o", metavar="DIR",
                          help="folder for the organised dataset (new, empty, or one to continue)")
    annotate.add_argument("--categories", "-c", metavar="A,B,C", help="comma-separated category names")
    annotate.add_argument("--rearrange", action="store_true",
                          help="with --output alone: allow moving the files of a folder that is not an ATLASS "
                               "session into the organised layout (without it such a folder is left untouched)")
    annotate.add_argument("--review", metavar="RUN",
                          help="review the pseudo-labels of a finished run (its output folder, or the results "
                               "zip the notebook offers) on the dataset given with --output: accept, correct or "
                               "reject each; then label the images the run was least sure about")
    annotate.set_defaults(handler=_annotate)


def parse_categories(text: str | None) -> list[str]:
    """'G1, S ,G2' -> ['G1', 'S', 'G2'] (names are checked when the session opens)."""
    if not text:
        return []
    names = [name.strip() for name in text.split(",")]
    if any(not name for name in names):
        raise AnnotatorError(f"--categories {text!r}: an empty name; separate the names with single commas")
    return names


def request_from_args(args: argparse.Namespace) -> StartRequest:
    review = Path(args.review).expanduser() if getattr(args, "review", None) else None
    if review is not None and not args.output:
        raise AnnotatorError("--review needs --output DATASET: the organised dataset the run was made on")
    if review is not None and not review.exists():
        raise AnnotatorError(f"--review {review}: no such folder or zip; give a run's output folder or its "
                             "results zip")
    return StartRequest(Path(args.images).expanduser() if args.images else None,
                        Path(args.output).expanduser() if args.output else None,
                        parse_categories(args.categories), review, bool(getattr(args, "rearrange", False)))


def open_session(request: StartRequest):
    """The session the request names (created or continued); errors say what to change."""
    from .session import Session

    if request.images is None:
        return Session.open(request.output, rearrange=request.rearrange)
    return Session.start(request.images, request.output, request.categories)


def _annotate(args: argparse.Namespace) -> int:
    from wizard.display import display_problem

    request = request_from_args(args)
    problem = display_problem("the annotator")
    if problem:
        raise AnnotatorError(problem)
    try:
        from .ui.app import run_app
    except ImportError as exc:
        if (exc.name or "").startswith("PySide6"):
            raise AnnotatorError("the annotator needs Qt; install it with: pip install 'atlass[gui]'") from exc
        raise
    session = open_session(request) if request.opens_directly() else None
    return run_app(session, request)

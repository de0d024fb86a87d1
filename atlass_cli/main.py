"""`atlass <subcommand>`: each layer registers its own subcommands; this only dispatches.

Layers that are not installed (the Qt extra) or not written yet are skipped, so the runtime's
commands work on a kernel that has nothing else.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from atlass_runtime import __version__
from atlass_runtime.errors import AtlassError, AtlassWarning

# Modules with a `register(subparsers)` function, in the order their commands are listed.
COMMAND_MODULES = ("annotator.cli", "wizard.ui.cli", "atlass_project.cli", "atlass_runtime.cli", "atlass_cli.demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atlass", description="Turn a folder of biomedical images into a trained classifier.")
    parser.add_argument("--version", action="version", version=f"atlass {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(subparsers)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, AtlassWarning):
        print(f"Warning: {message}", file=sys.stderr, flush=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def quiet_openmp() -> None:
    """OpenMP threads that spin while waiting make a CPU shared with other programs crawl (7x
    slower measured on a busy 2-core machine); sleeping instead costs next to nothing on a free
    CPU. Set before torch is imported; the notebook kernels `atlass run` starts inherit it; a
    value the user set is kept."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _as_typed(exc: AtlassError, args) -> str:
    """A setting's error names it as the user typed it: `--size` for `atlass train`, `-p
    image_size` for `atlass run`, the field's name elsewhere."""
    from atlass_runtime.config_cli import flag_for
    from atlass_runtime.errors import ConfigError

    from atlass_runtime import RunConfig

    style = getattr(args, "settings_style", None)
    if not isinstance(exc, ConfigError) or style is None or exc.field not in RunConfig.field_names() + ["output"]:
        return str(exc)
    typed = flag_for(exc.field) if style == "flags" else f"-p {exc.field}"
    return f"{typed}: {exc.reason}"


def main(argv: list[str] | None = None) -> int:
    quiet_openmp()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    warnings.showwarning = _show_warning
    try:
        return int(args.handler(args) or 0)
    except AtlassError as exc:
        print(f"Error: {_as_typed(exc, args)}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; run the same command again to continue where it stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

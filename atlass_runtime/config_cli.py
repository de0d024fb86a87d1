"""Command-line flags made from RunConfig's fields, shared by `atlass train` and `atlass export`,
so the flags, config.json and the notebook's parameters can never drift apart."""
from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from .config import RunConfig
from .errors import ConfigError

# Fields set by positional arguments or dedicated flags of each command.
_POSITIONAL = {"dataset_dir", "output_dir"}
_ALIASES = {"image_size": ["--size"]}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per RunConfig field (e.g. --process, --networks a,b, --no-pretrained), plus
    --epochs F,U and --config FILE (JSON or YAML; flags given as well win)."""
    group = parser.add_argument_group("run settings (default: the paper's values for the process)")
    group.add_argument("--config", metavar="FILE", help="read settings from a JSON or YAML file")
    group.add_argument("--epochs", metavar="F,U",
                       help="epochs of stage 1 (head only) and stage 2 (whole network), e.g. 2,8")
    for f in fields(RunConfig):
        if f.name in _POSITIONAL:
            continue
        help_text = f.metadata["help"]
        names = [_flag(f.name)] + _ALIASES.get(f.name, [])
        if f.type in ("bool", bool):
            group.add_argument(*names, dest=f.name, default=None,
                               action=argparse.BooleanOptionalAction, help=help_text)
        else:
            group.add_argument(*names, dest=f.name, default=None, metavar=f.name.upper(),
                               help=help_text + (f" Choices: {', '.join(f.metadata['choices'])}."
                                                 if "choices" in f.metadata else ""))


def read_config_file(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError("config", f"{path} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        values = yaml.safe_load(text) or {}
    else:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("config", f"{path} is not valid JSON ({exc})") from exc
    if not isinstance(values, dict):
        raise ConfigError("config", f"{path} must hold a mapping of settings to values")
    return values


def config_from_args(args: argparse.Namespace, **fixed) -> RunConfig:
    """RunConfig from --config, then the flags given, then `fixed` (dataset/output paths)."""
    values = read_config_file(args.config) if args.config else {}
    if args.epochs:
        parts = [p.strip() for p in str(args.epochs).split(",")]
        if len(parts) != 2:
            raise ConfigError("epochs", f"give two numbers, stage 1 and stage 2, e.g. 2,8 (got {args.epochs!r})")
        values["epochs_frozen"], values["epochs_unfrozen"] = parts
    for f in fields(RunConfig):
        given = getattr(args, f.name, None)
        if given is not None and f.name not in _POSITIONAL:
            values[f.name] = given
    values.update({k: v for k, v in fixed.items() if v is not None})
    return RunConfig.from_dict(values)

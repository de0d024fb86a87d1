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
# How a command line names each field, where that is not --field-name.
_TYPED = {"image_size": "--size", "dataset_dir": "DATASET", "output_dir": "--output",
          "epochs_frozen": "--epochs", "epochs_unfrozen": "--epochs"}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def flag_for(field_name: str) -> str:
    """The flag (or argument) a user types for a RunConfig field: '--size' for image_size."""
    return _TYPED.get(field_name, _flag(field_name))


def config_as_flags(config: RunConfig) -> list[str]:
    """The flags that give `config` on a command line: --process, then only the settings that
    differ from the process's (and recipe's) defaults; `add_config_arguments` reads them back to
    the same config."""
    defaults = RunConfig(process=config.process, recipe=config.recipe).to_dict()
    values = config.to_dict()
    flags = ["--process", config.process]
    if config.recipe != RunConfig().recipe:
        flags += ["--recipe", config.recipe]
    if (values["epochs_frozen"], values["epochs_unfrozen"]) != (defaults["epochs_frozen"], defaults["epochs_unfrozen"]):
        flags += ["--epochs", f"{values['epochs_frozen']},{values['epochs_unfrozen']}"]
    for name, value in values.items():
        if name in ("process", "recipe", "epochs_frozen", "epochs_unfrozen") or name in _POSITIONAL \
                or value == defaults[name]:
            continue
        if isinstance(value, bool):
            flags.append(_flag(name) if value else "--no-" + _flag(name)[2:])
        elif isinstance(value, list):
            flags += [_flag(name), ",".join(value)]     # transforms "auto" is the list ["auto"]
        else:
            flags += [_flag(name), str(value)]
    return flags


def _default_text(f) -> str:
    from .transforms import TRANSFORMS

    extra = ""
    if f.name == "transforms":
        extra = f" The ten: {', '.join(TRANSFORMS)}."
    if f.default is None:
        return extra
    shown = f.default if not isinstance(f.default, bool) else ("on" if f.default else "off")
    return extra + f" (default: {shown})"


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
        help_text = f.metadata["help"] + _default_text(f)
        names = [_flag(f.name)] + _ALIASES.get(f.name, [])
        if f.type in ("bool", bool, "bool | None"):
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

        try:
            values = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f" at line {where.line + 1}" if where is not None else ""
            raise ConfigError("config", f"{path} is not valid YAML{line} "
                              f"({getattr(exc, 'problem', None) or exc}); fix the file or use JSON") from None
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
    from_file = set(values)
    if args.epochs:
        parts = [p.strip() for p in str(args.epochs).split(",")]
        if len(parts) != 2:
            raise ConfigError("epochs", f"give two numbers, stage 1 and stage 2, e.g. 2,8 (got {args.epochs!r})")
        values["epochs_frozen"], values["epochs_unfrozen"] = parts
    for f in fields(RunConfig):
        given = getattr(args, f.name, None)
        if given is not None and f.name not in _POSITIONAL:
            values[f.name] = given
    given = {f.name for f in fields(RunConfig) if getattr(args, f.name, None) is not None}
    if args.epochs:
        given |= {"epochs_frozen", "epochs_unfrozen"}
    values.update({k: v for k, v in fixed.items() if v is not None})
    try:
        return RunConfig.from_dict(values)
    except ConfigError as exc:
        if exc.field in from_file and exc.field not in given:   # say where the bad value was written
            raise ConfigError("config", f"{args.config}: {exc}") from None
        raise

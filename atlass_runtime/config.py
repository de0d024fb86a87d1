"""RunConfig: THE schema of a run. The wizard pages, the CLI flags, the notebook's parameters cell
and config.json are all made from it and validated by it.

Fields left as None take the paper's defaults for the chosen process (design section 4), so a
config written to disk is always explicit.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .networks import canonical_network
from .processes import PROCESSES, get_process
from .recipes import LR_RULES, RECIPES, get_recipe
from .transforms import canonical_transform

VOTES = ("hard", "soft")
SELECT_ON = ("validation", "test")
CANDIDATES = ("all", "pseudo-labelled")
AUTO = "auto"   # transforms chosen for the user on the validation images
SELF_TRAINING_DEFAULTS = {"class_balance": True, "revote": False, "calibrate": False, "label_spreading": False}

# The defaults the help texts state, taken from where they are decided.
_ITERATIVE = PROCESSES["IMDD"]
_ON_OFF = {True: "on", False: "off"}


def _recipe_defaults(name: str) -> str:
    return ", ".join(f"{code} {getattr(recipe, name)}" for code, recipe in RECIPES.items())


def _help(text: str, **extra) -> dict:
    """A field's declaration: `help` (the CLI's, the notebook form's and the wizard's tooltip),
    `page` (the wizard page that sets it; None: not set in the wizard), and where they apply
    `choices`, `bounds` (low, high: the validation and every widget's range) and `basic` (shown in
    the notebook's basic form)."""
    return {"help": text, **extra}


@dataclass
class RunConfig:
    process: str = field(default="IMDD", metadata=_help(
        "Which of the seven processes to run: " + ", ".join(PROCESSES) + ".",
        choices=tuple(PROCESSES), basic=True, page="process"))
    networks: list[str] | None = field(default=None, metadata=_help(
        "Networks to train (ResNet18..ResNet152, DenseNet121..DenseNet201, AlexNet, "
        "EfficientNet-Lite0..Lite2 (their ImageNet weights come installed: they work offline), or a "
        "timm model name). Default: the paper's choice for the process.", basic=True, page="networks"))
    transforms: list[str] | None = field(default=None, metadata=_help(
        "Test-time transforms used when labelling unlabelled images (processes with data "
        "distillation), or 'auto' to let the run choose them on the validation images. "
        f"Default: {', '.join(_ITERATIVE.default_transforms)}.", basic=True, page="transforms"))
    threshold: float | None = field(default=None, metadata=_help(
        "Confidence (0-1) a vote needs for an unlabelled image to be added (iterative "
        f"processes; default {_ITERATIVE.default_threshold:g}). Non-iterative processes accept every vote (0).",
        basic=True, page="threshold", bounds=(0.0, 1.0)))
    vote: str = field(default="hard", metadata=_help(
        "'hard': weighted majority vote (the paper); 'soft': average of probabilities "
        "(the original code).", choices=VOTES, page="training"))
    max_rounds: int | None = field(default=None, metadata=_help(
        f"Most pseudo-labelling rounds for iterative processes (default {_ITERATIVE.default_max_rounds}).",
        basic=True, page="threshold", bounds=(0, 100)))
    class_balance: bool | None = field(default=None, metadata=_help(
        "In a round, each category takes at most its share of your labelled images among the "
        "accepted pseudo-labels (most confident first), so one category cannot take over. "
        f"Processes that use unlabelled images; default {_ON_OFF[SELF_TRAINING_DEFAULTS['class_balance']]} "
        "(off: the paper's process).", page="training"))
    revote: bool | None = field(default=None, metadata=_help(
        "Each round votes again on every unlabelled image, the pseudo-labelled ones too, so an "
        "early mistake can be undone (the paper never re-votes). Iterative processes; default "
        f"{_ON_OFF[SELF_TRAINING_DEFAULTS['revote']]}.", page="training"))
    calibrate: bool | None = field(default=None, metadata=_help(
        "Fit a temperature per network on the validation images before the vote, so that a "
        "confidence of 0.8 means about 80% right. Processes that use unlabelled images; default "
        f"{_ON_OFF[SELF_TRAINING_DEFAULTS['calibrate']]}.",
        page="training"))
    label_spreading: bool | None = field(default=None, metadata=_help(
        "Accept a pseudo-label only where a second opinion agrees: your labels spread to the "
        "unlabelled images along their nearest neighbours in the networks' features (label "
        "spreading), and the category that reaches an image must be the one voted. Processes that "
        f"use unlabelled images; default {_ON_OFF[SELF_TRAINING_DEFAULTS['label_spreading']]}.", page="training"))
    candidates: str = field(default="all", metadata=_help(
        "Which trained models compete in the final choice: 'all' (the models trained on your labels "
        "alone too, so a run is never worse than your labels on the validation images; on a tie "
        "the pseudo-labelled model is kept) or "
        "'pseudo-labelled' (only those trained with pseudo-labels, as in the paper).",
        choices=CANDIDATES, page="training"))
    recipe: str = field(default="lp-ft", metadata=_help(
        "How each network is trained: 'lp-ft' fits the new last layer on the frozen features, "
        "then fine-tunes the whole network gently (made for a few dozen images per category); "
        "'quick' fits the last layer only (seconds on a CPU); 'paper' is the original recipe.",
        choices=tuple(RECIPES), basic=True, page="training"))
    epochs_frozen: int | None = field(default=None, metadata=_help(
        "Epochs training only the new head, body frozen (stage 1; after the linear probe in "
        f"lp-ft). Default: the recipe's ({_recipe_defaults('epochs_frozen')}).", page="training", bounds=(0, 1000)))
    epochs_unfrozen: int | None = field(default=None, metadata=_help(
        "Epochs training the whole network with discriminative learning rates (stage 2). "
        f"Default: the recipe's ({_recipe_defaults('epochs_unfrozen')}).", page="training", bounds=(0, 1000)))
    lr_rule: str | None = field(default=None, metadata=_help(
        "How the learning-rate finder's curve gives the rate of stage 2: 'valley', 'steep', "
        "'minimum' (a tenth of the lowest-loss rate; fastai's suggestions) or 'paper' (the "
        "lowest-loss rate). Default: the recipe's.", choices=LR_RULES, page="training"))
    image_size: int = field(default=224, metadata=_help(
        "Images are resized to this many pixels square.", basic=True, page="training", bounds=(16, 2048)))
    batch_size: int = field(default=32, metadata=_help("Images per training batch.",
        page="training", bounds=(2, 4096)))
    seed: int = field(default=42, metadata=_help(
        "Random seed for the split, training and augmentation (same seed, same result).",
        page="training", bounds=(0, 2**31 - 1)))
    valid_fraction: float = field(default=0.15, metadata=_help(
        "Share of each class's labelled images used to choose the best model.",
        page="training", bounds=(0.01, 0.9)))
    test_fraction: float = field(default=0.25, metadata=_help(
        "Share of each class's labelled images kept apart to report the final figures.",
        page="training", bounds=(0.01, 0.9)))
    pretrained: bool = field(default=True, metadata=_help(
        "Start from ImageNet weights (transfer learning). Needs internet or a filled TORCH_HOME.",
        page="training"))
    select_on: str = field(default="validation", metadata=_help(
        "Split used to choose the best model: 'validation' (sound) or 'test' (what the "
        "paper did; the reported test figures are then optimistic).", choices=SELECT_ON, page="training"))
    mixed_precision: bool = field(default=True, metadata=_help(
        "Use 16-bit mixed precision on a GPU (ignored on a CPU).", page="training"))
    dataset_dir: str = field(default="dataset", metadata=_help(
        "The organised dataset: one folder per category plus 'unlabelled/'.", page=None))
    output_dir: str = field(default="atlass_output", metadata=_help(
        "Where checkpoints, pseudo-labels, results and the exported model are written.", page=None))

    def __post_init__(self):
        self._resolve_and_validate()

    # ----------------------------------------------------------------- construction
    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def field_help(cls) -> dict[str, str]:
        return {f.name: f.metadata["help"] for f in fields(cls)}

    @classmethod
    def bounds(cls, name: str) -> tuple:
        """(low, high) of a numeric setting: what validation allows and every widget offers."""
        return cls.__dataclass_fields__[name].metadata["bounds"]

    @classmethod
    def page_fields(cls) -> dict[str, tuple[str, ...]]:
        """The fields each wizard page sets, in declaration order."""
        pages: dict[str, tuple[str, ...]] = {}
        for f in fields(cls):
            if f.metadata["page"] is not None:
                pages[f.metadata["page"]] = pages.get(f.metadata["page"], ()) + (f.name,)
        return pages

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        """Build from plain values (JSON, YAML, papermill parameters); unknown keys are errors."""
        known = set(cls.field_names())
        for key in values:
            if key not in known:
                raise ConfigError(key, f"unknown setting; known settings are: {', '.join(sorted(known))}")
        return cls(**values)

    @classmethod
    def from_settings(cls, values: dict[str, Any], exported: dict | str | Path | None = None
                      ) -> tuple["RunConfig", list[str]]:
        """(config, the settings that differ from the exported ones), from a notebook's form or
        papermill's parameters. A value equal to the exported config.json's is taken as not
        chosen, so changing the process alone resets what depends on it, as `atlass run -p
        process ND` and the wizard do. `exported`: config.json's values or its path (ignored when
        the file is missing)."""
        if isinstance(exported, (str, Path)):
            exported = json.loads(Path(exported).read_text(encoding="utf-8")) if Path(exported).is_file() else None
        if not exported:
            return cls.from_dict(values), []
        changed = {k: v for k, v in values.items() if not _same_setting(v, exported.get(k))}
        return cls.from_dict(exported).replace(**changed), sorted(changed)

    @classmethod
    def from_json(cls, path: str | Path) -> "RunConfig":
        path = Path(path)
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError("config", f"{path} is not valid JSON ({exc})") from exc
        if not isinstance(values, dict):
            raise ConfigError("config", f"{path} must hold a JSON object of settings")
        return cls.from_dict(values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        """Deterministic JSON text (the wizard and `atlass export` write the same bytes)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    def replace(self, **changes) -> "RunConfig":
        """A copy with some fields changed. Changing the process resets the fields whose
        defaults depend on it, unless they are given too."""
        values = self.to_dict()
        if "process" in changes and get_process(changes["process"]).code != self.process:
            for name in ("networks", "transforms", "threshold", "max_rounds", "class_balance",
                         "revote", "calibrate", "label_spreading"):
                values[name] = None
        if "recipe" in changes and get_recipe(changes["recipe"]).name != self.recipe:
            for name in ("epochs_frozen", "epochs_unfrozen", "lr_rule"):
                values[name] = None
        values.update(changes)
        return RunConfig.from_dict(values)

    def fingerprint(self) -> dict[str, Any]:
        """The settings that decide what a run computes (paths left out): a resumed run must match."""
        values = self.to_dict()
        values.pop("output_dir")
        values.pop("dataset_dir")
        return values

    # ----------------------------------------------------------------- derived facts
    @property
    def process_info(self):
        return get_process(self.process)

    @property
    def auto_transforms(self) -> bool:
        return self.transforms == [AUTO]

    @property
    def recipe_info(self):
        return get_recipe(self.recipe)

    @property
    def epochs(self) -> tuple[int, int]:
        return self.epochs_frozen, self.epochs_unfrozen

    # ----------------------------------------------------------------- validation
    def _resolve_and_validate(self) -> None:
        try:
            process = get_process(_require_str("process", self.process))
        except KeyError as exc:
            raise ConfigError("process", exc.args[0]) from None
        self.process = process.code

        self.networks = _name_list("networks", self.networks, process.default_networks, canonical_network)
        if not self.networks:
            raise ConfigError("networks", "choose at least one network")
        if not process.multi_network and len(self.networks) != 1:
            raise ConfigError("networks", f"process {process.code} trains exactly one network; "
                              f"got {len(self.networks)} ({', '.join(self.networks)})")

        if _is_auto(self.transforms):
            self.transforms = [AUTO]
        else:
            self.transforms = _name_list("transforms", self.transforms, process.default_transforms,
                                         canonical_transform)
        if process.uses_transforms and not self.transforms:
            raise ConfigError("transforms", f"process {process.code} needs at least one transform")
        if not process.uses_transforms and self.transforms:
            raise ConfigError("transforms", f"process {process.code} uses no test-time transforms; "
                              "leave this empty or choose a process with data distillation")

        if self.threshold is None:
            self.threshold = process.default_threshold
        self.threshold = _bounded("threshold", self.threshold, float)
        if not process.iterative and self.threshold != 0.0:
            raise ConfigError("threshold", f"process {process.code} accepts every vote (threshold 0); "
                              "choose an iterative process to use a threshold")

        self.vote = _choice("vote", self.vote, VOTES)
        self.class_balance = _applies("class_balance", self.class_balance, process.settable("class_balance"),
                                      f"process {process.code} uses no unlabelled images")
        self.calibrate = _applies("calibrate", self.calibrate, process.settable("calibrate"),
                                  f"process {process.code} uses no unlabelled images")
        self.label_spreading = _applies("label_spreading", self.label_spreading,
                                        process.settable("label_spreading"),
                                        f"process {process.code} uses no unlabelled images")
        self.revote = _applies("revote", self.revote, process.settable("revote"),
                               f"process {process.code} " + ("votes once; re-voting needs an iterative process"
                                                             if process.distills else "uses no unlabelled images"))
        self.candidates = _choice("candidates", self.candidates, CANDIDATES)

        if self.max_rounds is None:
            self.max_rounds = process.default_max_rounds
        self.max_rounds = _bounded("max_rounds", self.max_rounds, int)
        if not process.iterative and self.max_rounds != process.default_max_rounds:
            raise ConfigError("max_rounds", f"process {process.code} runs exactly "
                              f"{process.default_max_rounds} round(s)")
        if process.iterative and self.max_rounds < 1:
            raise ConfigError("max_rounds", "iterative processes need at least 1 round")

        try:
            recipe = get_recipe(_require_str("recipe", self.recipe))
        except KeyError as exc:
            raise ConfigError("recipe", exc.args[0]) from None
        self.recipe = recipe.name
        if self.epochs_frozen is None:
            self.epochs_frozen = recipe.epochs_frozen
        if self.epochs_unfrozen is None:
            self.epochs_unfrozen = recipe.epochs_unfrozen
        self.epochs_frozen = _bounded("epochs_frozen", self.epochs_frozen, int)
        self.epochs_unfrozen = _bounded("epochs_unfrozen", self.epochs_unfrozen, int)
        if not recipe.probe_first and self.epochs_frozen + self.epochs_unfrozen < 1:
            raise ConfigError("epochs_unfrozen", "train for at least one epoch in total")
        if recipe.name == "lp-ft" and self.epochs_unfrozen < 1:
            raise ConfigError("epochs_unfrozen", "lp-ft fine-tunes the whole network for at least one "
                              "epoch; for the linear probe alone choose recipe quick")
        if recipe.name == "quick" and self.epochs_unfrozen:
            raise ConfigError("epochs_unfrozen", "the quick recipe keeps the network frozen (0 "
                              "epochs); choose recipe lp-ft to fine-tune the whole network")
        self.lr_rule = _choice("lr_rule", recipe.lr_rule if self.lr_rule is None else self.lr_rule, LR_RULES)
        self.image_size = _bounded("image_size", self.image_size, int)
        self.batch_size = _bounded("batch_size", self.batch_size, int)
        self.seed = _bounded("seed", self.seed, int)
        self.valid_fraction = _bounded("valid_fraction", self.valid_fraction, float)
        self.test_fraction = _bounded("test_fraction", self.test_fraction, float)
        if self.valid_fraction + self.test_fraction >= 0.95:
            raise ConfigError("test_fraction", "validation and test fractions together must leave "
                              "at least 5% of the images for training")
        self.pretrained = _boolean("pretrained", self.pretrained)
        self.mixed_precision = _boolean("mixed_precision", self.mixed_precision)
        self.select_on = _choice("select_on", self.select_on, SELECT_ON)
        self.dataset_dir = _require_str("dataset_dir", self.dataset_dir)
        self.output_dir = _require_str("output_dir", self.output_dir)


def _same_setting(given, exported) -> bool:
    """A form's text 'ResNet18, ResNet34' is the list ['ResNet18', 'ResNet34']; names match in
    any case."""
    if isinstance(exported, list) and isinstance(given, str):
        given = [part.strip() for part in given.split(",") if part.strip()]
    if isinstance(given, list) and isinstance(exported, list):
        return [str(v).lower() for v in given] == [str(v).lower() for v in exported]
    return given == exported


# What the improved self-training options default to where they apply, chosen by the ablation
# in benchmarks/results/ssl_ablation.md (IDD, four datasets, k = 25, 3 seeds): class balance
# kept every class within about twice its labelled share (the paper's process let one reach 4.6
# times) at the same accuracy; re-voting and calibrated confidence changed accuracy by less than
# the noise (calibration cut the pseudo-labels to a third at threshold 0.8), so they stay options.
# Label spreading's second opinion raised pseudo-label precision by about 2.6 points and test
# accuracy by nothing measurable (benchmarks/results/ssl_label_spreading.md): an option too.
def _applies(name: str, value, applies: bool, why_not: str) -> bool:
    """A self-training option: its default where it applies, off where it does not (and an error
    when it is asked for there)."""
    if value is None:
        return SELF_TRAINING_DEFAULTS[name] if applies else False
    value = _boolean(name, value)
    if value and not applies:
        raise ConfigError(name, f"{why_not}; leave it off")
    return value


def _is_auto(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == AUTO
    return isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], str) \
        and value[0].strip().lower() == AUTO


def _require_str(name: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(name, f"expected a non-empty text, got {value!r}")
    return value.strip()


def _choice(name: str, value, allowed) -> str:
    text = _require_str(name, value).lower()
    if text not in allowed:
        raise ConfigError(name, f"{value!r} is not allowed; choose one of {', '.join(allowed)}")
    return text


def _boolean(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise ConfigError(name, f"expected true or false, got {value!r}")


def _bounded(name: str, value, kind):
    return _number(name, value, kind, *RunConfig.bounds(name))


def _number(name: str, value, kind, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(name, f"expected a number from {low} to {high}, got {value!r}")
    try:
        number = kind(value) if not isinstance(value, str) else kind(float(value) if kind is float else value)
    except ValueError:
        raise ConfigError(name, f"expected a number from {low} to {high}, got {value!r}") from None
    if kind is int and isinstance(value, float) and value != int(value):
        raise ConfigError(name, f"expected a whole number, got {value!r}")
    if not low <= number <= high:
        raise ConfigError(name, f"{value!r} is out of range; allowed: {low} to {high}")
    return number


def _name_list(name: str, value, default, canonical) -> list[str]:
    if value is None:
        return list(default)
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(name, f"expected a list of names, got {value!r}")
    names = []
    for item in value:
        try:
            canon = canonical(item)
        except KeyError as exc:
            raise ConfigError(name, exc.args[0]) from None
        if canon in names:
            raise ConfigError(name, f"{canon} is listed twice")
        names.append(canon)
    return names

"""What the wizard decides, kept free of Qt so it is tested without widgets.

`WizardModel` holds the one RunConfig every page reads and writes, the dataset's inspection
report and where the zip goes. A page hands its values to `WizardModel.set`; a value RunConfig
refuses is kept aside (`pending`) with its error, which names the field, until the page fixes it
or is left with Back. It answers the pages' questions with pages.py (which pages a process needs,
which processes a dataset allows) and cost.py (the rough cost of a run), and here: the images
the transform previews use, the zip's path, and the `atlass export` command that writes the
same zip.
"""
from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from atlass_runtime import ConfigError, RunConfig
from atlass_runtime.config_cli import config_as_flags
from atlass_runtime.split import class_split_sizes

from .cost import Cost, seconds_per_model, training_cost
from .pages import ProcessChoice, next_page, pages_for, process_choices

if TYPE_CHECKING:
    import numpy as np

# ---------------------------------------------------------------------- previews and paths
def preview_candidates(report, limit: int = 20) -> list[Path]:
    """Images to preview the transforms on: unlabelled ones first (the transforms are applied to
    those), then one per category; unreadable files left out."""
    if report is None:
        return []
    unreadable = {Path(p) for p, _ in report.unreadable}
    dataset = report.dataset
    found = [p for p in sorted(dataset.unlabelled) if p not in unreadable][: limit // 2]
    seen = set()
    for path, label in sorted(dataset.labelled, key=lambda item: (item[1], str(item[0]))):
        if label not in seen and path not in unreadable:
            seen.add(label)
            found.append(path)
    return found[:limit]


def default_zip_path(dataset_dir: str | Path) -> Path:
    """Beside the dataset folder, named after it: `cells/` -> `cells.zip`."""
    dataset = Path(dataset_dir).expanduser().resolve()
    return dataset.parent / f"{dataset.name}.zip"


def zip_path_problem(text: str, dataset_dir: str | Path | None = None) -> str | None:
    """Why this text cannot be the zip to write, or None."""
    if not text.strip():
        return "choose where the zip goes"
    path = Path(text.strip()).expanduser()
    if dataset_dir is not None and Path(dataset_dir).expanduser().resolve() in path.resolve().parents:
        return "the zip cannot go inside the dataset folder (the next run would read it as data)"
    if path.suffix.lower() != ".zip":
        return "the file name must end in .zip"
    if path.is_dir():
        return "this is a folder; give a file name ending in .zip"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a folder"
    return None


def export_command(config: RunConfig, dataset_dir: str | Path, zip_path: str | Path) -> list[str]:
    """The `atlass export` command that writes the same zip (the config.json it writes is the
    same, byte for byte): the flags come from the CLI's own `config_as_flags`."""
    return ["atlass", "export", str(dataset_dir), "-o", str(zip_path), *config_as_flags(config)]


def shell_text(command: list[str]) -> str:
    return shlex.join(command)


# ---------------------------------------------------------------------- the model
class WizardModel:
    """The wizard's state: the RunConfig, the dataset and its report, the zip's path."""

    def __init__(self, dataset_dir: str | Path | None = None, zip_path: str | Path | None = None,
                 config: RunConfig | None = None):
        # dataset_dir / output_dir as `atlass export` sets them, so config.json matches its own
        self.config = config or RunConfig(dataset_dir="dataset")
        self.pending: dict = {}
        self.error: ConfigError | None = None
        self.dataset_dir = Path(dataset_dir).expanduser() if dataset_dir else None
        self.report = None
        self.zip_path = Path(zip_path).expanduser() if zip_path else None
        self.zip_path_chosen = zip_path is not None   # by the user: it no longer follows the dataset

    # --------------------------------------------------------------- config
    def set(self, **changes) -> ConfigError | None:
        """Apply page values; on a refused value keep it pending and return the error."""
        self.pending.update(changes)
        try:
            config = self.config.replace(**self.pending)
        except ConfigError as exc:
            self.error = exc
            return exc
        self.config, self.pending, self.error = config, {}, None
        return None

    def discard_pending(self) -> None:
        """Forget refused values (the page was left with Back; it shows the config again)."""
        self.pending, self.error = {}, None

    def error_for(self, field: str) -> str | None:
        """The message for `field` without its name (the page shows it next to the field)."""
        if self.error is None or self.error.field != field:
            return None
        text = str(self.error)
        return text.removeprefix(f"{field}: ")

    # --------------------------------------------------------------- dataset
    def set_dataset(self, path: str | Path | None) -> None:
        """Another dataset (its report comes later); a zip path that was only the old dataset's
        default follows the new dataset."""
        path = Path(path).expanduser() if path else None
        if path != self.dataset_dir:
            if not self.zip_path_chosen:
                self.zip_path = None             # the next report gives the new dataset's default
            self.dataset_dir, self.report = path, None

    def set_report(self, report) -> None:
        """The inspection of the current dataset; without unlabelled images the process becomes ND."""
        self.report = report
        if report is not None and not report.has_unlabelled and self.config.process_info.distills:
            self.discard_pending()
            self.set(process="ND")
        if self.zip_path is None and self.dataset_dir is not None:
            self.zip_path = default_zip_path(self.dataset_dir)

    @property
    def has_unlabelled(self) -> bool:
        return self.report is not None and self.report.has_unlabelled

    def processes(self) -> list[ProcessChoice]:
        return process_choices(self.has_unlabelled)

    def findings(self) -> list:
        """What the user should know before writing: the inspection's findings plus those that
        depend on the settings (a blocking one would stop the notebook)."""
        return self.report.check(self.config) if self.report is not None else []

    def blocking(self) -> list:
        return [f for f in self.findings() if f.blocking]

    # --------------------------------------------------------------- pages and summary
    def pages(self) -> list[str]:
        return pages_for(self.config.process)

    def next_page(self, current: str) -> str | None:
        return next_page(current, self.config.process)

    def cost(self) -> Cost:
        cost = training_cost(self.config)
        if self.report is None:
            return cost
        config = self.config
        train = sum(class_split_sizes(n, config.valid_fraction, config.test_fraction)[0]
                    for n in self.report.counts.values() if n >= 3)
        each = sum(seconds_per_model(n, config, train) for n in config.networks) / len(config.networks)
        with_pseudo = sum(seconds_per_model(n, config, train + self.report.unlabelled)
                          for n in config.networks) / len(config.networks)
        low = cost.fewest * each
        high = each * min(cost.most, len(config.networks)) + with_pseudo * max(cost.most - len(config.networks), 0)
        return dataclasses.replace(cost, cpu_seconds=(low, max(low, high)))

    def summary(self) -> list[tuple[str, str]]:
        """(what, value) lines of the summary page, in plain words."""
        config, process = self.config, self.config.process_info
        lines = []
        if self.report is not None:
            report = self.report
            lines.append(("Dataset", f"{report.root}: {len(report.counts)} categories, "
                                     f"{report.labelled} labelled and {report.unlabelled} unlabelled images"))
        lines.append(("Process", f"{process.title} ({process.code}): {process.explanation}"))
        lines.append(("Networks" if len(config.networks) > 1 else "Network", ", ".join(config.networks)))
        if process.uses_transforms:
            lines.append(("Transforms", "chosen by the run on the validation images (the image itself is "
                                        "always used)" if config.auto_transforms
                          else "the image itself, " + ", ".join(config.transforms)))
        if process.iterative:
            lines.append(("Threshold", f"an unlabelled image is added when its vote's confidence is above "
                                       f"{config.threshold:g}; at most {config.max_rounds} round(s)"))
        elif process.distills:
            lines.append(("Threshold", "every voted label is added (one round)"))
        split_train = round(100 * (1 - config.valid_fraction - config.test_fraction))
        lines.append(("Training", f"recipe {config.recipe}, {config.epochs_frozen} + {config.epochs_unfrozen} epochs, "
                                  f"{config.image_size} px, batch {config.batch_size}, seed {config.seed}, "
                                  f"split {split_train}/{round(100 * config.valid_fraction)}/"
                                  f"{round(100 * config.test_fraction)} % (train/validation/test), "
                                  + ("ImageNet weights" if config.pretrained else "no pretrained weights")))
        lines.append(("Cost", self.cost().text()))
        return lines

    def export_command(self) -> list[str]:
        return export_command(self.config, self.dataset_dir or "DATASET", self.zip_path or "project.zip")


def transform_previews(path: str | Path, size: int) -> dict[str, np.ndarray]:
    """The image as a network sees it (8-bit RGB, size x size: deeper images auto-contrasted)
    under the name 'Original', and each transform of the registry applied to it, as the
    pseudo-labelling applies them."""
    from atlass_runtime.imageio import network_image
    from atlass_runtime.transforms import TRANSFORMS

    original = network_image(path, size)
    views = {"Original": original}
    views.update((name, fn(original)) for name, fn in TRANSFORMS.items())
    return views

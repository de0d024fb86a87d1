"""Writing the zip from the wizard: for each of the seven processes, walked through the real pages,
the zip's config.json (and notebook, README, requirements) equal, byte for byte, what `atlass
export` writes for the same choices; cancelling leaves neither a zip nor a partial file."""
from __future__ import annotations

import json
import threading
import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QWizard
from wizard_ui_helpers import click, click_next, zip_names, zip_texts

from atlass_cli.main import main
from atlass_project.errors import ExportCancelled
from wizard.ui import summary_page

pytestmark = pytest.mark.gui

TRAINING = {"epochs_frozen": 1, "epochs_unfrozen": 3, "image_size": 64, "batch_size": 16, "seed": 7,
            "valid_fraction": 20, "test_fraction": 20, "pretrained": False, "mixed_precision": False,
            "vote": "soft", "select_on": "test"}
TRAINING_FLAGS = ["--epochs", "1,3", "--size", "64", "--batch-size", "16", "--seed", "7",
                  "--valid-fraction", "0.2", "--test-fraction", "0.2", "--no-pretrained",
                  "--no-mixed-precision", "--vote", "soft", "--select-on", "test"]

# What the user changes on the pages, per process (anything left out keeps its default).
CHOICES = {
    "ND": {"networks": ["ResNet18", "DenseNet121"], "training": True},
    "DD": {"networks": ["ResNet34"], "transforms": ["H Flip", "Median Blur", "Equalize histogram"]},
    "IDD": {"networks": ["DenseNet121"], "transforms": ["V Flip", "2D-Filter"], "threshold": 0.9,
            "max_rounds": 3, "training": True},
    "MD": {"networks": ["ResNet18", "ResNet34", "AlexNet"]},
    "IMD": {"threshold": 0.75, "max_rounds": 2},
    "MDD": {"transforms": ["Gaussian Blur", "Bilateral Filter"]},
    "IMDD": {"training": True},
}


def export_flags(process: str, choices: dict) -> list[str]:
    flags = ["--process", process]
    if "networks" in choices:
        flags += ["--networks", ",".join(choices["networks"])]
    if "transforms" in choices:
        flags += ["--transforms", ",".join(choices["transforms"])]
    if "threshold" in choices:
        flags += ["--threshold", str(choices["threshold"])]
    if "max_rounds" in choices:
        flags += ["--max-rounds", str(choices["max_rounds"])]
    return flags + (TRAINING_FLAGS if choices.get("training") else [])


def walk(wizard, qtbot, process: str, choices: dict) -> None:
    """From the dataset page to the summary page, setting the widgets like a user."""
    click_next(qtbot, wizard)
    click(qtbot, wizard.page_named("process").buttons[process])
    click_next(qtbot, wizard)
    while wizard.current_name() != "summary":
        name, page = wizard.current_name(), wizard.page_named(wizard.current_name())
        if name == "transforms" and "transforms" in choices:
            for transform, box in page.boxes.items():
                if box.isChecked() != (transform in choices["transforms"]):
                    click(qtbot, box)
        elif name == "networks" and "networks" in choices:
            buttons = page.choice.buttons
            for network in choices["networks"]:          # tick the wanted ones first: a radio
                if not buttons[network].isChecked():     # button cannot be unticked by a click
                    click(qtbot, buttons[network])
            for network, button in buttons.items():
                if button.isChecked() and network not in choices["networks"]:
                    click(qtbot, button)
        elif name == "threshold":
            if "threshold" in choices:
                page.threshold.setValue(choices["threshold"])
            if "max_rounds" in choices:
                page.rounds.setValue(choices["max_rounds"])
        elif name == "training" and choices.get("training"):
            click(qtbot, page.toggle)
            for field, value in TRAINING.items():
                widget = page.fields[field]
                if field in ("pretrained", "mixed_precision"):
                    if widget.isChecked() != value:
                        click(qtbot, widget)
                elif field in ("vote", "select_on"):
                    widget.setCurrentIndex(widget.findData(value))
                else:
                    widget.setValue(value)
        click_next(qtbot, wizard)


def write(wizard, qtbot, zip_path) -> None:
    page = wizard.page_named("summary")
    page.path_edit.setText(str(zip_path))
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert finish.text() == "Write zip"
    with qtbot.waitSignal(page.written, timeout=120000):
        click(qtbot, finish)
    assert finish.text() == "Close"


@pytest.mark.parametrize("process", list(CHOICES))
def test_the_zip_of_each_process_equals_what_atlass_export_writes(make_wizard, qtbot, mixed_dataset, tmp_path,
                                                                  process, capsys):
    choices = CHOICES[process]
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, process, choices)
    ours = tmp_path / "wizard" / "project.zip"
    write(wizard, qtbot, ours)

    theirs = tmp_path / "export" / "project.zip"
    assert main(["export", str(mixed_dataset), "-o", str(theirs)] + export_flags(process, choices)) == 0
    capsys.readouterr()

    ours_texts, theirs_texts = zip_texts(ours), zip_texts(theirs)
    assert set(ours_texts) == {"atlass.ipynb", "config.json", "README.md", "requirements.txt"}
    assert ours_texts["config.json"] == theirs_texts["config.json"]          # byte for byte
    assert ours_texts == theirs_texts
    assert zip_names(ours) == zip_names(theirs)

    config = json.loads(ours_texts["config.json"])
    assert config["process"] == process
    assert config["networks"] == choices.get("networks", config["networks"])
    assert config["transforms"] == choices.get("transforms", config["transforms"])
    assert config["threshold"] == choices.get("threshold", config["threshold"])
    assert config["pretrained"] is not choices.get("training", False)
    assert wizard.written_zip == ours


def test_the_same_choices_as_the_equivalent_command_shown_on_the_summary(make_wizard, qtbot, mixed_dataset,
                                                                        tmp_path, capsys):
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, "IDD", CHOICES["IDD"])
    ours = tmp_path / "wizard" / "cells.zip"
    write(wizard, qtbot, ours)
    command = wizard.model.export_command()
    assert command[:2] == ["atlass", "export"]
    theirs = tmp_path / "cli" / "cells.zip"
    command[command.index("-o") + 1] = str(theirs)
    assert main(command[1:]) == 0
    capsys.readouterr()
    assert zip_texts(ours)["config.json"] == zip_texts(theirs)["config.json"]


@pytest.fixture
def slow_zip(monkeypatch):
    """build_zip that pauses after its first file until it is cancelled (or 60 s pass), so a test
    can cancel while the zip is being written. `started` is set once the first file is in."""
    started = threading.Event()
    real = summary_page.build_zip

    def build_zip(*args, progress, cancel, **kwargs):
        def progress_then_wait(done, total):
            progress(done, total)
            started.set()
            end = time.monotonic() + 60
            while not cancel() and time.monotonic() < end:
                time.sleep(0.01)
        return real(*args, progress=progress_then_wait, cancel=cancel, **kwargs)

    monkeypatch.setattr(summary_page, "build_zip", build_zip)
    return started


def test_cancelling_while_the_zip_is_written_leaves_nothing(make_wizard, qtbot, mixed_dataset, tmp_path, slow_zip):
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, "MD", {})
    page = wizard.page_named("summary")
    out = tmp_path / "out"
    zip_path = out / "cells.zip"
    page.path_edit.setText(str(zip_path))
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(slow_zip.is_set, timeout=60000)
    assert (out / "cells.zip.partial").exists()                  # really in the middle of writing
    assert page.cancel_button.isVisible() and page.progress.isVisible()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()
    with qtbot.waitSignal(page.stopped, timeout=60000) as stopped:
        click(qtbot, page.cancel_button)
    assert stopped.args == ["cancelled"]
    assert list(out.iterdir()) == []                             # no zip, no partial file
    assert "no zip was written" in page.status.text()
    assert wizard.written_zip is None
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert finish.isEnabled() and finish.text() == "Write zip"   # can be written again


def test_closing_the_wizard_while_the_zip_is_written_leaves_nothing(make_wizard, qtbot, mixed_dataset, tmp_path,
                                                                   slow_zip):
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, "ND", {})
    out = tmp_path / "out"
    wizard.page_named("summary").path_edit.setText(str(out / "cells.zip"))
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(slow_zip.is_set, timeout=60000)
    assert (out / "cells.zip.partial").exists()
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    assert not wizard.isVisible()
    assert wizard.pool.activeThreadCount() == 0
    assert list(out.iterdir()) == []


def test_a_cancelled_zip_keeps_an_older_zip_of_the_same_name(make_wizard, qtbot, mixed_dataset, tmp_path,
                                                           slow_zip):
    older = tmp_path / "cells.zip"                 # beside the dataset: the default place
    older.write_bytes(b"an older project")
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, "ND", {})
    page = wizard.page_named("summary")
    assert page.path_edit.text() == str(older)
    assert "asks before replacing" in page.replace_note.text()
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(slow_zip.is_set, timeout=60000)
    with qtbot.waitSignal(page.stopped, timeout=60000):
        click(qtbot, page.cancel_button)
    assert older.read_bytes() == b"an older project"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cells", "cells.zip"]


def test_after_writing_close_closes_and_a_changed_setting_asks_to_write_again(make_wizard, qtbot, mixed_dataset,
                                                                             tmp_path, replacing_is_answered):
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, "IMD", {})
    write(wizard, qtbot, tmp_path / "out" / "cells.zip")
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    click_next(qtbot, wizard)
    assert finish.text() == "Close" and "Wrote" in wizard.page_named("summary").status.text()
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    wizard.page_named("training").fields["seed"].setValue(3)
    click_next(qtbot, wizard)
    assert finish.text() == "Write zip" and wizard.page_named("summary").status.text() == ""
    assert replacing_is_answered == []
    write(wizard, qtbot, tmp_path / "out" / "cells.zip")                 # over the first: asked first
    assert len(replacing_is_answered) == 1 and "already exists" in replacing_is_answered[0]
    assert json.loads(zip_texts(tmp_path / "out" / "cells.zip")["config.json"])["seed"] == 3
    click(qtbot, finish)
    assert not wizard.isVisible() and wizard.result() == QWizard.DialogCode.Accepted


def test_the_progress_of_a_zip_over_2_gib_reaches_the_bar(make_wizard, qtbot, mixed_dataset, tmp_path,
                                                          monkeypatch):
    """Byte counts past 2**31 (a 32-bit Qt int) arrive intact: the bar moves, nothing overflows."""
    release = threading.Event()

    def big_zip(*args, progress, cancel, **kwargs):
        progress(3 * 2**31, 4 * 2**31)          # 6 of 8 GiB written
        release.wait(60)
        raise ExportCancelled("stopped by the test")

    monkeypatch.setattr(summary_page, "build_zip", big_zip)
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, "ND", {})
    page = wizard.page_named("summary")
    page.path_edit.setText(str(tmp_path / "big.zip"))
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    try:
        qtbot.waitUntil(lambda: page.progress.maximum() == 1000, timeout=60000)
        assert page.progress.value() == 750
    finally:
        release.set()
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)


def test_replacing_is_refused_when_the_user_says_no(make_wizard, qtbot, mixed_dataset, tmp_path, monkeypatch):
    from wizard.ui import summary_page

    target = tmp_path / "cells.zip"
    target.write_bytes(b"an earlier zip")
    monkeypatch.setattr(summary_page, "ask_replace", lambda parent, text: False)
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, "ND", {})
    page = wizard.page_named("summary")
    page.path_edit.setText(str(target))
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    assert page.task is None and target.read_bytes() == b"an earlier zip"


def test_the_zip_path_follows_the_dataset_unless_chosen(tmp_path):
    from wizard.plan import WizardModel, default_zip_path

    first, second = tmp_path / "a", tmp_path / "b"
    model = WizardModel(first)
    model.set_report(object.__new__(type("R", (), {"has_unlabelled": False})))
    assert model.zip_path == default_zip_path(first)
    model.set_dataset(second)
    model.set_report(object.__new__(type("R", (), {"has_unlabelled": False})))
    assert model.zip_path == default_zip_path(second)
    model.zip_path, model.zip_path_chosen = tmp_path / "mine.zip", True
    model.set_dataset(first)
    assert model.zip_path == tmp_path / "mine.zip"


def test_after_writing_one_button_and_the_next_step(make_wizard, qtbot, mixed_dataset, tmp_path):
    wizard = make_wizard(mixed_dataset)
    walk(wizard, qtbot, "ND", {})
    write(wizard, qtbot, tmp_path / "cells.zip")
    assert wizard.button(QWizard.WizardButton.FinishButton).text() == "Close"
    assert not wizard.button(QWizard.WizardButton.BackButton).isVisible()
    assert not wizard.button(QWizard.WizardButton.CancelButton).isVisible()
    status = wizard.page_named("summary").status.text()
    assert "1. File > Upload notebook: cells.ipynb" in status and (tmp_path / "cells.ipynb").is_file()

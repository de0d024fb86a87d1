"""A kill -9 right after a series of assignments loses none of them."""
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from annotator.manifest import manifest_path
from helpers import child_env
from annotator_helpers import layout, make_flat_folder

pytestmark = [pytest.mark.gui, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")]
DRIVER = Path(__file__).with_name("kill_driver.py")


def test_sigkill_after_assignments_loses_nothing(tmp_path, sessions, open_window):
    source = make_flat_folder(tmp_path / "images", 300, size=32)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, str(DRIVER), str(source), str(out), "25"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=child_env(QT_QPA_PLATFORM="offscreen"))
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    assigned = {}
    try:
        for line in process.stdout:
            if line.startswith("assigned "):
                _, name, category = line.split()
                assigned[name] = category
            elif line.strip() == "done":
                break
        process.send_signal(signal.SIGKILL)                # no chance to save or close anything
        process.wait()
    finally:
        watchdog.cancel()
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    assert len(assigned) == 25 and set(assigned.values()) == {"G1", "S"}

    json.loads(manifest_path(out).read_text())            # written atomically: never half a file
    disk = layout(out)
    assert {name for name, category in assigned.items() if category == "G1"} == disk["G1"]
    assert {name for name, category in assigned.items() if category == "S"} == disk["S"]
    window = open_window(sessions.open(out))
    assert window.progress_label.text() == "25 / 300 labelled"
    assert {image.name: image.category for image in window.session.images if image.category} == assigned
    window.session.storage.wait_filled(30)
    assert len(layout(out)["unlabelled"]) == 275                  # the interrupted filling is finished

"""The installed Qt binding must keep Python's reference counts right: PySide6 6.12.0 on Python
3.11 drops a reference to None or True on many calls (a signal emitted, a model's data() answering
None...), so after a few hundred key presses the annotator aborts with 'Fatal Python error:
none_dealloc'. 6.11.3 is fine. From Python 3.12 on, None and True are immortal and cannot be
freed, so the bug is harmless there."""
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.skipif(sys.version_info >= (3, 12), reason="None and True are immortal")]

CHECK = """
import sys
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Signal
import PySide6

class Model(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()):
        return 1
    def data(self, index, role=0):
        return None

class Emitter(QObject):
    changed = Signal()

model, emitter = Model(), Emitter()
index = model.index(0)
before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(200):
    index.data()
    emitter.changed.emit()
after = sys.getrefcount(None), sys.getrefcount(True)
print(PySide6.__version__, after[0] - before[0], after[1] - before[1])
"""


def test_the_qt_binding_keeps_reference_counts():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    version, none_drift, true_drift = result.stdout.split()
    assert (int(none_drift), int(true_drift)) == (0, 0), (
        f"PySide6 {version} loses references to None/True ({none_drift}, {true_drift} in 200 calls): the "
        "annotator would abort after a few hundred actions. Install PySide6-Essentials<6.12 (6.11.3 works).")

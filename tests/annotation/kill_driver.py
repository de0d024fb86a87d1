"""Run by test_annotator_kill.py: the real window, offscreen, sorting images with the number keys.
It prints each assignment once made, then 'done', then waits to be killed.

    python kill_driver.py IMAGE_FOLDER OUTPUT_FOLDER COUNT
"""
import os
import sys
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from annotator import Session  # noqa: E402
from annotator.ui.app import application  # noqa: E402
from annotator.ui.main_window import MainWindow  # noqa: E402


def main(image_folder: str, output: str, count: int) -> None:
    app = application()
    window = MainWindow(Session.start(image_folder, output, ["G1", "S"]))
    window.show()
    window.activateWindow()
    deadline = time.monotonic() + 20
    while not window.isActiveWindow() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for i in range(count):
        QTest.keyClick(window.grid, (Qt.Key.Key_1, Qt.Key.Key_2)[i % 2])
        app.processEvents()
        image = window.session.images[i]
        print(f"assigned {image.name} {image.category}", flush=True)
    print("done", flush=True)
    while True:
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

"""Real microscopy images from ../shared/data (skipped when absent): 16-bit TIFFs with values
~150-1700 and RGB JPEG blood cells must show with contrast, never black."""
import numpy as np
import pytest

from annotator_helpers import SHARED_DATA

pytestmark = pytest.mark.gui


def shared(name):
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"{path} is not available (real datasets live beside the checkout)")
    return path


def qimage_array(image):
    image = image.convertToFormat(image.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return data[:, :image.width() * 3].reshape(image.height(), image.width(), 3)


@pytest.mark.parametrize("dataset, count", [("jurkat-cellcycle-16bit-tiff", 369), ("pbc-blood-cells-subset", 800)])
def test_real_images_get_visible_thumbnails(dataset, count, tmp_path, sessions, open_window, qtbot):
    source = shared(dataset)
    window = open_window(sessions.create(source, tmp_path / "out", ["A", "B"]))
    assert len(window.session) == count
    qtbot.waitUntil(lambda: all(window.images.thumbnail(row) is not None for row in range(6)), timeout=20000)
    for row in range(6):
        pixels = qimage_array(window.images.thumbnail(row))
        assert pixels.std() > 20 and 30 < pixels.mean() < 225, (row, pixels.mean(), pixels.std())
    qtbot.waitUntil(lambda: window.preview.view.has_image() and "x" in window.preview.info.text(), timeout=20000)
    assert ("16-bit grey" if "16bit" in dataset else "8-bit RGB") in window.preview.info.text()

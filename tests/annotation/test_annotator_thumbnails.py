"""Thumbnails and previews: auto-contrast for 16-bit and dim images, reasons for broken files,
and the disk cache."""
import os

import numpy as np
import pytest

from annotator import thumbnails
from annotator.thumbnails import ThumbnailStore, make_preview
from atlass_runtime.errors import ImageReadError
from annotator_helpers import write_image


def test_16_bit_images_with_a_narrow_range_are_not_black(tmp_path):
    path = write_image(tmp_path / "dim.tif", np.linspace(150, 1700, 40 * 40).reshape(40, 40).astype(np.uint16))
    thumbnail = ThumbnailStore(None).thumbnail("dim.tif", [path])
    assert thumbnail.dtype == np.uint8 and thumbnail.shape == (40, 40, 3)
    assert thumbnail.min() <= 5 and thumbnail.max() >= 250          # stretched over the whole range


def test_dim_8_bit_images_are_stretched_and_colour_order_kept(tmp_path):
    dim = write_image(tmp_path / "dim.png", np.tile(np.arange(0, 40, dtype=np.uint8), (40, 1)))
    assert ThumbnailStore(None).thumbnail("dim.png", [dim]).max() >= 250
    red_bgr = np.zeros((20, 20, 3), np.uint8)
    red_bgr[:, :10, 2] = 200                                          # left half red
    red = ThumbnailStore(None).thumbnail("red.png", [write_image(tmp_path / "red.png", red_bgr)])
    assert red[5, 2, 0] > 200 and red[5, 2, 2] < 50


def test_large_images_are_shrunk_keeping_their_shape(tmp_path):
    path = write_image(tmp_path / "wide.png", np.random.default_rng(0).integers(0, 255, (300, 600, 3), dtype=np.uint8))
    assert ThumbnailStore(None).thumbnail("wide.png", [path]).shape == (64, 128, 3)


def test_unreadable_files_raise_with_the_reason(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ImageReadError) as caught:
        ThumbnailStore(None).thumbnail("broken.png", [broken])
    assert caught.value.reason
    with pytest.raises(ImageReadError, match="file not found"):
        ThumbnailStore(None).thumbnail("gone.png", [tmp_path / "gone.png"])


def test_a_moved_file_is_read_from_the_next_path(tmp_path):
    path = write_image(tmp_path / "b" / "x.png", np.full((8, 8), 9, np.uint8))
    assert ThumbnailStore(None).thumbnail("x.png", [tmp_path / "a" / "x.png", path]).shape == (8, 8, 3)


def test_the_disk_cache_is_used_until_the_file_changes(tmp_path, monkeypatch):
    path = write_image(tmp_path / "x.png", np.tile(np.arange(64, dtype=np.uint8), (64, 1)))
    store = ThumbnailStore(tmp_path / "cache")
    first = store.thumbnail("x.png", [path])
    assert len(list((tmp_path / "cache").rglob("*.jpg"))) == 1

    def must_not_decode(path):
        raise AssertionError("decoded although cached")
    monkeypatch.setattr(thumbnails, "read_image", must_not_decode)
    assert np.abs(store.thumbnail("x.png", [path]).astype(int) - first).max() < 12     # JPEG-close
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    with pytest.raises(AssertionError, match="decoded although cached"):
        store.thumbnail("x.png", [path])


def test_preview_describes_the_file(tmp_path):
    path = write_image(tmp_path / "p.tif", np.full((30, 50), 700, np.uint16))
    preview = make_preview(path)
    assert preview.description == "50 x 30, 16-bit grey" and preview.rgb.shape == (30, 50, 3)

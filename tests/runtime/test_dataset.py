"""Reading the organised layout and surviving the files real folders contain."""

import numpy as np
import pytest

from atlass_runtime.dataset import scan_dataset
from atlass_runtime.errors import DatasetError
from atlass_runtime.image_store import ImageStore
from helpers import make_awkward_dataset, write_png


def test_layout_class_folders_unlabelled_and_loose_root_files(tmp_path):
    root = tmp_path / "ds"
    write_png(root / "G1" / "a.png", np.zeros((8, 8), np.uint8))
    write_png(root / "G1" / "nested" / "b.png", np.zeros((8, 8), np.uint8))
    write_png(root / "S phase" / "c.png", np.zeros((8, 8), np.uint8))
    (root / "Empty").mkdir()
    write_png(root / "unlabelled" / "u1.png", np.zeros((8, 8), np.uint8))
    write_png(root / "loose.png", np.zeros((8, 8), np.uint8))       # original ATLASS layout
    (root / ".DS_Store").write_bytes(b"junk")
    (root / "notes.txt").write_text("not an image")
    dataset = scan_dataset(root)
    assert dataset.classes == ["Empty", "G1", "S phase"]
    assert sorted(p.name for p, _ in dataset.labelled) == ["a.png", "b.png", "c.png"]
    assert dataset.counts() == {"Empty": 0, "G1": 2, "S phase": 1}
    assert sorted(p.name for p in dataset.unlabelled) == ["loose.png", "u1.png"]
    assert [(p.name, why) for p, why in dataset.skipped] == [("notes.txt", "not an image file (.txt)")]


def test_categories_differing_only_by_case_are_refused(tmp_path):
    write_png(tmp_path / "Cell" / "a.png", np.zeros((4, 4), np.uint8))
    write_png(tmp_path / "cell" / "b.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DatasetError, match="letter case"):
        scan_dataset(tmp_path)


def test_missing_folder_and_no_categories_explain_the_layout(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        scan_dataset(tmp_path / "nope")
    write_png(tmp_path / "only_loose.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DatasetError, match="one sub-folder per category|category folders"):
        scan_dataset(tmp_path)


def test_image_store_decodes_what_it_can_and_names_the_rest(tmp_path):
    expected_bad = make_awkward_dataset(tmp_path)
    dataset = scan_dataset(tmp_path)
    paths = [p for p, _ in dataset.labelled]
    store = ImageStore(paths, 16, workers=2)
    failed = {p.name: why for p, why in store.failures.items()}
    skipped = {p.name for p, _ in dataset.skipped} | set(failed)
    assert skipped == expected_bad
    assert "empty" in failed["zero.png"] and "truncated" in failed["truncated.jpg"]
    assert {p.name for p in store.paths} == {"plain.png", "deep.tif", "alpha.png", "célula_µm_細胞.png"}
    deep = store.take([p for p in store.paths if p.name == "deep.tif"])[0]
    assert deep.shape == (16, 16, 3) and deep.dtype == np.uint8
    assert deep.max() > 200 and deep.min() < 50   # 16-bit values 150-1700 are stretched, not black


def test_a_jpeg_with_data_after_its_end_is_read_but_a_cut_one_is_not(tmp_path):
    """Camera trailers and motion photos append data after the end marker: still a whole image."""
    import cv2

    from atlass_runtime.errors import ImageReadError
    from atlass_runtime.imageio import read_image

    ok, jpeg = cv2.imencode(".jpg", np.full((32, 32, 3), 120, np.uint8))
    trailer = tmp_path / "motion.jpg"
    trailer.write_bytes(jpeg.tobytes() + b"\x00ftypmp42" + bytes(range(256)) * 4)
    assert read_image(trailer).shape == (32, 32, 3)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(jpeg.tobytes()[:-40])
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(cut)


def test_written_files_follow_the_umask(tmp_path):
    """Atomic writes go through a 0600 temporary file; the result has the usual mode."""
    import os
    import stat

    from atlass_runtime.files import atomic_write_csv, atomic_write_json, default_file_mode

    atomic_write_json(tmp_path / "results.json", {"a": 1})
    atomic_write_csv(tmp_path / "split.csv", ["file"], [["x"]])
    mask = os.umask(0)
    os.umask(mask)
    for name in ("results.json", "split.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~mask == default_file_mode()

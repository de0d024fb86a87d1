"""The Qt-free session: the output folder on disk after every action, undo/redo, continuing."""
import errno
import json
import os

import pytest

from annotator.manifest import read_manifest

from annotator import FolderError, StorageError, describe_output_folder
from annotator.errors import RearrangeNeeded, AnnotatorError, CategoryNameError
from annotator.manifest import manifest_path
from helpers import child_env
from annotator_helpers import fingerprint, layout, make_flat_folder, write_image

import numpy as np


def names_in(session, category):
    return {image.name for image in session.images if image.category == category}


def test_create_builds_the_organised_dataset_with_hard_links(image_folder, tmp_path, sessions):
    session = sessions.create(image_folder, tmp_path / "out", ["G1", "S"])
    assert session.storage.wait_filled(30)
    disk = layout(tmp_path / "out")
    assert set(disk) == {"G1", "S", "unlabelled"} and disk["G1"] == disk["S"] == set()
    assert disk["unlabelled"] == {image.name for image in session.images}
    assert len(session) == 4 * 3 + 2 + 1          # the text file is not an image; the broken PNG is
    assert {"plate1_same.bmp", "plate2_same.bmp"} <= disk["unlabelled"]          # same name, 2 folders
    linked = tmp_path / "out" / "unlabelled" / "cell_0.tif"
    assert os.stat(linked).st_nlink == 2 and os.path.samefile(linked, image_folder / "plate1" / "cell_0.tif")
    session.flush()
    manifest = json.loads(manifest_path(tmp_path / "out").read_text())
    assert manifest["categories"] == ["G1", "S"]
    assert {"name": "plate2_same.bmp", "source": "plate2/same.bmp", "category": None} in manifest["images"]


def test_assign_unassign_undo_redo_move_the_files(image_folder, tmp_path, sessions):
    out = tmp_path / "out"
    session = sessions.create(image_folder, out, ["G1", "S"])
    first, second, third = (session.images[i].name for i in range(3))
    session.assign([0, 1], "G1")
    assert layout(out)["G1"] == {first, second} and first not in layout(out)["unlabelled"]
    session.assign([1, 2], "S")
    assert layout(out)["G1"] == {first} and layout(out)["S"] == {second, third}
    assert session.count("S") == 2 and session.labelled_count == 3
    session.assign([0], None)
    assert first in layout(out)["unlabelled"] and layout(out)["G1"] == set()
    assert session.assign([0], None) is None                       # nothing to change: nothing recorded
    session.undo()
    assert layout(out)["G1"] == {first}
    session.undo()
    assert layout(out)["G1"] == {first, second} and layout(out)["S"] == set()
    session.redo()
    assert layout(out)["S"] == {second, third} and session.count("G1") == 1
    session.assign([5], "S")
    assert session.redo() is None                                  # a new action clears the redo list
    with pytest.raises(AnnotatorError, match="no category named 'M'"):
        session.assign([0], "M")


def test_categories_add_rename_delete_and_undo(flat_folder, tmp_path, sessions):
    out = tmp_path / "out"
    session = sessions.create(flat_folder, out, ["G1", "S"])
    session.assign([0, 1], "S")
    session.add_category("Mitosis")
    assert (out / "Mitosis").is_dir() and session.categories == ["G1", "S", "Mitosis"]
    session.rename_category("S", "S phase")
    assert not (out / "S").exists() and layout(out)["S phase"] == {"img_000.png", "img_001.png"}
    assert session.images[0].category == "S phase" and session.count("S phase") == 2
    session.rename_category("G1", "g1")                            # letter case only
    assert session.categories[0] == "g1" and "g1" in layout(out)
    session.delete_category("S phase")
    assert "S phase" not in layout(out) and {"img_000.png", "img_001.png"} <= layout(out)["unlabelled"]
    assert session.categories == ["g1", "Mitosis"] and session.count(None) == len(session)
    session.undo()
    assert layout(out)["S phase"] == {"img_000.png", "img_001.png"} and session.categories == ["g1", "S phase", "Mitosis"]
    session.undo()
    session.undo()
    assert "S" in layout(out) and session.categories == ["G1", "S", "Mitosis"]
    session.undo()
    assert "Mitosis" not in layout(out)
    with pytest.raises(CategoryNameError, match="already exists"):
        session.add_category("s")
    with pytest.raises(CategoryNameError, match="reserved by Windows"):
        session.rename_category("S", "PRN")


def test_deleting_a_category_whose_folder_holds_other_files_is_refused(flat_folder, tmp_path, sessions):
    out = tmp_path / "out"
    session = sessions.create(flat_folder, out, ["G1", "S"])
    session.assign([0], "G1")
    (out / "G1" / "notes.txt").write_text("mine")
    with pytest.raises(StorageError, match="notes.txt"):
        session.delete_category("G1")
    assert session.categories == ["G1", "S"] and layout(out)["G1"] == {"img_000.png", "notes.txt"}


def test_a_blocked_move_changes_nothing(flat_folder, tmp_path, sessions):
    out = tmp_path / "out"
    session = sessions.create(flat_folder, out, ["G1"])
    session.storage.wait_filled(30)
    write_image(out / "G1" / "img_001.png", np.zeros((4, 4), np.uint8))   # someone put a file in the way
    with pytest.raises(StorageError, match="already exists"):
        session.assign([0, 1], "G1")
    assert session.count("G1") == 0 and layout(out)["G1"] == {"img_001.png"}
    assert "img_000.png" in layout(out)["unlabelled"] and session.history.undo_text() is None


def test_reopening_restores_assignments_and_category_order(image_folder, tmp_path, sessions):
    out = tmp_path / "out"
    session = sessions.create(image_folder, out, ["Zeta", "Alpha"])
    session.assign([0, 3], "Alpha")
    session.assign([4], "Zeta")
    before = [(image.name, image.category) for image in session.images]
    session.close()
    again = sessions.open(out)
    assert again.categories == ["Zeta", "Alpha"]
    assert [(image.name, image.category) for image in again.images] == before
    assert again.notes == []


def test_the_folders_are_the_truth_when_the_manifest_is_behind(flat_folder, tmp_path, sessions):
    out = tmp_path / "out"
    session = sessions.create(flat_folder, out, ["G1", "S"])
    session.flush()
    stale = manifest_path(out).read_text()
    session.assign([2, 3], "S")
    session.close()
    manifest_path(out).write_text(stale)            # as if killed before the manifest was saved
    again = sessions.open(out)
    assert names_in(again, "S") == {"img_002.png", "img_003.png"}


def test_continue_a_dataset_made_by_the_original_atlass(tmp_path, sessions):
    legacy = tmp_path / "legacy"
    make_flat_folder(legacy / "Healthy", 3)
    make_flat_folder(legacy / "Sick", 2)
    make_flat_folder(legacy, 4)                     # loose files at the root: unlabelled
    session = sessions.open(legacy, rearrange=True)           # the user confirmed what moves
    assert session.categories == ["Healthy", "Sick"] and session.source_folder is None
    assert session.count("Healthy") == 3 and session.count("Sick") == 2 and session.count(None) == 4
    disk = layout(legacy)
    assert not list(legacy.glob("*.png"))                       # loose files went to unlabelled/
    assert disk["Healthy"] == {"img_000.png", "img_001.png", "img_002.png"}     # first of a name keeps it
    assert disk["Sick"] == {"Sick_img_000.png", "Sick_img_001.png"}              # later ones get their folder
    assert disk["unlabelled"] == {"img_000 (2).png", "img_001 (2).png", "img_002 (2).png", "img_003.png"}
    assert sum(len(files) for files in disk.values()) == 9
    assert sum("renamed" in note for note in session.notes) == 5
    session.assign([session.images.index(next(i for i in session.images if i.category is None))], "Sick")
    assert session.count("Sick") == 3
    session.close()
    assert sessions.open(legacy).count("Sick") == 3


def test_copies_when_hard_links_are_not_possible(flat_folder, tmp_path, sessions, monkeypatch):
    def no_link(source, target):
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(os, "link", no_link)
    out = tmp_path / "out"
    session = sessions.create(flat_folder, out, ["G1"])
    session.assign([0], "G1")
    assert session.storage.wait_filled(30)
    copy = out / "G1" / "img_000.png"
    assert os.stat(copy).st_nlink == 1 and copy.read_bytes() == (flat_folder / "img_000.png").read_bytes()
    assert len(layout(out)["unlabelled"]) == 11 and not list(out.rglob("*.partial"))


def test_folders_that_cannot_be_used_are_refused_with_advice(flat_folder, tmp_path, sessions):
    with pytest.raises(FolderError, match="inside the image folder"):
        sessions.create(flat_folder, flat_folder / "sorted", ["G1"])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "thing.txt").write_text("x")
    with pytest.raises(FolderError, match="not empty"):
        sessions.create(flat_folder, tmp_path / "full", ["G1"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FolderError, match="no images found"):
        sessions.create(tmp_path / "empty", tmp_path / "out", ["G1"])
    with pytest.raises(FolderError, match="neither an annotation session nor a dataset"):
        sessions.open(tmp_path / "empty")
    with pytest.raises(CategoryNameError):
        sessions.create(flat_folder, tmp_path / "out2", ["G1", "g1"])
    assert not (tmp_path / "out2").exists()


def test_start_continues_the_same_image_folder_and_finds_new_images(flat_folder, tmp_path, sessions):
    out = tmp_path / "out"
    session = sessions.start(flat_folder, out, ["G1"])
    session.assign([0], "G1")
    session.close()
    write_image(flat_folder / "later" / "img_000.png", np.zeros((8, 8), np.uint8))
    again = sessions.start(flat_folder, out, ["G1", "S"])
    assert again.categories == ["G1", "S"] and again.count("G1") == 1
    assert len(again) == 13 and again.images[-1].name == "later_img_000.png"
    assert any("1 new image" in note for note in again.notes)
    again.close()
    assert describe_output_folder(out).startswith("Annotation session: 13 images")


def test_interrupted_filling_is_finished_when_reopened(tmp_path, sessions):
    source = make_flat_folder(tmp_path / "many", 60)
    out = tmp_path / "out"
    session = sessions.create(source, out, ["G1"])
    session.close(finish_copies=False)
    sessions.open(out).storage.wait_filled(30)
    assert len(layout(out)["unlabelled"]) == 60


def test_the_image_folder_is_never_modified_by_the_core(image_folder, tmp_path, sessions):
    before = fingerprint(image_folder)
    out = tmp_path / "out"
    session = sessions.create(image_folder, out, ["G1", "S"])
    session.assign(range(5), "G1")
    session.assign([2, 6], "S")
    session.assign([0], None)
    session.undo()
    session.redo()
    session.add_category("M")
    session.rename_category("S", "S phase")
    session.delete_category("G1")
    session.undo()
    session.close()
    sessions.open(out).assign([7], "M")
    assert fingerprint(image_folder) == before


def test_the_output_folder_reads_as_an_organised_dataset(image_folder, tmp_path, sessions):
    from atlass_runtime.dataset import scan_dataset

    out = tmp_path / "out"
    session = sessions.create(image_folder, out, ["G1", "S", "Empty"])
    session.assign([0, 1, 2], "G1")
    session.assign([3], "S")
    session.close()
    dataset = scan_dataset(out)
    assert dataset.classes == ["Empty", "G1", "S"] and dataset.counts() == {"Empty": 0, "G1": 3, "S": 1}
    assert len(dataset.unlabelled) == len(session) - 4
    assert not any(".atlass" in str(path) for path, _ in dataset.labelled)


def test_images_can_start_in_the_category_of_their_sub_folder(image_folder, tmp_path, sessions):
    before = fingerprint(image_folder)
    out = tmp_path / "out"
    session = sessions.create(image_folder, out, ["PLATE1", "plate2", "S"], from_sub_folders=True)
    assert (session.count("PLATE1"), session.count("plate2"), session.count("S"), session.count(None)) == (5, 10, 0, 0)
    assert "15 image(s) assigned from their sub-folder" in session.notes
    assert session.storage.wait_filled(30)
    disk = layout(out)
    assert len(disk["PLATE1"]) == 5 and len(disk["plate2"]) == 10 and disk["unlabelled"] == set()
    assert "plate2_same.bmp" in disk["plate2"]
    session.assign([0], "S")                                      # changed like any other assignment
    session.close()
    assert sessions.open(out).count("S") == 1
    assert fingerprint(image_folder) == before


def test_without_the_option_every_image_starts_unlabelled(image_folder, tmp_path, sessions):
    session = sessions.create(image_folder, tmp_path / "out", ["plate1", "plate2"])
    assert session.count(None) == len(session) == 15 and session.notes == []


def test_a_category_from_a_sub_folder_survives_a_kill_before_its_file_is_brought_in(image_folder, tmp_path,
                                                                                    sessions, monkeypatch):
    from annotator.storage import OutputFolder

    out = tmp_path / "out"
    with monkeypatch.context() as patch:                          # killed before any file was copied
        patch.setattr(OutputFolder, "start_filling", lambda self, images: None)
        sessions.create(image_folder, out, ["plate1", "plate2"], from_sub_folders=True).close()
    assert sum(len(files) for files in layout(out).values()) == 0
    again = sessions.open(out)
    assert (again.count("plate1"), again.count("plate2")) == (5, 10)
    assert again.storage.wait_filled(30)
    assert len(layout(out)["plate1"]) == 5 and len(layout(out)["plate2"]) == 10


def test_the_category_order_is_on_disk_as_soon_as_it_changes(flat_folder, tmp_path, sessions, monkeypatch):
    """The number keys follow this order: a kill right after a rename or an addition must not
    reorder the categories (names the manifest lacks would be put in alphabetical order)."""
    import time

    from annotator import manifest

    real = manifest.write_manifest

    def slow_write(output, document):                 # background saves that lag behind
        time.sleep(0.3)
        real(output, document)

    monkeypatch.setattr(manifest, "write_manifest", slow_write)
    out = tmp_path / "out"
    session = sessions.create(flat_folder, out, ["Zeta", "Beta", "Alpha"])
    session.rename_category("Zeta", "Omega")
    assert manifest.read_manifest(out).categories == ["Omega", "Beta", "Alpha"]
    session.add_category("Delta")
    session.add_category("Charlie")
    assert manifest.read_manifest(out).categories == ["Omega", "Beta", "Alpha", "Delta", "Charlie"]
    session.delete_category("Beta")
    session.undo()
    assert manifest.read_manifest(out).categories == ["Omega", "Beta", "Alpha", "Delta", "Charlie"]


def test_continuing_says_which_files_opening_moves_or_renames(tmp_path, sessions):
    dataset = tmp_path / "dataset"
    make_flat_folder(dataset / "Healthy", 2)                       # img_000, img_001
    make_flat_folder(dataset / "Healthy" / "day2", 1)              # moved up; img_000 again: renamed
    make_flat_folder(dataset / "Sick" / "plate" / "well", 1)       # moved up; renamed
    make_flat_folder(dataset, 3)                                   # loose: into unlabelled/
    text = describe_output_folder(dataset)
    assert "3 loose image(s) at the top will be moved into unlabelled/" in text
    assert "2 image(s) not directly in their category folder" in text and "moved up" in text
    assert "4 image(s) named like another will be renamed" in text
    session = sessions.open(dataset, rearrange=True)
    disk = layout(dataset)
    assert disk["Healthy"] == {"img_000.png", "img_001.png", "Healthy_day2_img_000.png", "day2"}
    assert disk["Sick"] == {"Sick_plate_well_img_000.png", "plate"}
    assert len(disk["unlabelled"]) == 3 and (dataset / "Healthy" / "day2").is_dir()
    assert not list((dataset / "Healthy" / "day2").iterdir())     # the emptied sub-folder stays
    originals = {image.name: image.original for image in session.images if image.original}
    assert originals["Healthy_day2_img_000.png"] == "Healthy/day2/img_000.png"    # kept in the manifest
    assert originals["Sick_plate_well_img_000.png"] == "Sick/plate/well/img_000.png"
    session.close()
    assert "Opening changes" not in describe_output_folder(dataset)
    manifest = read_manifest(dataset)
    assert any(e.original == "Sick/plate/well/img_000.png" for e in manifest.images)


def test_a_raw_folder_is_left_byte_for_byte_unchanged_until_the_user_confirms(tmp_path, sessions):
    """An ordinary folder of images with sub-folders, opened as an output folder: refused, untouched."""
    raw = tmp_path / "raw"
    make_flat_folder(raw / "exp1" / "plateA", 2)
    make_flat_folder(raw / "exp1" / "plateB", 2)
    make_flat_folder(raw / "exp2", 2)
    make_flat_folder(raw, 2)
    before = fingerprint(raw)
    with pytest.raises(RearrangeNeeded, match="not an ATLASS session.*Nothing was changed.*--rearrange") as info:
        sessions.open(raw)
    assert "loose image(s)" in info.value.moves and "moved up" in info.value.moves
    assert fingerprint(raw) == before


HOLD = """
import sys
from annotator import Session
session = Session.open({out!r})
print("holding", flush=True)
sys.stdin.read()
session.close()
"""


def test_a_folder_open_in_another_annotator_is_refused_saying_who_holds_it(flat_folder, tmp_path, sessions):
    import subprocess
    import sys

    out = tmp_path / "out"
    sessions.create(flat_folder, out, ["G1"]).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(out=str(out))], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=child_env())
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(FolderError, match=f"open in another annotator \\(process {holder.pid} on "):
            sessions.open(out)
    finally:
        holder.communicate("", timeout=30)                       # that annotator closes
    sessions.open(out).close()                                    # then it opens here


def test_a_lock_left_by_a_crashed_annotator_is_taken_over(flat_folder, tmp_path, sessions):
    import socket

    out = tmp_path / "out"
    sessions.create(flat_folder, out, ["G1"]).close()
    (out / ".atlass" / "lock").write_text(json.dumps({"pid": 2**22 + 12345, "host": socket.gethostname(),
                                                      "since": "yesterday"}))
    session = sessions.open(out)
    assert json.loads((out / ".atlass" / "lock").read_text())["pid"] == os.getpid()
    session.close()
    assert not (out / ".atlass" / "lock").exists()

"""Category names must be folder names on Windows, macOS and Linux; output file names unique."""
import pytest

from annotator.errors import CategoryNameError
from annotator.names import (category_name_problem, check_category_name, check_category_names, natural_key,
                             unique_file_names)


@pytest.mark.parametrize("name", ["G1", "S phase", "Prophase-2", "Zellkern ä", "细胞", "a" * 100, "con_like", "COM10"])
def test_valid_names_are_accepted(name):
    assert check_category_name(name) == name


@pytest.mark.parametrize("name, reason", [
    ("", "needs a name"),
    (" G1", "spaces at the start or end"),
    ("G1 ", "spaces at the start or end"),
    ("G1.", "end with a dot"),
    ("a/b", "character /"),
    ("a\\b", "character \\"),
    ("a:b", "character :"),
    ('say "hi"', 'character "'),
    ("a<b", "character <"),
    ("what?", "character ?"),
    ("star*", "character *"),
    ("pipe|", "character |"),
    ("tab\there", "control characters"),
    ("line\nbreak", "control characters"),
    ("CON", "reserved by Windows"),
    ("nul", "reserved by Windows"),
    ("Com3", "reserved by Windows"),
    ("LPT9", "reserved by Windows"),
    ("aux.txt", "reserved by Windows"),
    (".hidden", "hidden folder"),
    ("..", "end with a dot"),
    ("unlabelled", "reserved for the images"),
    ("Unlabeled", "reserved for the images"),
    ("desktop.ini", "operating system"),
    ("x" * 101, "too long"),
])
def test_invalid_names_say_why(name, reason):
    problem = category_name_problem(name)
    assert problem is not None and reason in problem
    with pytest.raises(CategoryNameError, match="category"):
        check_category_name(name)


def test_names_are_unique_ignoring_case_except_the_one_renamed():
    assert "already exists" in category_name_problem("g1", ["G1", "S"])
    assert category_name_problem("g1", ["G1", "S"], replacing="G1") is None     # case-only rename
    assert "already exists" in category_name_problem("s", ["G1", "S"], replacing="G1")
    with pytest.raises(CategoryNameError, match="already exists"):
        check_category_names(["Mitosis", "mitosis"])


def test_names_are_stored_in_composed_unicode_form():
    decomposed = "Ka\u0308fer"                      # macOS hands out names in this form
    assert check_category_name(decomposed) == "K\u00e4fer"
    assert "already exists" in category_name_problem(decomposed, ["K\u00e4fer"])


def test_natural_order_puts_img2_before_img10():
    assert sorted(["img10.png", "IMG2.png", "img1.png"], key=natural_key) == ["img1.png", "IMG2.png", "img10.png"]


def test_duplicate_file_names_get_their_folder_in_front_deterministically():
    paths = ["a.png", "plate1/x.tif", "plate2/x.tif", "plate2/deep/X.TIF", "y.png"]
    names = unique_file_names(paths)
    assert names == ["a.png", "plate1_x.tif", "plate2_x.tif", "plate2_deep_X.TIF", "y.png"]
    assert unique_file_names(paths) == names
    assert len({n.casefold() for n in names}) == len(names)


def test_taken_names_are_avoided_with_a_number():
    assert unique_file_names(["a.png"], taken=["A.png"]) == ["a (2).png"]
    assert unique_file_names(["sub/a.png"], taken=["a.png", "sub_a.png"]) == ["sub_a (2).png"]
    assert unique_file_names(["p_x.png", "p/x.png", "q/x.png"]) == ["p_x.png", "p_x (2).png", "q_x.png"]

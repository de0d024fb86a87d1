from collections import Counter

import pytest

from atlass_runtime.errors import DatasetError
from atlass_runtime.split import class_split_sizes, stratified_split


def labels(**counts):
    return [name for name, n in counts.items() for _ in range(n)]


def test_each_class_is_split_60_15_25_and_nothing_is_lost_or_shared():
    names = labels(a=40, b=20, c=8)
    split = stratified_split(names, 0.15, 0.25, seed=1)
    all_indices = split.train + split.valid + split.test
    assert sorted(all_indices) == list(range(len(names)))
    per = {part: Counter(names[i] for i in split.of(part)) for part in ("train", "valid", "test")}
    assert per["test"] == {"a": 10, "b": 5, "c": 2}
    assert per["valid"] == {"a": 6, "b": 3, "c": 1}
    assert per["train"] == {"a": 24, "b": 12, "c": 5}


def test_same_seed_same_split_other_seed_other_split():
    names = labels(a=30, b=30)
    assert stratified_split(names, 0.15, 0.25, 7) == stratified_split(names, 0.15, 0.25, 7)
    assert stratified_split(names, 0.15, 0.25, 7).test != stratified_split(names, 0.15, 0.25, 8).test


def test_adding_a_class_does_not_reshuffle_the_others():
    before = stratified_split(labels(a=20, b=20), 0.15, 0.25, 3)
    after = stratified_split(labels(a=20, b=20, c=10), 0.15, 0.25, 3)
    assert [i for i in after.test if i < 40] == before.test


def test_small_classes_are_named_with_their_counts():
    with pytest.raises(DatasetError) as info:
        stratified_split(labels(big=50, Anaphase=2, tiny=1), 0.15, 0.25, 0)
    message = str(info.value)
    assert "'Anaphase' has 2" in message and "'tiny' has 1" in message and "big" not in message
    assert "at least 3" in message


def test_three_images_are_enough():
    assert class_split_sizes(3, 0.15, 0.25) == (1, 1, 1)


@pytest.mark.parametrize("valid, test", [(0.15, 0.25), (0.4, 0.4), (0.3, 0.6), (0.05, 0.05)])
def test_every_class_of_three_or_more_splits_whatever_the_fractions(valid, test):
    """Rounding up two large fractions used to leave 4 images without a training one (0.4/0.4)."""
    for count in range(3, 40):
        n_train, n_valid, n_test = class_split_sizes(count, valid, test)
        assert min(n_train, n_valid, n_test) >= 1 and n_train + n_valid + n_test == count

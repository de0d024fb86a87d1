"""The vote on exact, hand-computed numbers (design section 4.3)."""
import numpy as np
import pytest

from atlass_runtime.ensemble import hard_vote, soft_vote, vote

# 3 pairs (model, transform) x 2 images x 3 classes
PROBS = np.array([
    [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]],
    [[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]],
    [[0.1, 0.8, 0.1], [0.3, 0.3, 0.4]],
])


def test_hard_vote_weights_each_vote_by_its_probability():
    votes = hard_vote(PROBS)
    # image 0: class 0 gets 0.6 + 0.7 = 1.3, class 1 gets 0.8 -> class 0, confidence 1.3 / 3
    # image 1: class 1 gets 0.5, class 2 gets 0.7 + 0.4 = 1.1 -> class 2, confidence 1.1 / 3
    assert votes.labels.tolist() == [0, 2]
    assert votes.confidence == pytest.approx([1.3 / 3, 1.1 / 3])


def test_hard_vote_can_disagree_with_the_soft_vote():
    # two lukewarm votes for class 0 beat one near-certain vote for class 1 (hard), not (soft)
    probs = np.array([[[0.51, 0.49]], [[0.51, 0.49]], [[0.01, 0.99]]])
    assert hard_vote(probs).labels.tolist() == [0]
    assert hard_vote(probs).confidence == pytest.approx([1.02 / 3])
    soft = soft_vote(probs)
    assert soft.labels.tolist() == [1]
    assert soft.confidence == pytest.approx([(0.49 + 0.49 + 0.99) / 3])


def test_confidence_is_one_only_when_every_pair_is_certain():
    certain = np.array([[[1.0, 0.0]], [[1.0, 0.0]]])
    assert hard_vote(certain).confidence.tolist() == [1.0]
    almost = np.array([[[1.0, 0.0]], [[0.9, 0.1]]])
    assert hard_vote(almost).confidence[0] == pytest.approx(0.95)


def test_threshold_is_strict():
    votes = hard_vote(np.array([[[0.8, 0.2], [0.81, 0.19]]]))
    assert votes.accepted(0.8).tolist() == [1]
    assert votes.accepted(0.0).tolist() == [0, 1]


def test_ties_go_to_the_lower_class_index():
    votes = hard_vote(np.array([[[0.6, 0.4]], [[0.4, 0.6]]]))
    assert votes.labels.tolist() == [0]


def test_soft_vote_numbers():
    votes = soft_vote(PROBS)
    assert votes.labels.tolist() == [0, 2]
    assert votes.confidence == pytest.approx([(0.6 + 0.7 + 0.1) / 3, (0.3 + 0.7 + 0.4) / 3])


def test_vote_by_name_and_bad_input():
    assert vote(PROBS, "soft").labels.tolist() == [0, 2]
    with pytest.raises(KeyError, match="hard, soft"):
        vote(PROBS, "average")
    with pytest.raises(ValueError, match="pairs, images, classes"):
        hard_vote(np.zeros((2, 3)))


def test_the_vote_keeps_the_runner_up_its_margin_and_the_agreement():
    votes = hard_vote(PROBS)
    # image 0: class 0 scores 1.3/3, class 1 0.8/3, class 2 nothing; 2 of 3 pairs voted class 0
    assert votes.runner_up.tolist() == [1, 1]
    assert votes.runner_up_confidence == pytest.approx([0.8 / 3, 0.5 / 3])
    assert votes.margin == pytest.approx([0.5 / 3, 0.6 / 3])
    assert votes.agreement == pytest.approx([2 / 3, 2 / 3])
    soft = soft_vote(PROBS)
    assert soft.runner_up.tolist() == [1, 1] and soft.runner_up_confidence == pytest.approx([1.3 / 3, 1.0 / 3])

"""The training recipes' pieces on hand-made numbers: the linear probe against scikit-learn, the
batch size and finder length for small sets, the learning-rate rules."""
import numpy as np
import pytest
import torch

from atlass_runtime import RunConfig
from atlass_runtime.fastai_trainer import LR_SUGGESTIONS, choose_lr
from atlass_runtime.linear_probe import fit_linear_probe
from atlass_runtime.recipes import RECIPES, fitted_batch_size, get_recipe, lr_find_iterations


def test_the_linear_probe_is_scikit_learn_s_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    features = rng.normal(0, 1, (60, 40)) + labels[:, None] * 0.3 * rng.normal(0, 1, 40)
    weight, bias = fit_linear_probe(features, labels, 3)
    reference = LogisticRegression(C=1.0, max_iter=10000, tol=1e-10).fit(features, labels)
    ours = torch.softmax(torch.as_tensor(features @ weight.T + bias), 1).numpy()
    np.testing.assert_allclose(ours, reference.predict_proba(features), atol=1e-4)


def test_batches_give_small_sets_several_steps_and_big_sets_the_configured_size():
    assert fitted_batch_size(32, 48) == 8          # 6 steps an epoch instead of 1
    assert fitted_batch_size(32, 100) == 12
    assert fitted_batch_size(32, 1000) == 32       # never above what the user set
    assert fitted_batch_size(32, 5) == 5           # never above the set itself
    assert fitted_batch_size(4, 100) == 4


def test_the_finder_is_bounded_to_about_three_epochs_of_a_small_set():
    assert lr_find_iterations(48, 8) == 30         # the floor: a curve needs points
    assert lr_find_iterations(400, 12) == 99       # 3 epochs of 33 steps
    assert lr_find_iterations(10_000, 32) == 100   # fastai's default is the cap


def test_lr_rules_and_their_fallbacks():
    lrs = torch.logspace(-7, 1, 40)
    losses = torch.cat([torch.linspace(2.0, 0.5, 30), torch.linspace(0.6, 5.0, 10)])
    paper, valley = LR_SUGGESTIONS["paper"](lrs, losses, 40)[0], LR_SUGGESTIONS["valley"](lrs, losses, 40)[0]
    minimum = LR_SUGGESTIONS["minimum"](lrs, losses, 40)[0]
    assert paper == pytest.approx(float(lrs[29])) and minimum == pytest.approx(paper / 10)
    assert valley < paper
    assert np.isnan(LR_SUGGESTIONS["valley"](lrs[:2], losses[:2], 2)[0])   # too few points
    assert choose_lr(3e-2, max_lr=1e-3) == 1e-3 and choose_lr(float("nan"), max_lr=1e-4) == 1e-4
    assert choose_lr(3e-2) == 3e-2 and choose_lr(1e-7) == 1e-3


def test_recipes_set_their_defaults_and_a_changed_recipe_resets_them():
    config = RunConfig()
    assert (config.recipe, config.epochs_frozen, config.epochs_unfrozen, config.lr_rule) == (
        "lp-ft", 0, 8, RECIPES["lp-ft"].lr_rule)
    paper = config.replace(recipe="paper")
    assert (paper.epochs_frozen, paper.epochs_unfrozen, paper.lr_rule) == (2, 8, "paper")
    assert config.replace(recipe="quick").epochs_unfrozen == 0
    assert get_recipe("LP-FT").name == "lp-ft"
    with pytest.raises(KeyError, match="lp-ft, quick, paper"):
        get_recipe("other")


def test_fine_tuning_is_kept_only_on_evidence_from_the_validation_images():
    from atlass_runtime.recipes import compare_stages

    labels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
    probe = [0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1]          # 6 of 12 right
    one_more = [0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1]       # fixes 1: noise
    clearly = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]        # fixes all 6, breaks none: p = 1/64
    mixed = [1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]          # fixes 6, breaks 2: p = 37/256
    assert not compare_stages(labels, probe, one_more).keep_fine_tuning
    kept = compare_stages(labels, probe, clearly)
    assert (kept.fixed, kept.broken) == (6, 0) and kept.p_value == pytest.approx(1 / 64) and kept.keep_fine_tuning
    assert compare_stages(labels, probe, mixed).p_value == pytest.approx(37 / 256)
    assert not compare_stages(labels, probe, mixed).keep_fine_tuning
    assert not compare_stages(labels, probe, probe).keep_fine_tuning            # nothing changed


def test_fine_tuning_that_does_worse_on_validation_is_undone():
    """lp-ft puts the stage-1 network back when stage 2 gives no clear gain on validation."""
    from atlass_runtime.fastai_trainer import FastaiTrainer
    from atlass_runtime.network_builder import build_model
    from atlass_runtime.trainer import LabelledArrays

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (6, 32, 32, 3), dtype=np.uint8)
    valid = LabelledArrays(images, np.array([0, 1, 0, 1, 0, 1]))
    config = RunConfig(process="ND", networks=["EfficientNet-Lite0"], image_size=32, pretrained=False)
    trainer = FastaiTrainer(["a", "b"], config, device="cpu", progress="none")
    model = build_model("EfficientNet-Lite0", 2, pretrained=False).eval()
    good = {k: v.clone() for k, v in model.state_dict().items()}
    right = np.array([0, 1, 0, 1, 0, 1])
    with torch.no_grad():          # stage 2 "ruined" it: one class always
        model[1][-1].bias.copy_(torch.tensor([5.0, -5.0]))
    trainer._keep_better(model, "EfficientNet-Lite0", valid, good, right)
    assert trainer.kept_stage == "stage 1" and torch.equal(model[1][-1].bias, good["1.2.bias"])
    with torch.no_grad():
        model[1][-1].bias.copy_(torch.tensor([5.0, -5.0]))
    trainer.kept_stage = "stage 2"
    trainer._keep_better(model, "EfficientNet-Lite0", valid, good, 1 - right)   # stage 1 was all wrong
    assert trainer.kept_stage == "stage 1"      # fixes 3 and breaks none of 6: p = 1/8, no evidence
    zeros = LabelledArrays(rng.integers(0, 255, (10, 32, 32, 3), dtype=np.uint8), np.zeros(10, dtype=np.int64))
    with torch.no_grad():
        model[1][-1].bias.copy_(torch.tensor([5.0, -5.0]))
    trainer.kept_stage = "stage 2"
    trainer._keep_better(model, "EfficientNet-Lite0", zeros, good, np.ones(10, dtype=np.int64))
    assert trainer.kept_stage == "stage 2"      # fixes all 10: p = 1/1024

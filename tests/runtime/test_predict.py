"""`predict_images`: big folders are decoded a chunk at a time, in a stable order."""

import numpy as np
import pytest

from atlass_runtime import RunConfig, predict
from atlass_runtime.errors import SkippedFilesWarning
from atlass_runtime.fastai_trainer import FastaiTrainer
from helpers import write_png


def test_chunks_give_the_same_table_as_one_pass(tmp_path, monkeypatch):
    classes = ["dark", "bright"]
    config = RunConfig(process="ND", networks=["ResNet18"], image_size=16, pretrained=False)
    trainer = FastaiTrainer(classes, config, progress="none")
    module = trainer.bare_module("ResNet18")
    from atlass_runtime.fastai_trainer import FastaiModel
    trainer.export(FastaiModel("ResNet18", module), "ResNet18", tmp_path / "model")

    rng = np.random.default_rng(1)
    for i in range(7):
        write_png(tmp_path / "new" / f"img_{i}.png", rng.integers(0, 255, (20, 20, 3), dtype=np.uint8))
    (tmp_path / "new" / "img_3b.png").write_bytes(b"")      # unreadable, sorted between the others

    with pytest.warns(SkippedFilesWarning, match="img_3b.png"):
        whole = predict.predict_images(tmp_path / "model", tmp_path / "new")
    monkeypatch.setattr(predict, "CHUNK", 3)
    with pytest.warns(SkippedFilesWarning, match="img_3b.png"):
        chunked = predict.predict_images(tmp_path / "model", tmp_path / "new",
                                         output_csv=tmp_path / "p.csv")
    assert [f.rsplit("/", 1)[-1] for f in chunked["file"]] == [f"img_{i}.png" for i in range(7)]
    assert chunked.equals(whole)
    assert (tmp_path / "p.csv").read_text().count("\n") == 8

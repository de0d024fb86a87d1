"""Screenshots of the annotator for docs/: the start dialog and the main window on real
microscopy images from ../shared/data. Run it on a virtual screen and look at the result:

    xvfb-run -s "-screen 0 1400x900x24" python benchmarks/annotator_screenshots.py

Writes docs/images/annotator_start.png, annotator_main.png (16-bit TIFF cells),
annotator_main_rgb.png (blood cells, RGB JPEG), annotator_narrow.png (the same in a narrow window), and annotator_review.png and
annotator_suggested.png (review mode on a real run: `atlass train` on blood cells, then its
pseudo-labels and the images it was least sure about). `--review` takes only the last two. The
image folders are only read.
"""
from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
IMAGES = REPO / "docs" / "images"

import PIL.Image  # noqa: E402

from annotator import Session  # noqa: E402
from annotator.ui.app import application, dispose  # noqa: E402
from annotator.ui.main_window import MainWindow  # noqa: E402
from annotator.ui.start_dialog import StartDialog  # noqa: E402


def settle(app, seconds: float, until=lambda: False) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        app.processEvents()
        time.sleep(0.01)


def mixed_folder(source: Path, target: Path, count: int, seed: int = 4) -> dict[str, str]:
    """A flat folder like a microscope's export: `count` images of `source`'s class folders,
    shuffled and renamed cell_0001... (copied into a temporary folder). Returns name -> class."""
    files = sorted(path for path in source.glob("*/*") if path.suffix.lower() in (".tif", ".jpg", ".png"))
    chosen = random.Random(seed).sample(files, min(count, len(files)))
    target.mkdir(parents=True)
    truth = {}
    for number, path in enumerate(chosen, 1):
        name = f"cell_{number:04d}{path.suffix.lower()}"
        shutil.copy2(path, target / name)
        truth[name] = path.parent.name
    return truth


def main_window_shot(app, source: Path, work: Path, target: Path, count: int, labelled: int,
                     size: tuple[int, int] = (1400, 860)) -> None:
    """The window after sorting `labelled` of the first images, as a biologist would have."""
    work = work / target.stem
    truth = mixed_folder(source, work / source.name, count)
    categories = sorted(set(truth.values()))
    session = Session.create(work / source.name, work / f"{source.name}_sorted", categories)
    for index in range(labelled):
        session.assign([index], truth[session.images[index].name])
    window = MainWindow(session)
    window.resize(*size)
    window.show()
    window.select_rows([labelled])
    settle(app, 20, lambda: window.loader.pending() == 0 and window.preview.view.has_image())
    settle(app, 1.0)
    window.grab().save(str(target))
    window.close()
    dispose(window)                                        # before the QApplication goes
    with PIL.Image.open(target) as shot:                  # 256 colours: a third of the size, same look
        shot.convert("RGB").quantize(256, dither=PIL.Image.Dither.NONE).save(target, optimize=True)
    print(target)


def review_shots(app, work: Path) -> None:
    """A real run's pseudo-labels in review mode, then its suggested next."""
    import subprocess

    source = DATA / "pbc-blood-cells-subset"
    dataset = work / "blood"
    (dataset / "unlabelled").mkdir(parents=True)
    for category in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(category.glob("*.jpg"))
        (dataset / category.name).mkdir()
        for path in files[:8]:
            shutil.copy2(path, dataset / category.name / path.name)
        for path in files[8:16]:
            shutil.copy2(path, dataset / "unlabelled" / path.name)
    subprocess.run([sys.executable, "-m", "atlass_cli.main", "train", str(dataset), "-o", str(work / "run"),
                    "--process", "IDD", "--networks", "EfficientNet-Lite0", "--transforms", "H Flip",
                    "--threshold", "0.5", "--max-rounds", "1", "--recipe", "quick", "--size", "128", "--label-spreading"], check=True,
                   capture_output=True)
    session = Session.open(dataset)
    window = MainWindow(session)
    window.resize(1400, 860)
    window.show()
    window.reviewing.start(work / "run")
    for name, mode in (("annotator_review.png", "review"), ("annotator_suggested.png", "next")):
        window.reviewing.show(mode)
        settle(app, 20, lambda: window.loader.pending() == 0 and window.preview.view.has_image())
        settle(app, 1.0)
        target = IMAGES / name
        window.grab().save(str(target))
        with PIL.Image.open(target) as shot:
            shot.convert("RGB").quantize(256, dither=PIL.Image.Dither.NONE).save(target, optimize=True)
        print(target)
    window.close()
    dispose(window)                                        # before the QApplication goes


def main() -> None:
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is not available")
    app = application()
    work = Path(tempfile.mkdtemp(prefix="atlass-screens-"))
    IMAGES.mkdir(parents=True, exist_ok=True)
    try:
        if "--review" in sys.argv[1:]:
            review_shots(app, work)
            return
        tiffs = DATA / "jurkat-cellcycle-16bit-tiff"
        dialog = StartDialog(tiffs, Path.home() / "atlass" / "jurkat_sorted")
        dialog.show()
        settle(app, 1.5)
        dialog.grab().save(str(IMAGES / "annotator_start.png"))
        dialog.close()
        dispose(dialog)
        print(IMAGES / "annotator_start.png")
        main_window_shot(app, tiffs, work, IMAGES / "annotator_main.png", 369, 13)
        main_window_shot(app, DATA / "pbc-blood-cells-subset", work, IMAGES / "annotator_main_rgb.png", 240, 13)
        main_window_shot(app, DATA / "pbc-blood-cells-subset", work, IMAGES / "annotator_narrow.png", 240, 13,
                         size=(900, 640))
        review_shots(app, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The QWizard: seven pages over one WizardModel; the page list follows the process (nextId).

Background work (previews, the zip) runs in the wizard's own thread pool, dataset inspections in a
second one (so one still reading a wrongly chosen folder does not hold up the next); closing the
wizard cancels it all and waits, so no worker outlives the window and no partial zip is left."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QWidget, QWizard

from .dataset_page import DatasetPage
from .networks_page import NetworksPage
from ..pages import PAGES
from ..plan import WizardModel
from .process_page import ProcessPage
from .summary_page import SummaryPage
from .threshold_page import ThresholdPage
from .training_page import TrainingPage
from .transforms_page import TransformsPage

PAGE_ID = {name: index for index, name in enumerate(PAGES)}
INSPECTION_THREADS = 4     # cancelled inspections still listing a big folder, plus the current one


class AtlassWizard(QWizard):
    def __init__(self, dataset_dir: str | Path | None = None, zip_path: str | Path | None = None,
                 parent: QWidget | None = None, model: WizardModel | None = None):
        super().__init__(parent)
        self.setWindowTitle("ATLASS: configure a training run")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.model = model or WizardModel(dataset_dir, zip_path)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.inspections = QThreadPool(self)
        self.inspections.setMaxThreadCount(INSPECTION_THREADS)
        self.pages = {
            "dataset": DatasetPage(self.model, self.inspections),
            "process": ProcessPage(self.model),
            "transforms": TransformsPage(self.model, self.pool),
            "networks": NetworksPage(self.model, self.pool),
            "threshold": ThresholdPage(self.model),
            "training": TrainingPage(self.model),
            "summary": SummaryPage(self.model, self.pool),
        }
        for name, page in self.pages.items():
            self.setPage(PAGE_ID[name], page)
        self.setStartId(PAGE_ID["dataset"])
        self.written_zip: Path | None = None
        self.pages["summary"].written.connect(self._written)
        self.resize(1000, 760)

    def page_named(self, name: str):
        return self.pages[name]

    def current_name(self) -> str:
        return PAGES[self.currentId()] if self.currentId() >= 0 else ""

    def nextId(self) -> int:
        current = self.currentId()
        if current < 0:
            return -1
        following = self.model.next_page(PAGES[current])
        return PAGE_ID[following] if following else -1

    def _written(self, path: str) -> None:
        self.written_zip = Path(path)

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop every background task and wait for it; a zip being written is removed."""
        for page in self.pages.values():
            task = getattr(page, "task", None)
            if task is not None:
                task.silence()
                page.task = None
        self.pool.waitForDone()
        self.inspections.waitForDone()

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)

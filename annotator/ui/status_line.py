"""The main window's status bar: how many images are labelled, and whether the images are
still being added to the output folder or could not be (and whether the manifest saves)."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar


class StatusLine:
    def __init__(self, bar: QStatusBar, session):
        self.session = session
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(False)
        self.storage_label = QLabel()
        for widget in (self.storage_label, self.progress_label, self.progress_bar):
            bar.addPermanentWidget(widget)

    def update_progress(self) -> None:
        total, done = len(self.session), self.session.labelled_count
        self.progress_label.setText(f"{done:,} / {total:,} labelled")
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)

    def update_storage(self) -> None:
        storage = self.session.storage
        parts = []
        if storage.filling():
            parts.append(f"Adding images to the output folder: {storage.fill_done:,} / {storage.fill_total:,}")
        if storage.problems:
            parts.append(f"{len(storage.problems):,} image(s) could not be added to the output folder")
            self.storage_label.setToolTip("\n".join(list(storage.problems.values())[:20]))
        writer_error = getattr(self.session._writer, "error", None)
        if writer_error is not None:
            parts.append(f"Saving the session manifest failed: {writer_error}")
        self.storage_label.setText(" · ".join(parts))

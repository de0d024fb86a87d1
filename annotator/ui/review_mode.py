"""Review mode of the main window: a run's pseudo-labels shown in the grid grouped by suggested
category, least confident first, each captioned with its suggestion; and the "Suggested next"
list of the images the run was least sure about. Thin: the decisions are the Qt-free
ReviewState's (annotator/review.py)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from ..errors import AnnotatorError
from ..review import ReviewState
from ..run_suggestions import read_run
from . import dialogs
from .image_model import ALL_IMAGES
from .review_bar import ReviewBar

REVIEW, NEXT, BROWSE = "review", "next", "browse"


class ReviewController:
    def __init__(self, window):
        self.window = window
        self.state: ReviewState | None = None
        self.mode = BROWSE
        self.bar = ReviewBar()
        self.bar.hide()
        self.bar.accept_clicked.connect(self.accept)
        self.bar.reject_clicked.connect(self.reject)
        self.bar.accept_above_clicked.connect(self.accept_above)
        self.bar.suggested_clicked.connect(lambda: self.show(NEXT))
        self.bar.review_clicked.connect(lambda: self.show(REVIEW))
        self.bar.leave_clicked.connect(self.leave)
        window.session.events.reviewed.connect(self._changed)
        window.session.events.assigned.connect(self._changed)

    def disconnect_session(self) -> None:
        self.window.session.events.reviewed.disconnect(self._changed)
        self.window.session.events.assigned.disconnect(self._changed)

    # -- starting and leaving
    def choose_run(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Review a run's pseudo-labels: choose its results.json or results zip",
            str(self.window.session.output.parent), "Run results (results.json *.zip)")
        if path:
            self.start(Path(path).parent if Path(path).name == "results.json" else Path(path))

    def start(self, run_path) -> bool:
        try:
            self.state = ReviewState(self.window.session, read_run(run_path))
        except AnnotatorError as exc:
            dialogs.show_error(self.window, "Review a run", str(exc))
            return False
        self.bar.show()
        self.show(REVIEW)
        if self.state.skipped:
            listing = "\n".join(f"{file}: {why}" for file, why in self.state.skipped[:30])
            self.bar.label.setToolTip(f"Skipped, never applied:\n{listing}")
        return True

    def leave(self) -> None:
        self.state, self.mode = None, BROWSE
        self.bar.hide()
        self.window.categories.show_value(ALL_IMAGES)
        self.window.show_category(ALL_IMAGES)

    def browsing(self) -> None:
        """The user clicked a category: the review waits on the bar."""
        if self.state is not None and self.mode != BROWSE:
            self.mode = BROWSE
            self._update_bar()

    # -- what is shown
    @property
    def active(self) -> bool:
        return self.state is not None and self.mode in (REVIEW, NEXT)

    def rows(self) -> list[int]:
        if self.state is None:
            return []
        return [item.index for item in self.state.pending()] if self.mode == REVIEW else self.state.suggested_next()

    def show(self, mode: str) -> None:
        self.mode = mode
        self.window.shown.show_rows(self.rows())
        self.window.select_position(0)
        self._update_bar()

    def suggestion_text(self, row: int) -> str | None:
        """What the grid writes on an image while it is reviewed: its suggestion and confidence."""
        if self.state is None or self.mode != REVIEW:
            return None
        item = self.state.item_of(row)
        if item is None:
            return None
        return f"{self.state.categories[item.suggestion.label]}? {item.suggestion.confidence:.0%}"

    def _update_bar(self) -> None:
        state = self.state
        if state is None:
            return
        counts = state.counts()
        done = ", ".join(f"{counts[k]} {k}" for k in ("accepted", "corrected", "rejected") if counts.get(k))
        skipped = f"; {len(state.skipped)} skipped (hover for why)" if state.skipped else ""
        run = f"the run in {Path(state.run.source).name}"
        if self.mode == REVIEW:
            text = (f"Reviewing the pseudo-labels of {run}: {counts['pending']} left" + (f" ({done})" if done else "")
                    + f"{skipped}. Enter accepts, a number key puts the image in that category, R rejects.")
        elif self.mode == NEXT:
            text = (f"Suggested next: the {len(self.rows())} unlabelled images {run} was least sure about, "
                    "taken in turn from each category it suggested. "
                    "Label them with the number keys.")
        else:
            text = f"Review of {run} paused: {counts['pending']} pseudo-labels left."
        self.bar.show_state(text, self.mode != NEXT)

    def _changed(self, _rows) -> None:
        """A decision or an assignment: the list loses what was settled, the selection stays at
        its place."""
        if not self.active:
            if self.state is not None:
                self._update_bar()
            return
        position = self.window.current_position()
        self.window.shown.show_rows(self.rows())
        self.window.select_position(position)
        self._update_bar()

    # -- decisions
    def _selected(self) -> list[int]:
        rows = self.window.selected_rows()
        if not rows:
            self.window.statusBar().showMessage("Select one or more pseudo-labelled images first", 4000)
        return rows

    def decide(self, category: str | None) -> None:
        """A number key (or 0) in review mode: correct to that category (or reject)."""
        rows = self._selected()
        if rows:
            self.window.run_action(lambda: self.state.correct(rows, category) if category is not None
                                   else self.state.reject(rows))

    def accept(self) -> None:
        rows = self._selected()
        if rows and self.mode == REVIEW:
            self.window.run_action(lambda: self.state.accept(rows))

    def reject(self) -> None:
        rows = self._selected()
        if rows and self.mode == REVIEW:
            self.window.run_action(lambda: self.state.reject(rows))

    def accept_above(self, percent: int) -> None:
        if self.state is not None:
            self.window.run_action(lambda: self.state.accept_above(percent))

"""The bar above the grid in review mode: what is being reviewed, the counts, and the review
actions (accept, reject, accept all above N %, suggested next, leave). Thin: it only emits."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget


class ReviewBar(QWidget):
    accept_clicked = Signal()
    reject_clicked = Signal()
    accept_above_clicked = Signal(int)
    suggested_clicked = Signal()
    review_clicked = Signal()
    leave_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("review_bar")
        self.label = QLabel()
        self.label.setObjectName("review_status")
        self.label.setWordWrap(True)
        self.accept = QPushButton("Accept (Enter)")
        self.reject = QPushButton("Reject (R)")
        self.percent = QSpinBox()
        self.percent.setObjectName("accept_above_percent")
        self.percent.setRange(0, 100)
        self.percent.setValue(90)
        self.percent.setSuffix(" %")
        self.above = QPushButton("Accept all remaining above")
        self.above.setObjectName("accept_above")
        self.next = QPushButton("Suggested next")
        self.next.setObjectName("suggested_next")
        self.next.setToolTip("The unlabelled images the run was least sure about: labelling them helps most")
        self.back = QPushButton("Review pseudo-labels")
        self.back.setObjectName("review_pseudo_labels")
        self.leave = QPushButton("Leave review")
        column = QVBoxLayout(self)             # the sentence on its own line, the buttons under it
        column.setContentsMargins(6, 4, 6, 2)
        column.setSpacing(4)
        column.addWidget(self.label)
        layout = QHBoxLayout()
        column.addLayout(layout)
        for widget in (self.accept, self.reject, self.above, self.percent, self.next, self.back):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.leave)
        self.accept.clicked.connect(self.accept_clicked)
        self.reject.clicked.connect(self.reject_clicked)
        self.above.clicked.connect(lambda: self.accept_above_clicked.emit(self.percent.value()))
        self.next.clicked.connect(self.suggested_clicked)
        self.back.clicked.connect(self.review_clicked)
        self.leave.clicked.connect(self.leave_clicked)

    def show_state(self, text: str, reviewing: bool) -> None:
        """`reviewing`: the pseudo-labels are shown (else the suggested next)."""
        self.label.setText(text)
        for widget in (self.accept, self.reject, self.above, self.percent):
            widget.setVisible(reviewing)
        self.next.setVisible(reviewing)
        self.back.setVisible(not reviewing)

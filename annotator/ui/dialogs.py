"""Small dialogs the windows use; module-level functions, so tests can replace them."""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QLineEdit, QMessageBox, QVBoxLayout,
                               QWidget)

from ..names import category_name_problem


class CategoryNameDialog(QDialog):
    """Asks for a category name, saying live why a name cannot be used."""

    def __init__(self, parent: QWidget | None, title: str, existing: list[str], replacing: str | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self._existing, self._replacing = existing, replacing
        self.edit = QLineEdit(replacing or "")
        self.edit.setPlaceholderText("e.g. Metaphase")
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Category name (it becomes a folder name):"))
        layout.addWidget(self.edit)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._check)
        self.edit.selectAll()
        self.setMinimumWidth(380)
        self._check(self.edit.text())

    def _check(self, text: str) -> None:
        problem = category_name_problem(text, self._existing, self._replacing) if text else None
        unchanged = self._replacing is not None and text == self._replacing
        self.problem.setText(problem or "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text) and not problem and not unchanged)

    def name(self) -> str:
        return self.edit.text()


def ask_category_name(parent, title: str, existing: list[str], replacing: str | None = None) -> str | None:
    dialog = CategoryNameDialog(parent, title, existing, replacing)
    return dialog.name() if dialog.exec() == QDialog.DialogCode.Accepted else None


def confirm(parent, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                  QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


COPY, REARRANGE = "copy", "rearrange"


def ask_rearrange(parent, folder, moves: str) -> str | None:
    """A folder that is not an ATLASS session would be changed by opening it: make an organised
    copy instead (the default), rearrange it after all, or cancel (None)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Not an ATLASS session",
                      f"{folder} is not an ATLASS session. Opening it as one would change it: {moves}.\n\n"
                      "Make an organised copy instead? Its images are linked or copied into a new folder, "
                      "each sub-folder a category, and this folder stays exactly as it is.", parent=parent)
    copy = box.addButton("Make an organised copy", QMessageBox.ButtonRole.AcceptRole)
    rearrange = box.addButton("Rearrange this folder", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(copy)
    box.exec()
    return {id(copy): COPY, id(rearrange): REARRANGE}.get(id(box.clickedButton()))

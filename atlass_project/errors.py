"""Errors of the project layer. All are AtlassError, so `atlass` prints them as
"Error: ..." and exits 1."""
from __future__ import annotations

from atlass_runtime.errors import AtlassError


class ProjectError(AtlassError):
    """A zip or folder is not an ATLASS project (no atlass.ipynb / config.json where expected)."""


class UnsafeArchiveError(AtlassError):
    """A zip holds an entry that would be written outside the target folder (`..`, an absolute
    path, a drive letter) or a link; nothing of it is extracted."""

    def __init__(self, archive, entry: str, reason: str):
        self.archive, self.entry, self.reason = archive, entry, reason
        super().__init__(f"{archive} is refused: its entry {entry!r} {reason}. Nothing was extracted; "
                         "only run zips made by `atlass export` or the ATLASS wizard.")


class ExportCancelled(AtlassError):
    """Writing the zip was cancelled; no zip (and no partial file) was left behind."""


class NotebookExecutionError(AtlassError):
    """A cell of the notebook failed under `atlass run`. The executed notebook (with the error
    shown under the cell) was saved first; `notebook` is its path."""

    def __init__(self, cell: str, cell_index: int, ename: str, evalue: str, notebook, advice: str = ""):
        self.cell, self.cell_index, self.ename, self.evalue, self.notebook = cell, cell_index, ename, evalue, notebook
        super().__init__(f"the notebook stopped in cell {cell} (cell {cell_index + 1} of the executed "
                         f"notebook) with {ename}: {evalue}\n" + (f"{advice}\n" if advice else "")
                         + f"The executed notebook, with the full traceback under that cell, is {notebook}")


class KernelStoppedError(AtlassError):
    """The notebook's kernel died (out of memory, killed) or a cell ran past the time allowed.
    The executed notebook so far was saved first; `notebook` is its path."""

    def __init__(self, reason: str, notebook):
        self.reason, self.notebook = reason, notebook
        super().__init__(f"the notebook did not finish: {reason}\nThe executed notebook so far is "
                         f"{notebook}. Run the same command again to continue where it stopped.")

"""What `atlass annotate` was asked for, shared by the command line and the Qt app (Qt-free)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .manifest import read_manifest


@dataclass
class StartRequest:
    """What the command line asked for; the start dialog is prefilled with it."""
    images: Path | None = None
    output: Path | None = None
    categories: list[str] = field(default_factory=list)
    review: Path | None = None     # a run whose pseudo-labels to review on the output dataset
    rearrange: bool = False        # the user confirmed moving the files of a non-ATLASS folder

    def opens_directly(self) -> bool:
        """True when no dialog is needed: everything for a new session, or a folder to continue."""
        if self.output is None:
            return False
        if self.images is None:
            return True
        if self.categories:
            return True
        manifest = read_manifest(self.output) if self.output.is_dir() else None
        return manifest is not None and manifest.source_folder == self.images.resolve()

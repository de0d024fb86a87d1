"""The wizard's pages: their order, the RunConfig fields each one writes, which a process shows
(`Process.settable`), and the processes a dataset allows. No Qt."""
from __future__ import annotations

from dataclasses import dataclass

from atlass_runtime import PROCESSES, RunConfig, get_process
from atlass_runtime.dataset import UNLABELLED

# The pages in the order a user meets them; nextId skips those the process does not use.
PAGES = ("dataset", "process", "transforms", "networks", "threshold", "training", "summary")

# The RunConfig fields each page writes (an error in one of them is shown on that page), as
# RunConfig declares them.
PAGE_FIELDS: dict[str, tuple[str, ...]] = {page: RunConfig.page_fields().get(page, ()) for page in PAGES}

NO_UNLABELLED = ("only No distillation can be chosen: the other six processes learn from unlabelled "
                 f"images. To use them, put images in the dataset's {UNLABELLED}/ folder (in the "
                 "annotator: leave some images unsorted).")


def pages_for(process: str) -> list[str]:
    """The pages a process needs: a page that holds settings is shown when the process lets the
    user set one of them (transforms for data distillation, the threshold and stop rule for
    iterative processes); every process chooses its network(s)."""
    info = get_process(process)
    return [page for page in PAGES
            if not PAGE_FIELDS[page] or any(info.settable(name) for name in PAGE_FIELDS[page])]


def next_page(current: str, process: str) -> str | None:
    """The page after `current` for this process; None after the last one."""
    pages = pages_for(process)
    if current not in pages:      # a page the new process skips: continue from its place
        later = PAGES[PAGES.index(current) + 1:]
        return next((page for page in later if page in pages), None)
    index = pages.index(current)
    return pages[index + 1] if index + 1 < len(pages) else None


@dataclass(frozen=True)
class ProcessChoice:
    code: str
    title: str
    explanation: str
    available: bool


def process_choices(has_unlabelled: bool) -> list[ProcessChoice]:
    """The seven processes; without unlabelled images only those that do not distil."""
    return [ProcessChoice(p.code, p.title, p.explanation, has_unlabelled or not p.distills)
            for p in PROCESSES.values()]

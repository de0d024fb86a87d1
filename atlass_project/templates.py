"""The one configured Jinja environment, and turning a rendered notebook template into cells.

Templates are data in `notebook_templates/`. A notebook template is plain text in which a line
`%%% markdown id=NAME` or `%%% code id=NAME tags=a,b` starts a cell; Jinja conditions around the
cells decide which ones exist. A cell left empty by its conditions is dropped.
"""
from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from notebook_templates import TEMPLATES_DIR

from .errors import ProjectError

_MARKER = re.compile(r"^%%% (markdown|code)(?:\s+(.*))?$")
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass
class CellSpec:
    kind: str                      # "markdown" or "code"
    id: str
    source: str
    tags: list[str] = field(default_factory=list)


def environment(templates_dir: str | Path | None = None) -> SandboxedEnvironment:
    """Sandboxed, StrictUndefined (a missing variable is an error, never an empty string), no
    HTML escaping; filters `tojson` (JSON text) and `comment` (text wrapped as # lines)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir or TEMPLATES_DIR)),
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.filters["comment"] = comment
    return env


def comment(text: str, width: int = 96, prefix: str = "# ") -> str:
    """Text wrapped into Python comment lines (`prefix` first) of at most `width` characters."""
    return "\n".join(prefix + line for line in textwrap.wrap(str(text), width - len(prefix)))


def render_text(template: str, context: dict, templates_dir: str | Path | None = None) -> str:
    """A template rendered with `context`."""
    return environment(templates_dir).get_template(template).render(**context)


def render_cells(template: str, context: dict, templates_dir: str | Path | None = None) -> list[CellSpec]:
    """The cells of a notebook template, in order, for this context."""
    return split_cells(render_text(template, context, templates_dir), template)


def split_cells(text: str, origin: str = "template") -> list[CellSpec]:
    cells: list[CellSpec] = []
    current: CellSpec | None = None
    lines: list[str] = []

    def close():
        if current is not None:
            current.source = "\n".join(lines).strip("\n")
            if current.source.strip():
                cells.append(current)

    for number, line in enumerate(text.splitlines(), start=1):
        match = _MARKER.match(line)
        if not match:
            if current is None and line.strip():
                raise ProjectError(f"{origin}, line {number}: text before the first cell marker")
            lines.append(line)
            continue
        close()
        options = dict(_option(part, origin, number) for part in (match.group(2) or "").split())
        if "id" not in options or not _CELL_ID.match(options["id"]):
            raise ProjectError(f"{origin}, line {number}: every cell needs id=NAME (letters, digits, - or _)")
        current = CellSpec(match.group(1), options["id"], "",
                           [t for t in options.get("tags", "").split(",") if t])
        lines = []
    close()
    seen: set[str] = set()
    for cell in cells:
        if cell.id in seen:
            raise ProjectError(f"{origin}: two cells have the id {cell.id!r}")
        seen.add(cell.id)
    return cells


def _option(part: str, origin: str, number: int) -> tuple[str, str]:
    key, sep, value = part.partition("=")
    if not sep or key not in ("id", "tags"):
        raise ProjectError(f"{origin}, line {number}: unknown cell option {part!r} (use id=NAME tags=a,b)")
    return key, value

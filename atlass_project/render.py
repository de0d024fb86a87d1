"""The notebook and the README of a project, made from a RunConfig.

Jinja (notebook_templates/notebook.j2) decides which cells exist for the process; nbformat builds
the notebook object. Values reach the notebook only through the cell tagged `parameters`: one
`name = value` line per RunConfig field, with the field's help as a comment and a Colab form
annotation, so `papermill -p NAME VALUE` and Colab's form fields both work.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
from nbformat import v4

from atlass_runtime import RunConfig, __version__, file_names

from .templates import comment, render_cells, render_text

NOTEBOOK_TEMPLATE = "notebook.j2"
README_TEMPLATE = "README.md.j2"
PARAMETERS_TAG = "parameters"


def _form(name: str, value) -> str:
    """The Colab form annotation for a value (shown as a form field in Colab, ignored elsewhere)."""
    choices = RunConfig.__dataclass_fields__[name].metadata.get("choices")
    if choices:
        return json.dumps(list(choices))
    if isinstance(value, list):
        return '{type:"string"}'        # names separated by commas, as RunConfig reads them
    if isinstance(value, bool):
        return '{type:"boolean"}'
    if isinstance(value, int):
        return '{type:"integer"}'
    if isinstance(value, float):
        return '{type:"number"}'
    if isinstance(value, str):
        return '{type:"string"}'
    return '{type:"raw"}'


def _literal(name: str, value) -> str:
    if isinstance(value, list):        # a form's text field: 'ResNet18, ResNet34'
        value = ", ".join(value)
    text = repr(value)
    if ast.literal_eval(text) != value:  # only plain values (text, numbers, lists of text) belong here
        raise ValueError(f"{name}: {value!r} cannot be written as a Python literal")
    return text


def parameters(config: RunConfig) -> list[dict]:
    """One entry per RunConfig field, in the schema's order: name, literal, help, comment (the
    help as `# @markdown` lines: shown in a Colab form, a comment elsewhere), form, basic."""
    helps = RunConfig.field_help()
    basic = {name for name, f in RunConfig.__dataclass_fields__.items() if f.metadata.get("basic")}
    return [{"name": name, "literal": _literal(name, value), "help": helps[name],
             "comment": comment(f"`{name}`: {helps[name]}", prefix="# @markdown "),
             "form": _form(name, value), "basic": name in basic}
            for name, value in config.to_dict().items()]


# The project's file names as the notebook's code needs them (its first cells run before
# atlass_runtime can be imported).
PROJECT_NAMES = {"notebook": file_names.NOTEBOOK, "config": file_names.CONFIG, "runtime": file_names.RUNTIME,
                 "requirements": file_names.REQUIREMENTS, "project_items": file_names.PROJECT_ITEMS}


def template_context(config: RunConfig, name: str) -> dict:
    """What the notebook template sees. The values themselves are only in `parameters`, so a
    template cannot paste one into a code cell by mistake."""
    return {"name": name, "process": config.process_info, "parameters": parameters(config),
            "field_names": RunConfig.field_names(), "atlass_version": __version__, "files": PROJECT_NAMES}


def render_notebook(config: RunConfig, name: str = "ATLASS project",
                    templates_dir: str | Path | None = None) -> nbformat.NotebookNode:
    """The notebook for `config` (nbformat v4, validated). `name` is the project's name, shown in
    the title. Cell ids are the template's, so the same config always gives the same notebook."""
    cells = []
    for spec in render_cells(NOTEBOOK_TEMPLATE, template_context(config, name), templates_dir):
        if spec.kind == "code":
            cell = v4.new_code_cell(spec.source)
            cell.metadata["cellView"] = "form"       # Colab shows the title and form, not the code
        else:
            cell = v4.new_markdown_cell(spec.source)
        cell.id = spec.id
        if spec.tags:
            cell.metadata["tags"] = list(spec.tags)
        cells.append(cell)
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",
        "colab": {"name": file_names.NOTEBOOK, "provenance": [], "gpuType": "T4"},
        "atlass": {"generator": f"atlass {__version__}", "project": name},
    })
    notebook.nbformat_minor = max(notebook.nbformat_minor, 5)  # cell ids need 4.5
    nbformat.validate(notebook)
    return notebook


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The .ipynb file's text (what goes in the zip)."""
    return nbformat.writes(notebook)


def parameters_cell(notebook: nbformat.NotebookNode):
    """The cell tagged `parameters` (there is exactly one)."""
    found = [c for c in notebook.cells if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if len(found) != 1:
        raise ValueError(f"expected one cell tagged {PARAMETERS_TAG!r}, found {len(found)}")
    return found[0]


def render_readme(config: RunConfig, name: str, zip_name: str, requirements: list[str],
                  templates_dir: str | Path | None = None) -> str:
    """The README.md of the zip: what is in it and how to run it in Colab, locally, with papermill."""
    context = template_context(config, name)
    context.update(zip_name=zip_name, requirements=requirements, config=config.to_dict())
    return render_text(README_TEMPLATE, context, templates_dir)

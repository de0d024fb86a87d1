"""The generated notebook: every process and several option sets render, validate and parse; the
parameters cell is exactly RunConfig; values appear nowhere else; Jinja decides the cells."""
from __future__ import annotations


import ast
import json

import nbformat
import pytest

from atlass_runtime import PROCESSES, RunConfig
from atlass_project import render_notebook
from atlass_project.errors import ProjectError
from atlass_project.render import parameters_cell, render_readme
from atlass_project.templates import environment, render_cells, split_cells

NETWORK_CHOICES = {False: [["ResNet18"], ["DenseNet121"], ["AlexNet"]],
                   True: [["ResNet18"], ["ResNet34", "DenseNet121"], ["ResNet50", "AlexNet", "ResNet152"]]}
TRANSFORM_CHOICES = [["H Flip"], ["Gamma", "Equalize histogram", "2D-Filter"],
                     ["V Flip", "H+V Flip", "Blurring", "Gaussian Blur", "Median Blur", "Bilateral Filter"]]


def configs():
    """Every process with several network and transform choices (and its defaults)."""
    for code, process in PROCESSES.items():
        yield pytest.param(RunConfig(process=code), id=f"{code}-defaults")
        for n, networks in enumerate(NETWORK_CHOICES[process.multi_network]):
            transforms = TRANSFORM_CHOICES[n] if process.uses_transforms else []
            extra = {"threshold": 0.65, "max_rounds": 3} if process.iterative else {}
            yield pytest.param(RunConfig(process=code, networks=networks, transforms=transforms,
                                         vote="soft" if n == 1 else "hard", **extra), id=f"{code}-{n}")


def code_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code"]


def assigned_names(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign), f"only assignments belong in the parameters cell: {ast.dump(node)}"
        names += [t.id for t in node.targets]
    return names


@pytest.mark.parametrize("config", list(configs()))
def test_every_process_renders_a_valid_parseable_notebook(config):
    notebook = render_notebook(config, "My cells")
    nbformat.validate(notebook)
    again = nbformat.reads(nbformat.writes(notebook), as_version=4)   # survives a round trip to disk
    assert [c.id for c in again.cells] == [c.id for c in notebook.cells]
    for cell in code_cells(notebook):
        ast.parse(cell.source, filename=f"cell {cell.id}")
    cell = parameters_cell(notebook)
    basic = [name for name, f in RunConfig.__dataclass_fields__.items() if f.metadata.get("basic")]
    assert assigned_names(cell.source) == basic + [n for n in RunConfig.field_names() if n not in basic]
    assert cell.source.index("**Basic settings**") < cell.source.index("**Advanced settings**")
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body}
    assert RunConfig.from_dict(values) == config
    ids = [c.id for c in notebook.cells]
    assert ("pseudo-label" in ids) == config.process_info.distills
    assert ids.index("gpu") < ids.index("parameters") < ids.index("colab") < ids.index("config") < ids.index("dataset") \
        < ids.index("train-final") < ids.index("evaluate") < ids.index("export") < ids.index("predict")
    assert notebook.metadata["accelerator"] == "GPU" and notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in code_cells(notebook):      # Colab shows each code cell as its title and form fields
        assert cell.metadata["cellView"] == "form" and cell.source.startswith("# @title ")


def test_config_cell_passes_every_parameter_to_run_config():
    notebook = render_notebook(RunConfig(process="IMDD"))
    config_cell = next(c for c in notebook.cells if c.id == "config")
    call = next(n for n in ast.walk(ast.parse(config_cell.source))
                if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "from_settings")
    keywords = call.args[0].keywords
    assert [k.arg for k in keywords] == RunConfig.field_names()
    assert all(isinstance(k.value, ast.Name) and k.value.id == k.arg for k in keywords)


def test_values_reach_the_notebook_only_through_the_parameters_cell():
    config = RunConfig(process="IDD", networks=["DenseNet169"], transforms=["Median Blur"], threshold=0.123,
                       image_size=77, batch_size=13, seed=987654, output_dir="results_xyz")
    notebook = render_notebook(config)
    parameters = parameters_cell(notebook)
    for value in ("DenseNet169", "Median Blur", "0.123", "77", "13", "987654", "results_xyz"):
        assert value in parameters.source
        others = [c.id for c in code_cells(notebook) if c is not parameters and value in c.source]
        assert others == [], f"{value} pasted into {others}"


def test_parameters_carry_help_and_colab_forms():
    source = parameters_cell(render_notebook(RunConfig(process="IMD"))).source
    assert "# @markdown `threshold`: Confidence (0-1) a vote needs" in source     # help shown in the form
    assert 'process = \'IMD\'  # @param ["ND", "DD", "IDD", "MD", "IMD", "MDD", "IMDD"]' in source
    assert 'pretrained = True  # @param {type:"boolean"}' in source
    assert 'networks = \'ResNet34, ResNet50, ResNet101, DenseNet121\'  # @param {type:"string"}' in source
    assert all(len(line) <= 100 for line in source.splitlines() if line.startswith("#"))


def test_the_same_config_gives_the_same_notebook():
    config = RunConfig(process="MDD")
    assert nbformat.writes(render_notebook(config, "x")) == nbformat.writes(render_notebook(config, "x"))


def test_markdown_explains_the_process_in_plain_words():
    for code, process in PROCESSES.items():
        title = render_notebook(RunConfig(process=code), "Cells").cells[0]
        assert title.cell_type == "markdown" and process.title in title.source
        assert process.explanation in title.source and "Colab" in title.source


def test_readme_says_how_to_run_everywhere():
    text = render_readme(RunConfig(process="ND"), "p", "p.zip", ["fastai==2.8.12"])
    for needle in ("Google Colab", "pip install -r requirements.txt", "papermill atlass.ipynb", "atlass run p.zip",
                   "`threshold`"):
        assert needle in text


# ---------------------------------------------------------------------- the template machinery
def test_a_tiny_template_renders_into_cells(tmp_path):
    (tmp_path / "t.j2").write_text(
        "%%% markdown id=intro\n# {{ title }}\n"
        "{% if extra %}\n%%% code id=extra tags=a,b\nx = 1\n{% endif %}\n"
        "%%% code id=empty\n{% if extra %}y = 2{% endif %}\n", encoding="utf-8")
    cells = render_cells("t.j2", {"title": "Hi", "extra": True}, tmp_path)
    assert [(c.kind, c.id, c.tags, c.source) for c in cells] == [
        ("markdown", "intro", [], "# Hi"), ("code", "extra", ["a", "b"], "x = 1"), ("code", "empty", [], "y = 2")]
    assert [c.id for c in render_cells("t.j2", {"title": "Hi", "extra": False}, tmp_path)] == ["intro"]


def test_missing_variables_are_errors_not_blanks(tmp_path):
    from jinja2 import UndefinedError

    (tmp_path / "t.j2").write_text("%%% code id=a\nx = {{ nope }}\n", encoding="utf-8")
    with pytest.raises(UndefinedError):
        render_cells("t.j2", {}, tmp_path)


def test_templates_are_sandboxed():
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        environment().from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


@pytest.mark.parametrize("text, message", [
    ("x = 1\n%%% code id=a\n", "before the first cell marker"),
    ("%%% code\nx = 1\n", "needs id="),
    ("%%% code id=a\nx\n%%% code id=a\ny\n", "two cells have the id"),
    ("%%% code id=a colour=red\nx\n", "unknown cell option"),
])
def test_malformed_templates_are_refused(text, message):
    with pytest.raises(ProjectError, match=message):
        split_cells(text)


def test_tojson_filter_writes_json():
    assert json.loads(environment().from_string("{{ v | tojson }}").render(v={"a": [1, "é"]})) == {"a": [1, "é"]}


def test_changing_the_process_alone_in_the_form_resets_what_depends_on_it(tmp_path, monkeypatch, capsys):
    """A user changes only `process` in Colab's form: the config cell gives that process's own
    networks, transforms, threshold and rounds instead of four errors in a row."""
    exported = RunConfig(process="IMDD", threshold=0.9, seed=7)
    notebook = render_notebook(exported)
    (tmp_path / "config.json").write_text(exported.to_json())
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(parameters_cell(notebook).source, namespace)
    namespace["process"] = "ND"                          # the one change in the form
    exec(next(c.source for c in notebook.cells if c.id == "config"), namespace)
    config = namespace["config"]
    assert (config.process, config.networks, config.transforms, config.threshold, config.max_rounds) == (
        "ND", ["ResNet50"], [], 0.0, 0)
    assert config.seed == 7 and namespace["changed"] == ["process"]
    assert "Changed from the project's config.json: process" in capsys.readouterr().out

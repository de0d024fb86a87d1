"""One place for file names: a finished run's folder holds what RunOutput names, and the notebook
is told the project's names instead of spelling them."""
import ast

from atlass_runtime import RunConfig, file_names
from atlass_runtime.file_names import RunOutput
from atlass_runtime.workflow import run_workflow
from fakes import FakeTrainer
from atlass_project import render_notebook


def test_a_finished_run_holds_every_file_its_run_output_names(colour_dataset, tmp_path):
    config = RunConfig(dataset_dir=str(colour_dataset), output_dir=str(tmp_path / "out"), image_size=16,
                       process="IDD", threshold=0.0, max_rounds=1)
    result = run_workflow(config, trainer_factory=FakeTrainer, log=lambda line: None)
    assert isinstance(result, RunOutput) and result.config == config
    for path in (result.results_path, result.report_path, result.pseudo_labels_path, result.votes_path(1),
                 result.path(file_names.SPLIT), result.path(file_names.RUN_STATE)):
        assert path.is_file(), path
    assert result.model_dir.is_dir() and result.checkpoints_dir.is_dir() and result.figures_dir.is_dir()
    assert result.results["report"] == file_names.REPORT
    reread = RunOutput(result.output_dir)                    # as `atlass run` and the annotator see it
    assert reread.finished and reread.results == result.results


def test_the_notebook_uses_the_project_names_it_is_given():
    code = "\n".join(c.source for c in render_notebook(RunConfig(process="ND")).cells if c.cell_type == "code")
    line = next(l.strip() for l in code.splitlines() if l.strip().startswith("PROJECT_ITEMS ="))
    assert ast.literal_eval(line.split("=", 1)[1].strip()) == file_names.PROJECT_ITEMS
    assert f'install_missing_requirements("{file_names.REQUIREMENTS}")' in code

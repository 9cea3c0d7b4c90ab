"""make gpu-check's runner and table (helpers/report/gpu_check.py), on tiny notebooks of the CPU."""
import dataclasses
import json

import nbformat
import pytest
from tests.conftest import ROOT

from helpers.adaptation.config import AddaConfig, DannConfig
from helpers.diffusion.config import ConditionalDiffusionConfig, DdpmConfig
from helpers.gans.config import AcganConfig, GanConfig
from helpers.report import gpu_check
from helpers.representation.config import ByolConfig, ClassificationConfig
from helpers.segmentation.config import SegmentationConfig

CONFIGS = {"gan": GanConfig, "acgan": AcganConfig, "ddpm": DdpmConfig,
           "conditional_diffusion": ConditionalDiffusionConfig, "dann": DannConfig, "adda": AddaConfig,
           "classification": ClassificationConfig, "byol": ByolConfig, "segmentation": SegmentationConfig}
# Trainings of another notebook's config: ddpm's DCGAN row (helpers.gans.experiment.dcgan_row), whose epochs must be
# gan's for the row to be reused rather than trained again at the gpu profile's steps.
OTHER_TRAININGS = {"ddpm": {"gan_epochs": "epochs"}}


def notebook(path, body):
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('profile = "auto"\ndata = "embedded"\nout_dir = "."\nepochs_a = epochs_b = None')
    parameters.metadata.tags = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(body)]
    nb.metadata.kernelspec = {"name": "dlcv-report", "display_name": "dlcv-report", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def folders(tmp_path):
    (tmp_path / "notebooks").mkdir()
    return tmp_path / "notebooks", tmp_path / "reports"


def test_a_notebook_that_runs_shows_its_key_figure_and_gets_the_short_budget(folders):
    notebooks, reports = folders
    notebook(notebooks / "classification.ipynb", """
import json, pathlib
assert profile == "gpu" and epochs_a == 2 and epochs_b == 2, (profile, epochs_a)
pathlib.Path(out_dir, "metrics.json").write_text(json.dumps({"results": {"accuracy": {"dann": {"a->b": 0.625}}}}))
""")
    check = gpu_check.check_notebook("classification", reports=reports, notebooks=notebooks, kernel="dlcv-report")
    assert check.ok and check.figure == "accuracy / dann / a->b = 0.625" and check.seconds > 0
    assert check.row().startswith("| classification | ran |")


def test_a_failing_notebook_shows_its_error(folders):
    notebooks, reports = folders
    notebook(notebooks / "gan.ipynb", 'raise RuntimeError("Input type (torch.cuda.FloatTensor) and weight type differ")')
    check = gpu_check.check_notebook("gan", reports=reports, notebooks=notebooks, kernel="dlcv-report")
    assert not check.ok and "RuntimeError" in check.figure and "weight type differ" in check.figure
    assert "| gan | failed |" in gpu_check.table([check])


def test_a_notebook_without_metrics_is_not_counted_as_ran(folders):
    notebooks, reports = folders
    (reports / "byol").mkdir(parents=True)
    (reports / "byol" / "metrics.json").write_text(json.dumps({"results": {"t": {"r": {"c": 1.0}}}}))  # a stale one
    notebook(notebooks / "byol.ipynb", "x = 1")
    check = gpu_check.check_notebook("byol", reports=reports, notebooks=notebooks, kernel="dlcv-report")
    assert not check.ok and check.figure.startswith("no metrics.json")


def test_key_figure_is_the_first_of_the_results_tables_else_the_first_number():
    metrics = {"results": {"acgan": {"real": {"aux_accuracy": 0.9, "label_agreement": None},
                                     "generated": {"aux_accuracy": 0.5, "label_agreement": 0.931}}}}
    assert gpu_check.key_figure("acgan", metrics) == "label agreement 93.1%"
    assert gpu_check.key_figure("other", metrics) == "acgan / real / aux_accuracy = 0.9"
    assert gpu_check.key_figure("other", {"results": {}}) == "no figure in metrics.json"
    dann = {"results": {"accuracy": {"source-only": {"m->s": 0.2}, "dann": {"m->s": 0.4, "m->u": 0.9}}}}
    assert gpu_check.key_figure("dann", dann) == "source-only m->s 20.0%"


def test_every_notebook_has_a_short_budget_of_its_own_parameters():
    for name, parameters in gpu_check.SHORT_BUDGET.items():
        source = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        cell = next(c for c in source.cells if "parameters" in c.metadata.get("tags", []))
        for key in parameters:
            assert f"\n{key} = " in "\n" + cell.source, (name, key)
    assert sorted(gpu_check.SHORT_BUDGET) == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_the_short_budget_caps_every_training_whose_epochs_follow_the_data():
    """Each training's step budget (helpers.core.config.steps_field) has its epochs override in SHORT_BUDGET: one
    left at the gpu profile's steps (byol's supervised backbone, 1,260 steps) would make gpu-check's "2 epochs" a
    long run."""
    assert sorted(CONFIGS) == sorted(gpu_check.SHORT_BUDGET)
    for name, cls in CONFIGS.items():
        for field in dataclasses.fields(cls):
            epochs = field.metadata.get("epochs")
            if epochs:
                assert epochs in gpu_check.SHORT_BUDGET[name], (name, field.name)
        for parameter, epochs in OTHER_TRAININGS.get(name, {}).items():
            assert gpu_check.SHORT_BUDGET[name].get(parameter) == gpu_check.SHORT_BUDGET["gan"][epochs], name


def test_without_cuda_the_gpu_profile_is_refused(monkeypatch, capsys):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert gpu_check.main(["dann"]) == 2
    assert "no CUDA device" in capsys.readouterr().err

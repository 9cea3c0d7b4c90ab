"""Every notebook: committed clean, and run end to end through papermill as `make report` runs it."""
import json
from pathlib import Path

import nbformat
import pytest

from helpers.report.execute import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
# What each notebook's metrics.json must hold: table -> rows -> columns.
EXPECTED = {
    "dann": {"accuracy": ({"source-only", "dann", "target-only"},
                          {"digits-m->digits-s", "digits-m->digits-u", "digits-s->digits-m"})},
}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs_and_with_a_parameters_cell(name):
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and 'profile = "auto"' in tagged[0].source and "out_dir = " in tagged[0].source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_through_papermill_and_writes_its_report(name, tmp_path):
    html = execute_notebook(name, profile="smoke", reports_dir=tmp_path, notebooks_dir=ROOT / "notebooks",
                            kernel="python3", progress_bar=False)
    out = tmp_path / name
    assert html.exists() and (out / f"{name}.ipynb").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["notebook"] == name and metrics["profile"] == "smoke" and metrics["timings"]["total_s"] > 0
    for table, (rows, columns) in EXPECTED.get(name, {}).items():
        assert set(metrics["results"][table]) == rows
        for row in rows:
            assert set(metrics["results"][table][row]) == columns
            assert all(0.0 <= v <= 1.0 for v in metrics["results"][table][row].values())
    assert list((out / "figures").glob("*.png"))


def test_a_failing_notebook_keeps_its_error_and_leaves_no_html(tmp_path):
    with pytest.raises(Exception, match="epochs"):
        execute_notebook("dann", profile="smoke", reports_dir=tmp_path, notebooks_dir=ROOT / "notebooks",
                         kernel="python3", progress_bar=False, extra_parameters={"epochs": -1})
    executed = nbformat.read(tmp_path / "dann" / "dann.ipynb", as_version=4)
    assert executed.metadata.papermill.exception
    assert not (tmp_path / "dann" / "dann.html").exists()

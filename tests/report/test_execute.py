"""helpers.report.execute: a checkout's notebooks run on that checkout's helpers, or not at all."""
import pytest
from tests.conftest import ROOT

from helpers.report import execute


def other_checkouts_helpers(tmp_path, monkeypatch):
    """An environment whose ``helpers`` is another checkout's (as an editable install made there would be)."""
    package = tmp_path / "other" / "helpers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "other"))
    return package


def test_an_environment_that_imports_another_checkouts_helpers_is_refused_before_anything_is_written(tmp_path,
                                                                                                    monkeypatch):
    package = other_checkouts_helpers(tmp_path, monkeypatch)
    monkeypatch.setattr(execute.papermill, "execute_notebook", lambda *a, **k: pytest.fail("the notebook ran"))
    with pytest.raises(execute.NotStarted, match=f"imports helpers from {package}, not this checkout's "
                                                 f"{ROOT / 'helpers'}.*pip install -e {ROOT}$"):
        execute.execute_notebook("dann", reports_dir=tmp_path / "reports", notebooks_dir=ROOT / "notebooks")
    assert not (tmp_path / "reports").exists()


def test_the_checkouts_own_helpers_pass_and_notebooks_outside_a_checkout_are_not_checked(tmp_path, monkeypatch):
    execute.check_helpers_source(ROOT / "notebooks")
    other_checkouts_helpers(tmp_path, monkeypatch)
    (tmp_path / "copy" / "notebooks").mkdir(parents=True)  # no helpers/ beside it: nothing to compare with
    execute.check_helpers_source(tmp_path / "copy" / "notebooks")

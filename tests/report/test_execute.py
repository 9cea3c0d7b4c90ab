"""helpers.report.execute: a checkout's notebooks run on that checkout's helpers, or not at all."""
import re

import pytest
from tests.conftest import ROOT

from helpers.report import execute, gpu_check


def other_checkout(tmp_path, monkeypatch, init: str = ""):
    """An environment whose ``helpers`` is another checkout's (as an editable install made there would be)."""
    package = tmp_path / "other" / "helpers"
    (package / "report").mkdir(parents=True)
    (package / "__init__.py").write_text(init)
    (package / "report" / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "other"))
    return tmp_path / "other"


def test_an_environment_that_imports_another_checkouts_helpers_is_refused_before_anything_is_written(tmp_path,
                                                                                                    monkeypatch):
    other = other_checkout(tmp_path, monkeypatch)
    monkeypatch.setattr(execute.papermill, "execute_notebook", lambda *a, **k: pytest.fail("the notebook ran"))
    expected = (f"imports helpers from {re.escape(str(other))}, not from this checkout \\({re.escape(str(ROOT))}\\)"
                f".*Run make without VENV=.*pip install -c .*constraints.*-e '{re.escape(str(ROOT))}\\[dev\\]'")
    with pytest.raises(execute.NotStarted, match=expected):
        execute.execute_notebook("dann", reports_dir=tmp_path / "reports", notebooks_dir=ROOT / "notebooks")
    assert not (tmp_path / "reports").exists()
    assert gpu_check.main(["dann", "--profile", "smoke", "--reports", str(tmp_path / "gpu")]) == 2  # gpu-check too
    assert not (tmp_path / "gpu").exists()


def test_an_environment_that_cannot_import_helpers_is_told_to_install_this_checkout(tmp_path, monkeypatch):
    other_checkout(tmp_path, monkeypatch, init="raise ImportError('broken on purpose')")
    with pytest.raises(execute.NotStarted, match=r"cannot import helpers \(ImportError: broken on purpose\): this "
                                                 r"checkout .* is not installed"):
        execute.check_helpers_source(ROOT / "notebooks")


def test_the_checkouts_own_helpers_pass_and_notebooks_outside_a_checkout_are_not_checked(tmp_path, monkeypatch):
    execute.check_helpers_source(ROOT / "notebooks")  # the tests run in this checkout's own environment
    other_checkout(tmp_path, monkeypatch)
    (tmp_path / "copy" / "notebooks").mkdir(parents=True)  # no helpers/ beside it: nothing to compare with
    execute.check_helpers_source(tmp_path / "copy" / "notebooks")

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


def test_the_kernels_own_interpreter_is_asked_so_a_users_kernelspec_of_that_name_is_refused(tmp_path, monkeypatch):
    """A kernelspec found before make's (JUPYTER_PATH here; a user's own ``--user`` install likewise) runs another
    environment: that environment is the one asked, and the message names the kernelspec."""
    import json
    import sys

    other = other_checkout(tmp_path, monkeypatch)
    monkeypatch.delenv("PYTHONPATH")  # this interpreter imports this checkout's helpers; only the kernel's does not
    python = tmp_path / "env" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nPYTHONPATH={other} exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    spec = tmp_path / "jupyter" / "kernels" / "dlcv-report"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [str(python), "-m", "ipykernel_launcher", "-f",
                                                           "{connection_file}"], "display_name": "theirs",
                                                  "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    assert execute.kernel_interpreter("dlcv-report")[0] == str(python)
    expected = (f"{re.escape(str(python))} \\(kernel dlcv-report \\({re.escape(str(spec))}\\)\\) imports helpers from "
                f"{re.escape(str(other))}.*jupyter kernelspec remove dlcv-report.*{re.escape(str(python))} -m pip")
    with pytest.raises(execute.NotStarted, match=expected):
        execute.execute_notebook("dann", reports_dir=tmp_path / "reports", notebooks_dir=ROOT / "notebooks")
    assert not (tmp_path / "reports").exists()
    execute.check_helpers_source(ROOT / "notebooks", kernel="python3")  # the native kernel is this interpreter


def test_a_kernel_without_a_kernelspec_is_refused_by_name(tmp_path):
    with pytest.raises(execute.NotStarted, match="no Jupyter kernel named 'no-such-kernel'"):
        execute.execute_notebook("dann", reports_dir=tmp_path / "reports", notebooks_dir=ROOT / "notebooks",
                                 kernel="no-such-kernel")
    assert not (tmp_path / "reports").exists()

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


def kernelspec(tmp_path, monkeypatch, argv, name="dlcv-report", env=None):
    """A kernelspec ``name`` found before the environment's own (JUPYTER_PATH; a user's own likewise)."""
    import json

    spec = tmp_path / "jupyter" / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": name, "language": "python",
                                                  "env": env or {}}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return spec


LAUNCH = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def test_the_kernels_own_command_and_environment_are_asked_so_another_kernelspec_of_that_name_is_refused(
        tmp_path, monkeypatch):
    """This interpreter imports this checkout's helpers; the kernelspec that wins runs it with another checkout on
    PYTHONPATH (its ``env``), as another environment would: that is what the kernel would import, and the message
    names the kernelspec."""
    import sys

    other = other_checkout(tmp_path, monkeypatch)
    monkeypatch.delenv("PYTHONPATH")
    spec = kernelspec(tmp_path, monkeypatch, [sys.executable, *LAUNCH], env={"PYTHONPATH": str(other)})
    expected = (f"\\(kernel dlcv-report, {re.escape(str(spec))}\\) imports helpers from {re.escape(str(other))}.*"
                f"jupyter kernelspec remove dlcv-report.*{re.escape(sys.executable)} -m pip install")
    monkeypatch.setattr(execute.papermill, "execute_notebook", lambda *a, **k: pytest.fail("the notebook ran"))
    with pytest.raises(execute.NotStarted, match=expected):
        execute.execute_notebook("dann", reports_dir=tmp_path / "reports", notebooks_dir=ROOT / "notebooks")
    assert not (tmp_path / "reports").exists()
    kernelspec(tmp_path, monkeypatch, [sys.executable, *LAUNCH], name="theirs", env={"PYTHONPATH": str(other)})
    with pytest.raises(execute.NotStarted, match="Run with make's kernel"):  # a kernel named on purpose: not removed
        execute.check_helpers_source(ROOT / "notebooks", kernel="theirs")


def test_kernel_commands_are_read_as_jupyter_starts_them(tmp_path, monkeypatch):
    """A launcher before the interpreter, ``{prefix}`` filled in, the interpreter's flags kept, ``python`` as the
    name of ``python3``: this checkout's helpers are found, nothing refused. A command that is not a Python running
    ipykernel is not checked, with a warning, rather than refused."""
    import sys

    execute.check_helpers_source(ROOT / "notebooks", kernel="python")  # jupyter_client's alias of python3
    kernelspec(tmp_path, monkeypatch, ["/usr/bin/env", "{prefix}/bin/python", "-X", "frozen_modules=off", *LAUNCH])
    probe = execute.kernel_probe("dlcv-report")
    assert probe.command == ["/usr/bin/env", f"{sys.prefix}/bin/python", "-X", "frozen_modules=off"]
    execute.check_helpers_source(ROOT / "notebooks")
    kernelspec(tmp_path, monkeypatch, ["my-launcher", "--connection", "{connection_file}"], name="other-language")
    with pytest.warns(UserWarning, match="kernel other-language .* is not checked"):
        execute.check_helpers_source(ROOT / "notebooks", kernel="other-language")


def test_a_kernel_without_a_kernelspec_is_refused_by_name(tmp_path):
    with pytest.raises(execute.NotStarted, match="no Jupyter kernel named 'no-such-kernel'"):
        execute.execute_notebook("dann", reports_dir=tmp_path / "reports", notebooks_dir=ROOT / "notebooks",
                                 kernel="no-such-kernel")
    assert not (tmp_path / "reports").exists()

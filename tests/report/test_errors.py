"""What a failed notebook says on the terminal and in `make gpu-check`'s table (helpers/report/errors.py), and the
profile check that `make report` runs first."""
from papermill.exceptions import PapermillExecutionError

from helpers.report import __main__ as report_cli
from helpers.report.errors import error_summary

LAYOUT = "expected layout:\n  <data>/<domain>/data/*.png\n  <data>/<domain>/val.csv"


def layout_error() -> PapermillExecutionError:
    """What papermill raises when the notebook's loader stops on a missing folder (a multi-line message)."""
    message = f"data folder /home/me/hw2_data/digits does not exist\n{LAYOUT}"
    traceback = ["\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
                 "\x1b[0;31mDataLayoutError\x1b[0m   Traceback (most recent call last)",
                 f"\x1b[0;31mDataLayoutError\x1b[0m: {message}"]
    return PapermillExecutionError(3, 3, "load()", "DataLayoutError", message, traceback)


def test_a_notebooks_multi_line_error_keeps_the_path_it_names():
    error = layout_error()
    assert "/home/me/hw2_data/digits" not in str(error).strip().splitlines()[-1]  # papermill's last line alone
    full = error_summary(error)
    assert full.startswith("DataLayoutError: data folder /home/me/hw2_data/digits does not exist")
    assert full.endswith("<data>/<domain>/val.csv") and "\x1b" not in full
    assert error_summary(error, one_line=True) == "DataLayoutError: data folder /home/me/hw2_data/digits does not exist"


def test_other_errors_give_their_type_and_message():
    assert error_summary(FileNotFoundError("no notebook x.ipynb")) == "FileNotFoundError: no notebook x.ipynb"
    assert error_summary(KeyboardInterrupt()) == "KeyboardInterrupt"


def test_a_kernel_that_died_says_what_kills_one():
    """nbclient's DeadKernelError ("Kernel died") carries no exception of the notebook's: the summary names the usual
    causes, and its first line stays the error itself (make gpu-check's table)."""
    from nbclient.exceptions import DeadKernelError

    full = error_summary(DeadKernelError("Kernel died"))
    assert full.startswith("DeadKernelError: Kernel died\n") and "out of memory" in full and "native code" in full
    assert error_summary(DeadKernelError("Kernel died"), one_line=True) == "DeadKernelError: Kernel died"


def test_make_reports_terminal_names_the_data_folder_at_fault(monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise layout_error()

    monkeypatch.setattr(report_cli, "execute_notebook", fail)
    assert report_cli.main(["run", "dann", "--reports", "my-reports"]) == 1
    err = capsys.readouterr().err
    assert "notebook dann failed: DataLayoutError: data folder /home/me/hw2_data/digits does not exist" in err
    assert "my-reports/dann/dann.ipynb" in err


def test_a_profile_name_is_checked_before_any_notebook_starts(monkeypatch, capsys):
    monkeypatch.delenv("DLCV_PROFILE", raising=False)
    assert report_cli.main(["profile", "cpu"]) == 0
    assert report_cli.main(["profile", "fast"]) == 2
    assert "unknown profile 'fast'" in capsys.readouterr().err
    monkeypatch.setenv("DLCV_PROFILE", "bogus")
    assert report_cli.main(["profile"]) == 2
    assert "environment variable DLCV_PROFILE" in capsys.readouterr().err
    monkeypatch.setenv("DLCV_PROFILE", "smoke")
    assert report_cli.main(["profile", "--name-only"]) == 0
    assert capsys.readouterr().out == "smoke\n"

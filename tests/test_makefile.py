"""The Makefile's incremental report: a notebook re-runs when its notebook, helpers/ or parameters change,
and only then; ``make -j2`` runs them side by side. The notebook runner is replaced by ``echo`` here, jupytext by ``true``."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make on PATH")


def make(tmp_path: Path, *args: str, env: dict | None = None) -> list[str]:
    """``make -j2 notebooks`` with echo as Python (or a later ``PY=``): the notebooks it would run, by name."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / ".installed").touch()  # newer than pyproject.toml: the set-up is not run
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "-j2", "notebooks", f"REPORTS={tmp_path / 'reports'}", f"VENV={venv}",
         "PY=echo", "JUPYTEXT=true", "NOTEBOOKS=dann adda", *args], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, **(env or {})})
    ran = [line.split("helpers.report run ")[1].split()[0] for line in done.stdout.splitlines()
           if "helpers.report run" in line]
    for name in ran:  # what a successful run leaves behind
        (tmp_path / "reports" / name / f"{name}.html").write_text("done")
    return sorted(ran)


@needs_make
def test_notebooks_rerun_only_when_their_inputs_change(tmp_path):
    assert make(tmp_path, "PROFILE=smoke") == ["adda", "dann"]
    assert make(tmp_path, "PROFILE=smoke") == []  # nothing changed: nothing runs
    assert make(tmp_path, "PROFILE=cpu") == ["adda", "dann"]  # a parameter changed
    assert make(tmp_path, "PROFILE=cpu") == []
    later = time.time() + 5
    html = tmp_path / "reports" / "dann" / "dann.html"
    os.utime(html, (later - 10, later - 10))  # the report is now older than the notebook touched below
    notebook = ROOT / "notebooks" / "dann.ipynb"
    stat = notebook.stat()
    try:
        os.utime(notebook, (later, later))
        assert make(tmp_path, "PROFILE=cpu") == ["dann"]  # only the notebook that changed
    finally:
        os.utime(notebook, (stat.st_atime, stat.st_mtime))


@needs_make
def test_with_profile_auto_a_change_in_what_auto_picks_reruns_the_notebooks(tmp_path):
    """The stamp holds what auto resolves to (here a stand-in Python answers $DLCV_PROFILE, else cpu-lite), so
    DLCV_PROFILE=cpu, or a machine whose calibration now picks otherwise, re-runs what ran with another profile."""
    python = tmp_path / "python"
    python.write_text('#!/bin/sh\nif [ "$3" = profile ]; then echo "${DLCV_PROFILE:-cpu-lite}"; else echo "$@"; fi\n')
    python.chmod(0o755)
    env = {"DLCV_PROFILE": ""}
    assert make(tmp_path, "PROFILE=auto", f"PY={python}", env=env) == ["adda", "dann"]
    assert (tmp_path / "reports" / "dann" / ".params").read_text() == "profile=auto (cpu-lite) data=embedded\n"
    assert make(tmp_path, "PROFILE=auto", f"PY={python}", env=env) == []
    assert make(tmp_path, "PROFILE=auto", f"PY={python}", env={"DLCV_PROFILE": "cpu"}) == ["adda", "dann"]
    assert make(tmp_path, "PROFILE=auto", f"PY={python}", env={"DLCV_PROFILE": "cpu"}) == []


@needs_make
def test_an_unknown_notebook_name_stops_make_and_lists_the_notebooks(tmp_path):
    done = subprocess.run(["make", "-n", "report", "NOTEBOOKS=dann dnn", f"REPORTS={tmp_path}"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "no notebook named dnn" in done.stderr
    assert all(name in done.stderr for name in ("dann", "segmentation", "conditional_diffusion"))


@needs_make
def test_params_come_from_makes_command_line_not_from_the_environment(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    command = ["make", "-s", "--no-print-directory", "notebooks", f"REPORTS={tmp_path / 'reports'}", f"VENV={venv}",
               "PY=echo", "JUPYTEXT=true", "NOTEBOOKS=dann", "PROFILE=smoke"]
    env = {**os.environ, "PARAMS": "epochs=5"}  # a CI's or a shell's own PARAMS
    ran = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, env=env).stdout
    assert "helpers.report run dann" in ran and "--params" not in ran
    ran = subprocess.run([*command, "PARAMS=epochs=5"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "--params epochs=5" in ran


def fake_python(tmp_path: Path) -> Path:
    """A stand-in for $(PY) that prints its arguments one per line and, as ``combine`` does when a section
    cannot be read, writes the report and exits 1."""
    script = tmp_path / "python"
    script.write_text('#!/bin/sh\nprintf \'%s\\n\' "$@"\n'
                      'if [ "$3" = combine ]; then echo page > "$5/report.html"; exit 1; fi\n')
    script.chmod(0o755)
    return script


@needs_make
def test_a_damaged_report_makes_every_make_combine_fail_not_only_the_first(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    (tmp_path / "reports").mkdir()
    command = ["make", "-s", "--no-print-directory", "combine", f"REPORTS={tmp_path / 'reports'}", f"VENV={venv}",
               f"PY={fake_python(tmp_path)}", "NOTEBOOKS=dann"]
    for _ in range(2):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode != 0 and "combine" in done.stdout  # combined again, and failed again
    assert (tmp_path / "reports" / "report.html").read_text() == "page\n"


@needs_make
def test_paths_with_spaces_and_quotes_reach_the_commands_whole(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    reports, data = tmp_path / "reports", "/course data/Dan's hw2_data"
    common = ["make", "-s", "--no-print-directory", f"REPORTS={reports}", f"VENV={venv}", f"PY={fake_python(tmp_path)}"]

    def argv(*args: str) -> list[str]:
        done = subprocess.run([*common, *args], cwd=ROOT, capture_output=True, text=True, check=True)
        return done.stdout.splitlines()

    ran = argv("notebooks", "JUPYTEXT=true", "NOTEBOOKS=dann", "PROFILE=smoke", f"DATA={data}")
    assert ran[ran.index("--data") + 1] == data and "--params" not in ran
    assert (reports / "dann" / ".params").read_text() == f"profile=smoke data={data}\n"
    params = "labels_csv='my data/Dan''s train.csv' attribute=Smiling"
    ran = argv("notebooks", "JUPYTEXT=true", "NOTEBOOKS=dann", "PROFILE=smoke", f"DATA={data}", f"PARAMS={params}")
    assert ran[ran.index("--params") + 1] == params  # re-run: the parameters changed
    assert (reports / "dann" / ".params").read_text() == f"profile=smoke data={data} params={params}\n"
    assert argv("predict", "PROBLEM=dann", "INPUT=in dir/svhn data", "OUTPUT=out dir/pred.csv",
                "CHECKPOINT=my runs/dann.pt", "N=3", "OVERWRITE=1") == [
        "-m", "helpers.predict", "dann", "--reports", str(reports), "--output", "out dir/pred.csv",
        "--input", "in dir/svhn data", "--checkpoint", "my runs/dann.pt", "--n", "3", "--overwrite"]
    # --no-print-directory: under `make test` the outer make's MAKELEVEL makes this one announce its directory
    clean = subprocess.run(["make", "-n", "--no-print-directory", "clean", f"REPORTS={tmp_path / 'my reports'}"],
                           cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert shlex.split(clean[0]) == ["rm", "-rf", str(tmp_path / "my reports"), "build"]  # not "my" and "reports"


def test_without_make_the_make_tests_skip_rather_than_error(tmp_path):
    empty = tmp_path / "bin"  # a PATH with no make on it
    empty.mkdir()
    done = subprocess.run([sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider", "-rs",
                           "-k", "not without_make"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PATH": str(empty), "PYTHONPATH": str(ROOT)})
    needing_make = Path(__file__).read_text().count("\n@needs_make\n")
    assert done.returncode == 0 and f"{needing_make} skipped" in done.stdout and "no make on PATH" in done.stdout, done.stdout


@needs_make
def test_a_section_an_earlier_run_left_makes_the_report_combine_again(tmp_path):
    """report.html holds the sections of earlier runs too (helpers.report combine), so a newer one of them, e.g.
    dann re-run with its own DATA, or one removed re-combines it even when this make's NOTEBOOKS does not name it; so
    does the note of a run that did not start."""
    venv, reports = tmp_path / "venv", tmp_path / "reports"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    python = tmp_path / "python"  # combines by writing a page; every other command just prints
    python.write_text('#!/bin/sh\nprintf \'%s\\n\' "$@"\nif [ "$3" = combine ]; then echo page > "$5/report.html"; fi\n')
    python.chmod(0o755)
    command = ["make", "-s", "--no-print-directory", "combine", f"REPORTS={reports}", f"VENV={venv}", f"PY={python}",
               "NOTEBOOKS=byol"]
    (reports / "dann").mkdir(parents=True)
    (reports / "dann" / "dann.ipynb").write_text("{}")

    def combined() -> bool:
        return "combine" in subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    (reports / "dann" / "dann copy.ipynb").write_text("{}")  # not a section, and its space breaks no rule
    assert combined() and not combined()
    earlier = time.time() - 10  # the report older than dann's section, as after dann is re-run
    os.utime(reports / "report.html", (earlier, earlier))
    assert combined() and not combined()
    (reports / "dann" / "dann.ipynb").unlink()  # a section removed: the report leaves it out
    assert combined() and not combined()
    (reports / "byol").mkdir()  # a run refused before it started (helpers.report.execute.NotStarted): its section says so
    for made in (reports / "report.html", reports / ".notebooks"):  # both older than the note written next
        os.utime(made, (earlier - 10, earlier - 10))
    (reports / "byol" / "not-started.txt").write_text("notebook byol has no parameter epoch")
    assert combined() and not combined()
    (reports / "byol" / "not-started.txt").unlink()  # removed by a run that started, whatever became of it
    assert combined() and not combined()


@needs_make
def test_make_report_ends_naming_the_report_or_the_failure(tmp_path):
    """A make report with nothing to run printed nothing at all; now its last line names the report. A notebook that
    fails (here the stand-in's run exits 1) gives the failure line instead, and make exits non-zero."""
    venv, reports = tmp_path / "venv", tmp_path / "reports"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    python = tmp_path / "python"  # runs by writing the page, combines by writing the report; fails runs when asked
    python.write_text('#!/bin/sh\nif [ "$3" = run ]; then [ -n "$FAIL" ] && exit 1; mkdir -p "${10}/$4"; '
                      'echo page > "${10}/$4/$4.html"; fi\nif [ "$3" = combine ]; then echo page > "$5/report.html"; fi\n')
    python.chmod(0o755)

    def report(**env):
        return subprocess.run(["make", "-s", "--no-print-directory", "report", f"REPORTS={reports}", f"VENV={venv}",
                               f"PY={python}", "JUPYTEXT=true", "NOTEBOOKS=dann", "PROFILE=smoke"], cwd=ROOT,
                              capture_output=True, text=True, env={**os.environ, **env})

    for _ in range(2):  # the run that makes it, then one with nothing to run
        done = report()
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == f"make report: done: {reports / 'report.html'}"
    (reports / "dann" / "dann.html").unlink()
    failed = report(FAIL="1")
    assert failed.returncode != 0 and "done" not in failed.stdout
    assert "make report: a notebook failed, did not start or could not be read" in failed.stderr

"""Shared fixtures: tiny configurations and data, fixed seeds, the CPU."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
import torch

# Tests are deterministic and small: one thread avoids run-to-run float differences between thread counts.
torch.set_num_threads(1)
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture
def torch_threads():
    """``torch.set_num_threads`` for one test; the suite's one thread comes back after it."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.fixture
def no_profile_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLCV_PROFILE", raising=False)


def cpu_bfloat16(monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    """Make this CPU one with native bfloat16 (AVX-512 BF16) or one without (AVX2 only), whatever it is: oneDNN's
    check and the CPU's flags, which helpers.core.runtime.bfloat16_is_native reads."""
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: native)
    flags = {"avx2": True, "avx512_f": native, "avx512_bf16": native, "amx_bf16": False}
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: flags)


@pytest.fixture(autouse=True)
def calibration_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test's own dlcv-report cache folder: `auto`'s calibration (helpers.core.calibration) never reads or
    writes the user's ~/.cache/dlcv-report (the other libraries' caches stay where they are)."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("DLCV_CACHE", str(cache))
    return cache


from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


# Notebooks whose later one may read the earlier one's metrics.json (adda DANN's row, ddpm the DCGAN's) run in one
# worker in this order: adda after dann, so that adda's reading of DANN's row is tested; ddpm before gan, so that
# ddpm's own DCGAN is.
SMOKE_CHAINS = (("dann", "adda"), ("ddpm", "gan"))


def smoke_batches(names: list[str]) -> list[list[str]]:
    """The notebooks as tasks for the smoke workers: each chain of SMOKE_CHAINS in its order, the rest alone."""
    chained = {name for chain in SMOKE_CHAINS for name in chain}
    tasks = [[name for name in chain if name in names] for chain in SMOKE_CHAINS]
    return [task for task in tasks if task] + [[name] for name in names if name not in chained]


def _run_task(task: list[tuple[str, str, dict]]) -> dict[str, str | None]:
    """One worker's notebook runs in the smoke profile, in order, each ``(key, notebook, execute_notebook's other
    arguments)``: {key: the error it raised, as text, or None}."""
    from helpers.report.execute import execute_notebook

    errors: dict[str, str | None] = {}
    for key, name, arguments in task:
        try:
            execute_notebook(name, profile="smoke", notebooks_dir=ROOT / "notebooks", kernel="python3",
                             progress_bar=False, **arguments)
            errors[key] = None
        except Exception as error:  # reported by the test that reads that run
            errors[key] = f"{type(error).__name__}: {error}"
    return errors


def run_two_at_a_time(tasks: list[list[tuple[str, str, dict]]]) -> dict[str, str | None]:
    """The tasks (:func:`_run_task`) in two worker processes, each kernel with half the cores' threads: a smoke run
    is mostly kernel start, imports and rendering, and on 2 cores nine notebooks took 93 s this way against 159 s
    one after another. Processes, not threads: papermill changes the process's working directory while it runs a
    notebook, and two threads doing so can leave it in notebooks/ for the tests after them (docs/tuning.md,
    "`make test` in pytest-xdist workers")."""
    errors: dict[str, str | None] = {}
    with pytest.MonkeyPatch.context() as patch, ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        patch.setenv("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // 2)))  # the kernels inherit it
        for result in pool.map(_run_task, tasks):
            errors.update(result)
    return errors


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict[str, str | None]]:
    """Every papermill run of the suite, in one pool of two workers (:func:`run_two_at_a_time`), the chains of
    two notebooks first: the nine notebooks in the smoke profile on the embedded data, the way `make report` runs
    them, into one reports folder, then the combined report; and each notebook on a course-layout tree of its own
    (tests/course_trees.py). One pool, not one for each: the second worker is not left idle at the end of the
    first. (The embedded runs' reports folder, {tree: its folder}, {run: the error it raised, as text, or None}:
    the notebook's name for an embedded run, ``course:<run>`` for a tree's.)"""
    from helpers.report.combine import build_report
    from tests.course_trees import course_tasks

    reports = tmp_path_factory.mktemp("reports")
    embedded = [[(name, name, {"reports_dir": reports}) for name in task] for task in smoke_batches(NOTEBOOKS)]
    folders, course = course_tasks(tmp_path_factory)
    errors = run_two_at_a_time(sorted(embedded + course, key=len, reverse=True))
    build_report(reports, NOTEBOOKS)
    return reports, folders, errors


@pytest.fixture(scope="session")
def smoke_reports(notebook_runs) -> tuple[Path, dict[str, str | None]]:
    """Every notebook run once in the smoke profile on the embedded data, and the combined report: (reports folder,
    {notebook: the error it raised, as text, or None})."""
    reports, _, errors = notebook_runs
    return reports, {name: errors[name] for name in NOTEBOOKS}


@pytest.fixture(scope="session")
def course_runs(notebook_runs) -> tuple[dict, dict[str, str | None]]:
    """Each notebook on a course-layout tree: ({tree: its folder, with the tree and reports/}, {``course:<run>``:
    the error it raised, as text, or None})."""
    _, folders, errors = notebook_runs
    return folders, {key: error for key, error in errors.items() if key.startswith("course:")}

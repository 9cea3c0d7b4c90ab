"""Shared fixtures: tiny configurations and data, fixed seeds, the CPU."""
from __future__ import annotations

import os
import threading
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


def _run_task(task: list[tuple[str, str, dict]], env: dict[str, str]) -> dict[str, str | None]:
    """One worker's notebook runs in the smoke profile, in order, each ``(key, notebook, execute_notebook's other
    arguments)``, in the environment ``env`` (their kernels' too): {key: the error it raised, as text, or None}."""
    os.environ.clear()
    os.environ.update(env)
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


class BackgroundRuns:
    """The tasks (:func:`_run_task`) in worker processes while the rest of the suite goes on: one at a time, the
    suite keeping the other core, until :meth:`errors` is first called (the suite now waits for them), then two at
    a time. Processes, not threads: papermill changes the process's working directory while it runs a notebook, and
    two threads doing so can leave it in notebooks/ for the tests after them (docs/tuning.md, "`make test` in
    pytest-xdist workers")."""

    def __init__(self, tasks: list[list[tuple[str, str, dict]]], env: dict[str, str]):
        self._pool = ProcessPoolExecutor(2, mp_context=get_context("spawn"))  # a worker is started when needed
        self._slots = threading.Semaphore(1)
        self._futures: list = []
        self._waited = self._closed = False
        self._feeder = threading.Thread(target=self._feed, args=(tasks, env), daemon=True)
        self._feeder.start()

    def _feed(self, tasks, env) -> None:
        for task in tasks:
            self._slots.acquire()
            if self._closed:
                return
            try:
                future = self._pool.submit(_run_task, task, env)
            except RuntimeError:  # closed meanwhile
                return
            future.add_done_callback(lambda _: self._slots.release())
            self._futures.append(future)

    def errors(self) -> dict[str, str | None]:
        """{key: the error its run raised, as text, or None}, once every run has ended."""
        if not self._waited:
            self._waited = True
            self._slots.release()  # a second run at a time
        self._feeder.join()
        errors: dict[str, str | None] = {}
        for future in self._futures:
            errors.update(future.result())
        return errors

    def close(self) -> None:
        """At the session's end. A session ended early (-x, an interrupt, no test left that reads the runs) stops
        the runs still going instead of waiting for them (their kernels end with their parent)."""
        self._closed = True
        self._slots.release()  # a feeder waiting for a slot stops
        if self._feeder.is_alive() or not all(future.done() for future in self._futures):
            for process in list(self._pool._processes.values()):
                process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)


# The notebook runs that the tests read, by the fixture through which they read them.
RUN_GROUPS = {"smoke_reports": "embedded", "course_runs": "course"}


def runs_read(item: pytest.Item) -> set[str]:
    """The groups of notebook runs (:data:`RUN_GROUPS`) that a test reads."""
    return {group for fixture, group in RUN_GROUPS.items() if fixture in getattr(item, "fixturenames", ())}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that read the notebook runs go last, after nbval's notebooks too: the runs are made in the
    background meanwhile (:func:`notebook_runs_started`), on the core the rest of the suite leaves idle (the unit
    tests and nbval's kernels keep about one of two busy). Waiting for them may take minutes: no 10-minute limit."""
    items.sort(key=lambda item: bool(runs_read(item)))
    for item in items:
        if runs_read(item):
            item.add_marker(pytest.mark.timeout(1800))


@pytest.fixture(scope="session", autouse=True)
def notebook_runs_started(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """At the first test, the papermill runs that the collected tests read, started in the background
    (:class:`BackgroundRuns`), the chains of two notebooks first: "embedded", the nine notebooks in the smoke profile
    on the embedded data, the way `make report` runs them, into one reports folder; "course", each notebook on a
    course-layout tree of its own (tests/course_trees.py). While they run, every kernel of the suite (nbval's too)
    gets one core's share of threads: more threads than cores stall torch's and openTSNE's threads waiting on each
    other. (The embedded runs' reports folder or None, {tree: its folder}, the runs; None without a test that reads
    them.)"""
    groups = set().union(*map(runs_read, request.session.items))
    if not groups:
        yield None
        return
    from tests.course_trees import course_tasks

    reports, tasks, folders = None, [], {}
    if "embedded" in groups:
        reports = tmp_path_factory.mktemp("reports")
        tasks += [[(name, name, {"reports_dir": reports}) for name in task] for task in smoke_batches(NOTEBOOKS)]
    if "course" in groups:
        folders, course = course_tasks(tmp_path_factory)
        tasks += course
    threads = str(max(1, (os.cpu_count() or 1) // 2))
    # this environment as it is before any test changes it, and the runs' own dlcv-report cache (the judge,
    # calibration), never the user's
    env = {**os.environ, "OMP_NUM_THREADS": threads, "DLCV_CACHE": str(tmp_path_factory.mktemp("runs-cache"))}
    runs = BackgroundRuns(sorted(tasks, key=len, reverse=True), env)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", threads)  # the kernels the suite starts itself: nbval's, the failing run's
        yield reports, folders, runs
    runs.close()


@pytest.fixture(scope="session")
def notebook_runs(notebook_runs_started) -> tuple[Path | None, dict, dict[str, str | None]]:
    """The runs of :func:`notebook_runs_started`, ended, and the combined report of the embedded ones: (reports
    folder, {tree: its folder}, {run: the error it raised, as text, or None}: the notebook's name for an embedded
    run, ``course:<run>`` for a tree's)."""
    from helpers.report.combine import build_report

    reports, folders, runs = notebook_runs_started
    errors = runs.errors()
    if reports is not None:
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

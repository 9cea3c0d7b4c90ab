"""Shared fixtures: tiny configurations and data, fixed seeds, the CPU."""
from __future__ import annotations

import os

import pytest
import torch

# Tests are deterministic and small: one thread avoids run-to-run float differences between thread counts.
torch.set_num_threads(1)
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture
def no_profile_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLCV_PROFILE", raising=False)


from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session")
def smoke_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Exception | None]]:
    """Every notebook run once in the smoke profile the way `make report` runs it, then the combined
    report: (reports folder, {notebook: the error it raised, or None})."""
    from helpers.report.combine import build_report
    from helpers.report.execute import execute_notebook

    reports = tmp_path_factory.mktemp("reports")
    errors: dict[str, Exception | None] = {}
    for name in NOTEBOOKS:
        try:
            execute_notebook(name, profile="smoke", reports_dir=reports, notebooks_dir=ROOT / "notebooks",
                             kernel="python3", progress_bar=False)
            errors[name] = None
        except Exception as error:  # reported by the test of that notebook
            errors[name] = error
    build_report(reports, NOTEBOOKS)
    return reports, errors

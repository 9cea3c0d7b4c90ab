"""``make gpu-check``: every notebook in the gpu profile on a short budget, and a table of what ran.

Each notebook runs through papermill with ``profile="gpu"`` and the few epochs of :data:`SHORT_BUDGET`, into
``<reports>/<name>/`` (by default ``build/gpu-check``, never over a real report). The table gives, per
notebook: ran or failed (with the error: its type and first line), seconds, and its key figure from ``metrics.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from helpers.report.errors import error_summary
from helpers.report.execute import NotStarted, check_helpers_source
from helpers.report.results import key_figures

# A few epochs each: all nine within about ten minutes on one GPU. gan's mode-collapse runs keep their
# ``collapse_steps`` (two small networks on points of the plane); ddpm reuses gan's DCGAN row and adda dann's, as in
# a report.
SHORT_BUDGET: dict[str, dict] = {
    "gan": {"epochs": 2},
    "acgan": {"epochs": 2},
    "ddpm": {"epochs": 2, "gan_epochs": 2},  # its DCGAN as gan's, so that it reuses that row
    "conditional_diffusion": {"epochs": 2},
    "dann": {"epochs": 2},
    "adda": {"epochs": 2, "adapt_epochs": 2},
    "classification": {"epochs_a": 2, "epochs_b": 2},
    "byol": {"pretrain_epochs": 2, "supervised_epochs": 2, "finetune_epochs": 2},
    "segmentation": {"epochs": 2},
}


@dataclass
class Check:
    notebook: str
    ok: bool
    seconds: float
    figure: str  # the key figure, or the error (its type and first line)

    def row(self) -> str:
        return f"| {self.notebook} | {'ran' if self.ok else 'failed'} | {self.seconds:.0f} | {self.figure} |"


def key_figure(name: str, metrics: dict) -> str:
    """The notebook's first key figure (:mod:`helpers.report.results`), else its first number."""
    figures = key_figures(name, metrics)
    if figures:
        return figures[0]
    for table, rows in metrics.get("results", {}).items():
        for row, columns in rows.items():
            for column, value in columns.items():
                if isinstance(value, (int, float)):
                    return f"{table} / {row} / {column} = {value:.4g}"
    return "no figure in metrics.json"


def error_cell(error: BaseException) -> str:
    """The error in one table cell: its type and its message's first line."""
    return error_summary(error, one_line=True).replace("|", "/")[:200]


def check_notebook(name: str, *, reports: Path, notebooks: Path, kernel: str | None, profile: str = "gpu",
                   parameters: dict | None = None, cell_timeout: int | None = None) -> Check:
    """Run one notebook with papermill (no HTML) and say how it went."""
    import papermill  # here, so that the table's helpers import without Jupyter

    from helpers.report.execute import kernel_config

    out_dir = (reports / name).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").unlink(missing_ok=True)  # a figure in the table is this run's
    parameters = {"profile": profile, "data": "embedded", "out_dir": os.path.relpath(out_dir, notebooks.resolve()),
                  **(parameters if parameters is not None else SHORT_BUDGET.get(name, {}) if profile == "gpu" else {})}
    start = time.perf_counter()
    try:
        papermill.execute_notebook(str(notebooks / f"{name}.ipynb"), str(out_dir / f"{name}.ipynb"),
                                   parameters=parameters, kernel_name=kernel, cwd=str(notebooks.resolve()),
                                   progress_bar=False, execution_timeout=cell_timeout, config=kernel_config())
    except Exception as error:  # papermill's PapermillExecutionError ends with the notebook's exception
        return Check(name, False, time.perf_counter() - start, error_cell(error))
    seconds = time.perf_counter() - start
    try:
        figure = key_figure(name, json.loads((out_dir / "metrics.json").read_text()))
    except (OSError, ValueError) as error:
        return Check(name, False, seconds, f"no metrics.json: {error_cell(error)}")
    return Check(name, True, seconds, figure)


def table(checks: list[Check]) -> str:
    return "\n".join(["| notebook | ran | seconds | key figure (or the error) |",
                      "| --- | --- | --- | --- |", *(c.row() for c in checks)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.report.gpu_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(SHORT_BUDGET), help="notebooks (default: all nine)")
    parser.add_argument("--reports", default="build/gpu-check", help="output folder (default: build/gpu-check)")
    parser.add_argument("--notebooks", default="notebooks")
    parser.add_argument("--kernel", default="dlcv-report", help="Jupyter kernel (default: dlcv-report)")
    parser.add_argument("--profile", default="gpu", help="gpu (default); smoke checks the tool itself on a CPU")
    parser.add_argument("--cell-timeout", type=int, default=600, help="seconds one cell may run (default: 600)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(SHORT_BUDGET))
    if unknown:
        parser.error(f"unknown notebook(s) {', '.join(unknown)}; valid choices: {', '.join(SHORT_BUDGET)}")
    if args.profile == "gpu":
        import torch
        if not torch.cuda.is_available():
            print("gpu-check: no CUDA device here; the gpu profile would run on the CPU. Run it on a GPU box "
                  "(or pass --profile smoke to check the tool).", file=sys.stderr)
            return 2
    reports, notebooks = Path(args.reports), Path(args.notebooks)
    try:
        check_helpers_source(notebooks, args.kernel)
    except NotStarted as error:
        print(f"gpu-check: {error}", file=sys.stderr)
        return 2
    checks = []
    for name in args.names:
        checks.append(check_notebook(name, reports=reports, notebooks=notebooks, kernel=args.kernel,
                                     profile=args.profile, cell_timeout=args.cell_timeout))
        print(checks[-1].row(), flush=True)
    text = table(checks)
    (reports / "gpu-check.md").write_text(text + "\n")
    print(f"\n{text}\n\nall: {sum(c.seconds for c in checks):.0f} s; wrote {reports / 'gpu-check.md'}")
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

"""``reports/<name>/metrics.json``: the one file the summary table and the tests read (docs/design.md, Contracts).

    notebook, profile, data, params, results {table: {row: {column: number}}}, timings {total_s, ...}, env
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from helpers.core.checkpoint import atomic_write_text
from helpers.core.runtime import environment

REQUIRED_KEYS = ("notebook", "profile", "data", "params", "results", "timings", "env")


def check_results(results: Mapping[str, Any]) -> None:
    """Results must be ``{table: {row: {column: number}}}`` with finite numbers (or None for 'not run')."""
    for table, rows in results.items():
        if not isinstance(rows, Mapping):
            raise ValueError(f"results[{table!r}] must map rows to columns, got {type(rows).__name__}")
        for row, columns in rows.items():
            if not isinstance(columns, Mapping):
                raise ValueError(f"results[{table!r}][{row!r}] must map columns to numbers")
            for column, value in columns.items():
                if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
                    raise ValueError(f"results[{table!r}][{row!r}][{column!r}] = {value!r} is not a finite number")


def write_metrics(out_dir: Path | str, *, notebook: str, profile: str, data: str, params: Mapping[str, Any],
                  results: Mapping[str, Any], timings: Mapping[str, float], device: torch.device,
                  extra: Mapping[str, Any] | None = None) -> Path:
    """Write ``out_dir/metrics.json`` atomically and return its path."""
    check_results(results)
    document = {
        "notebook": notebook,
        "profile": profile,
        "data": data,
        "params": dict(params),
        "results": results,
        "timings": dict(timings),
        "env": environment(device),
        **(extra or {}),
    }
    path = Path(out_dir) / "metrics.json"
    atomic_write_text(path, json.dumps(document, indent=2, default=str) + "\n")
    return path


def read_metrics(path: Path | str) -> dict[str, Any]:
    """Read a metrics.json, checking the contract's keys."""
    path = Path(path)
    document = json.loads(path.read_text())
    missing = [k for k in REQUIRED_KEYS if k not in document]
    if missing:
        raise ValueError(f"{path} lacks the keys {missing}")
    return document


def earlier_results(path: Path | str, *, table: str, row: str, same: Mapping[str, Any]) -> dict[str, float] | None:
    """One row of another notebook's results, if its metrics.json exists and was made with the same
    settings (``same``: keys of metrics.json's top level or of its ``params``); else None."""
    path = Path(path)
    if not path.exists():
        return None
    document = read_metrics(path)
    for key, value in same.items():
        recorded = document.get(key, document["params"].get(key))
        if json.loads(json.dumps(recorded, default=str)) != json.loads(json.dumps(value, default=str)):
            return None
    return document["results"].get(table, {}).get(row)

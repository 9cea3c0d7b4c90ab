"""The reference reports' numbers (references.csv, each with its source), matched to our metrics.

A result on the embedded data is shown beside the reference of the course data set it stands in for, and
marked as not comparable; only a run on the course data (``data`` a path) is comparable.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.data import COURSE_NAME, EMBEDDED

REFERENCES = Path(__file__).with_name("references.csv")


@dataclass(frozen=True)
class Reference:
    notebook: str
    table: str
    row: str
    column: str
    value: float
    source: str


def load_references(path: Path | str = REFERENCES) -> list[Reference]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [Reference(r["notebook"], r["table"], r["row"], r["column"], float(r["reference"]), r["source"])
                for r in csv.DictReader(handle)]


def course_column(column: str) -> str:
    """``digits-m->digits-s`` to ``mnistm->svhn``: the course name of an embedded column."""
    return "->".join(COURSE_NAME.get(part, part) for part in column.split("->"))


def beside_references(metrics: dict[str, dict[str, Any]], references: list[Reference] | None = None) -> list[dict[str, Any]]:
    """One row per reference whose notebook has results: ours (None if not measured), the reference,
    and whether the two are comparable (course data) or not (embedded stand-in)."""
    rows = []
    for ref in references if references is not None else load_references():
        if ref.notebook not in metrics:
            continue
        document = metrics[ref.notebook]
        table = document["results"].get(ref.table, {}).get(ref.row, {})
        column, ours = next(((c, v) for c, v in table.items() if course_column(c) == ref.column), (ref.column, None))
        stands_in = f" (stands in for {ref.column})" if column != ref.column else ""
        rows.append({"notebook": ref.notebook, "result": f"{ref.table} / {ref.row} / {column}{stands_in}", "ours": ours,
                     "reference": ref.value, "comparable": document["data"] != EMBEDDED, "source": ref.source})
    return rows

"""Small tables the notebooks show, as pandas DataFrames (rendered as HTML tables in the report)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from helpers.core.config import PROFILE_NOTES, Budget, as_dict

# metrics.json's column keys as every table names them: the notebooks' result tables and the report's summary
COLUMN_NAMES = {
    "fid_classifier": "classifier FID (lower is better)",
    "fid_random": "random-feature FID (no labels; lower is better)",
    "fid_inception": "Inception FID (lower is better)", "recognised": "recognised",
    "between_digits": "between two digits", "diversity": "diversity (nats)", "feature_spread": "mean feature distance",
    "label_agreement": "suite classifier agrees with the label", "aux_accuracy": "auxiliary head accuracy",
    "seconds_per_100": "sampling s / 100 images", "face_share": "faces found (Haar cascade)",
    "uniform_reference": "1/sqrt(dim) (spread evenly)", "modes": "modes covered (of 8)",
    "high_quality": "high-quality samples (within 3 std of a mode)"}


def named_columns(frame: pd.DataFrame, formats: Mapping[str, str] | str | None = None, **options: Any) -> Styler:
    """A results table (rows x metrics.json column keys) shown with its columns named by :data:`COLUMN_NAMES`;
    ``formats`` and ``options`` are :meth:`Styler.format`'s, keyed by the column keys."""
    names = [COLUMN_NAMES.get(str(column), str(column)) for column in frame.columns]
    return frame.style.format(formats, **options).relabel_index(names, axis="columns")


def hyperparameters(config: Any, *budgets: Budget, **extra: Any) -> Styler:
    """One row per configuration field, plus any ``extra`` rows; a Styler, so long values are not cut. Each of
    ``budgets`` (:func:`helpers.core.config.budget`, on the data at hand) shows its epochs beside the steps and its
    batch size where clamped; where the runs that share a field differ, each is listed by its label (else by its
    steps field)."""
    values = {**as_dict(config), **extra}
    text = {k: ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in values.items()}
    if extra.get("profile") in PROFILE_NOTES:
        text["profile"] = f"{extra['profile']} ({PROFILE_NOTES[extra['profile']]})"
    by_field: dict[str, dict[str, str]] = {}
    for b in budgets:
        for name, value in b.describe().items():
            by_field.setdefault(name, {})[b.label or b.steps_field] = value
    for name, by_label in by_field.items():
        distinct = set(by_label.values())
        text[name] = distinct.pop() if len(distinct) == 1 else "; ".join(f"{k}: {v}" for k, v in by_label.items())
    return pd.DataFrame({"value": text}).rename_axis("hyperparameter").style

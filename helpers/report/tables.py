"""Small tables the notebooks show, as pandas DataFrames (rendered as HTML tables in the report)."""
from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from helpers.core.config import PROFILE_NOTES, Budget, as_dict


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

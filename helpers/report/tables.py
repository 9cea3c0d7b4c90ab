"""Small tables the notebooks show, as pandas DataFrames (rendered as HTML tables in the report)."""
from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from helpers.core.config import as_dict


def hyperparameters(config: Any, **extra: Any) -> Styler:
    """One row per configuration field, plus any ``extra`` rows; a Styler, so long values are not cut."""
    values = {**as_dict(config), **extra}
    text = {k: ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in values.items()}
    return pd.DataFrame({"value": text}).rename_axis("hyperparameter").style

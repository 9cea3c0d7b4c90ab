"""The cells of every notebook, one module per notebook (tools/notebook_sources/<name>.py holding
CELLS); tools/build_notebooks.py writes them to notebooks/<name>.ipynb."""
from __future__ import annotations

import importlib
import pkgutil


def notebooks() -> dict[str, list[tuple[str, str]]]:
    """{notebook name: its cells}, one entry per module of this package."""
    return {info.name: importlib.import_module(f"{__name__}.{info.name}").CELLS
            for info in pkgutil.iter_modules(__path__)}

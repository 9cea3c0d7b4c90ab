"""Write notebooks/*.ipynb from their cell sources (run: python tools/build_notebooks.py).

Notebooks are edited in tools/notebook_sources/<name>.py, as plain text that diffs and reviews well,
and written without outputs. Each module's CELLS is a list of ("md" | "code" | "parameters", source).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"name": "dlcv-report", "display_name": "dlcv-report (.venv)", "language": "python"}


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata.kernelspec = KERNELSPEC
    notebook.metadata.language_info = {"name": "python"}
    for kind, source in cells:
        source = source.strip("\n")
        if kind == "md":
            notebook.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            cell = nbformat.v4.new_code_cell(source)
            if kind == "parameters":
                cell.metadata.tags = ["parameters"]
            notebook.cells.append(cell)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index:02d}"
    return notebook


def main() -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_sources import notebooks

    for name, cells in notebooks().items():
        path = ROOT / "notebooks" / f"{name}.ipynb"
        nbformat.write(build(cells), path)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

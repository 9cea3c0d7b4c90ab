"""Executed notebook to HTML without code: what a reader of the report sees."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from helpers.core.checkpoint import atomic_write_text

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TEMPLATES = Path(__file__).parent / "templates"  # lab-alt: the lab template with the figures' text alternatives


class DropProgressOutput(Preprocessor):
    """Remove progress bars and warnings (stderr streams, widget views) from code cells."""

    def preprocess_cell(self, cell, resources, index):  # noqa: ANN001, ANN201 (nbconvert's signature)
        if cell.cell_type == "code":
            cell.outputs = [
                output for output in cell.outputs
                if not (output.output_type == "stream" and output.get("name") == "stderr")
                and WIDGET_MIME not in output.get("data", {})
            ]
        return cell, resources


def exporter(template: str = "lab-alt") -> HTMLExporter:
    html = HTMLExporter(template_name=template, extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                        exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True)
    html.register_preprocessor(DropProgressOutput(), enabled=True)
    return html


def notebook_body(notebook: nbformat.NotebookNode) -> str:
    """The cells' HTML alone (nbconvert's 'basic' template), to be placed in the combined report."""
    body, _ = exporter("basic").from_notebook_node(notebook)
    return body


def render_html(notebook_path: Path | str, html_path: Path | str) -> Path:
    """A standalone HTML page of one executed notebook, inputs hidden, written atomically."""
    notebook = nbformat.read(notebook_path, as_version=4)
    page, _ = exporter("lab-alt").from_notebook_node(notebook)
    atomic_write_text(html_path, page)
    return Path(html_path)

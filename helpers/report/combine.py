"""One self-contained ``reports/report.html``: title and run manifest, contents, summary, one section per problem."""
from __future__ import annotations

import datetime as dt
import html
import json
import sys
from pathlib import Path
from typing import Any

import nbformat

from helpers.core.checkpoint import atomic_write_text
from helpers.report.metrics import read_metrics
from helpers.report.references import beside_references
from helpers.report.render import notebook_body
from helpers.report.tables import COLUMN_NAMES

# Left in reports/<name>/ by a run refused before it started (helpers.report.execute.NotStarted), for its section
# to show; the next run that starts removes it.
NOT_STARTED = "not-started.txt"

# The order of the course reports (docs/design.md, 'Problems').
NOTEBOOK_ORDER = ("gan", "acgan", "ddpm", "conditional_diffusion", "dann", "adda", "classification", "byol",
                  "segmentation")

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 1.5rem 2rem; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #335; padding-bottom: .3rem; }
section.problem { border-top: 1px solid #ccc; margin-top: 2.5rem; padding-top: 1rem; page-break-before: always; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f2f6; }
tbody th { font-weight: normal; }
caption { text-align: left; font-weight: bold; padding: .4rem 0 .2rem; }
img { max-width: 100%; height: auto; }
pre { background: #f7f7f7; padding: .5rem; overflow-x: auto; font-size: .8rem; }
.status-failed { color: #b00; font-weight: bold; }
.status-missing { color: #a60; }
nav ol { columns: 2; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt, .anchor-link { display: none; }
"""


def ordered(names: list[str]) -> list[str]:
    """Course order first, then any other notebooks alphabetically."""
    known = [n for n in NOTEBOOK_ORDER if n in names]
    return known + sorted(n for n in names if n not in NOTEBOOK_ORDER)


def notebook_title(notebook: nbformat.NotebookNode, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def failure(notebook: nbformat.NotebookNode) -> str | None:
    """The error text of a notebook that papermill ran and that failed, else None."""
    if not notebook.metadata.get("papermill", {}).get("exception"):
        return None
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                return f"{output.ename}: {output.evalue}"
    return "the notebook raised an error"


# what a results table's rows are, by table name (or by notebook and table where notebooks differ)
ROW_NAMES: dict[str | tuple[str, str], str] = {
    "accuracy": "method", "samples": "images", "mode_collapse": "run", "acgan": "images", "sampling": "sampler",
    "guidance": "guidance weight w", "per_digit": "digit", "miou": "model", "collapse": "features",
    "tsne_knn": "t-SNE of the epoch", ("classification", "accuracy"): "model", ("byol", "accuracy"): "setting"}


def results_table(results: dict[str, Any], notebook: str = "") -> str:
    """Each results table of a metrics.json as an HTML table (rows x columns)."""
    parts = []
    for table, rows in results.items():
        corner = ROW_NAMES.get((notebook, table), ROW_NAMES.get(table, ""))
        columns: list[str] = []
        for row in rows.values():
            columns += [c for c in row if c not in columns]
        head = "".join(f"<th scope='col' title='{html.escape(str(c), quote=True)}'>"
                       f"{html.escape(COLUMN_NAMES.get(str(c), str(c)))}</th>" for c in columns)
        body = "".join(
            f"<tr><th scope='row'>{html.escape(str(r))}</th>"
            + "".join(f"<td>{format_number(row.get(c))}</td>" for c in columns) + "</tr>"
            for r, row in rows.items())
        parts.append(f"<table><caption>{html.escape(table)}</caption><thead><tr><th scope='col'>{html.escape(corner)}"
                     f"</th>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "\n".join(parts)


def format_number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def references_table(metrics: dict[str, dict[str, Any]]) -> str:
    """Our numbers beside the reference reports', marked comparable or not."""
    rows = beside_references(metrics)
    if not rows:
        return "<p>No result here has a reference-report number yet.</p>"
    body = "".join(
        f"<tr><td>{html.escape(r['notebook'])}</td><td>{html.escape(r['result'])}</td><td>{format_number(r['ours'])}</td>"
        f"<td>{format_number(r['reference'])}</td><td>{'course data: comparable' if r['comparable'] else 'embedded stand-in: not comparable'}</td>"
        f"<td>{html.escape(r['source'])}</td></tr>" for r in rows)
    head = "".join(f"<th>{h}</th>" for h in ("notebook", "result", "ours", "reference", "data", "source"))
    return f"<table class='references'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def manifest_rows(metrics: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, m in metrics.items():
        env = m["env"]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            name, m["profile"], m["data"], env.get("device", "?"), env.get("git_commit", "?")[:12],
            f"{m['timings'].get('total_s', float('nan')):.0f}", env.get("finished", "?"))) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("notebook", "profile", "data", "device", "commit", "seconds", "finished"))
    versions = {}
    for m in metrics.values():
        versions.update(m["env"].get("versions", {}))
    listed = ", ".join(f"{k} {v}" for k, v in versions.items())
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + (f"<p>Versions: {html.escape(listed)}.</p>" if listed else ""))


def earlier_note(names: list[str], earlier: list[str]) -> str:
    if not earlier:
        return ""
    return (f"<p>This run: {html.escape(', '.join(ordered(names)))}. From earlier runs, as they were left in the "
            f"reports folder: {html.escape(', '.join(ordered(earlier)))} (each section says what it ran on; the "
            f"manifest gives the data, profile and finishing time of those with results).</p>")


class DamagedSections(Exception):
    """The report was written, but some sections show an error instead of a notebook: ``path``, ``damaged``."""

    def __init__(self, path: Path, damaged: list[str]):
        super().__init__(f"wrote {path}, but {len(damaged)} section(s) could not be read: " + "; ".join(damaged))
        self.path, self.damaged = path, damaged


def earlier_sections(reports_dir: Path | str, names: list[str]) -> list[str]:
    """The notebooks not in ``names`` whose executed section an earlier run left under ``reports_dir``
    (``<name>/<name>.ipynb``): a course-data report is made one problem family at a time, each with its DATA."""
    return [path.parent.name for path in sorted(Path(reports_dir).glob("*/*.ipynb"))
            if path.stem == path.parent.name and path.parent.name not in names]


def build_report(reports_dir: Path | str, names: list[str], output: Path | str | None = None,
                 earlier: list[str] = ()) -> Path:
    """Combine the executed notebooks under ``reports_dir`` into one self-contained HTML file: ``names``
    (one not run shows so) and ``earlier``, sections of earlier runs (``earlier_sections``), said so at the top.

    A notebook or metrics.json that cannot be read (not JSON, not the contract) does not stop the others:
    its section shows the file and the reason, the report is written, and then DamagedSections is raised when
    it is one of ``names`` (an earlier run's is named on stderr)."""
    reports_dir = Path(reports_dir)
    output = Path(output) if output else reports_dir / "report.html"
    sections, contents, summaries, metrics, damaged = [], [], [], {}, []
    earlier = [name for name in earlier if name not in names]
    for name in ordered([*names, *earlier]):
        executed = reports_dir / name / f"{name}.ipynb"
        metrics_path = reports_dir / name / "metrics.json"
        title = name
        if not executed.exists():
            body = f"<p class='status-missing'>Not run: {html.escape(str(executed))} does not exist.</p>"
        else:
            reading, body = executed, ""
            try:
                notebook = nbformat.read(executed, as_version=4)
                title = notebook_title(notebook, name)
                error = failure(notebook)
                body = notebook_body(notebook)
                if error:
                    body = (f"<p class='status-failed'>This notebook failed: {html.escape(error)} "
                            f"(see {html.escape(str(executed))}).</p>") + body
                elif metrics_path.exists():
                    reading = metrics_path
                    document = read_metrics(metrics_path)
                    summaries.append(f"<h3>{html.escape(title)}</h3>{results_table(document['results'], name)}")
                    metrics[name] = document
            except Exception as problem:  # shown in its section; this run's raised once the report is written
                text = str(problem).strip()
                reason = f"{type(problem).__name__}: {text.splitlines()[0] if text else ''}"
                remedy = "re-run the notebook to replace it"
                if name in names:
                    damaged.append(f"{reading}: {reason}")
                else:  # an earlier run's: it does not fail this one, whose notebooks it is not
                    section = reports_dir / name / name  # its executed notebook and page; the checkpoints stay
                    remedy += f", or remove {section}.ipynb and {section}.html to leave it out"
                    print(f"helpers.report combine: an earlier run's section could not be read: {reading} ({reason}); "
                          f"{remedy}", file=sys.stderr)
                body = (f"<p class='status-failed'>This section could not be read: {html.escape(str(reading))} "
                        f"({html.escape(reason)}); {html.escape(remedy)}.</p>") + body
        refused = reports_dir / name / NOT_STARTED
        if refused.exists():  # its last run stopped before it started (helpers.report.execute.NotStarted)
            kept = "Below: its results from before." if executed.exists() else ""
            body = (f"<p class='status-failed'>Its last run did not start: "
                    f"{html.escape(refused.read_text(errors='replace').strip())}. {kept}</p>") + body
        anchor = html.escape(name, quote=True)
        contents.append(f"<li><a href='#{anchor}'>{html.escape(title)}</a></li>")
        sections.append(f"<section class='problem' id='{anchor}'>{body}</section>")

    created = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    total = sum(m["timings"].get("total_s", 0) for m in metrics.values())
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dlcv-report</title><style>{STYLE}</style></head>
<body>
<h1>dlcv-report: deep learning for computer vision, the course problems</h1>
<p>Built {created}; {len(metrics)} of {len(names) + len(earlier)} notebooks with results; {total:.0f} s of notebook time.</p>
{earlier_note(names, earlier)}
<h2>Run manifest</h2>{manifest_rows(metrics)}
<h2>Contents</h2><nav><ol>{''.join(contents)}</ol></nav>
<h2>Summary of results</h2>
<p>Each notebook's results as its metrics.json holds them: accuracies, shares and mIoU as fractions (0.874 is 87.4%),
FIDs and seconds as they are; each section below explains its own.</p>
<h3>Beside the reference reports</h3>{references_table(metrics)}
{''.join(summaries) or '<p>No results yet.</p>'}
<script type="application/json" id="metrics">{html.escape(json.dumps(metrics, default=str))}</script>
{''.join(sections)}
</body></html>
"""
    atomic_write_text(output, page)
    if damaged:
        raise DamagedSections(output, damaged)
    return output

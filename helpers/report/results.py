"""The README's results table, made from a run's metrics.json files (not edited by hand).

    python -m helpers.report results --reports reports     # prints a Markdown table

One row per notebook that has a metrics.json: its profile, data, seconds and its key figures (:data:`FIGURES`).
"""
from __future__ import annotations

import json
from pathlib import Path

from helpers.report.combine import ordered

# Per notebook: (label, table, row, column); column None: the row's every column (a figure per domain pair).
FIGURES: dict[str, list[tuple[str, str, str, str | None]]] = {
    "gan": [("DCGAN classifier FID", "samples", "dcgan", "fid_classifier"),
            ("real-vs-real floor", "samples", "real", "fid_classifier"),
            ("DCGAN recognised", "samples", "dcgan", "recognised"),
            ("WGAN-GP FID", "samples", "wgan-gp", "fid_classifier"),
            ("SNGAN FID", "samples", "sngan", "fid_classifier"),
            ("DCGAN random-feature FID", "samples", "dcgan", "fid_random"),
            ("its real-vs-real floor", "samples", "real", "fid_random"),
            ("DCGAN faces found", "samples", "dcgan", "face_share"),
            ("real faces found", "samples", "real", "face_share"),
            ("modes covered (of 8): collapsing GAN", "mode_collapse", "collapsed", "modes"),
            ("PacGAN", "mode_collapse", "mitigated", "modes")],
    "acgan": [("label agreement", "acgan", "generated", "label_agreement"),
              ("faces found", "acgan", "generated", "face_share"),
              ("real faces found", "acgan", "real", "face_share")],
    "ddpm": [("DDPM classifier FID", "samples", "ddpm", "fid_classifier"),
             ("DDPM recognised", "samples", "ddpm", "recognised"),
             ("DCGAN FID", "samples", "dcgan", "fid_classifier"),
             ("DDPM random-feature FID", "samples", "ddpm", "fid_random"),
             ("its real-vs-real floor", "samples", "real", "fid_random"),
             ("DDPM faces found", "samples", "ddpm", "face_share")],
    "conditional_diffusion": [("per-digit accuracy", "per_digit", "overall", "accuracy"),
                              ("DDIM-50 s/100 images", "sampling", "ddim-50", "seconds_per_100"),
                              ("DDPM-1000 s/100 images", "sampling", "ddpm-1000", "seconds_per_100")],
    "dann": [("source-only", "accuracy", "source-only", None), ("DANN", "accuracy", "dann", None)],
    "adda": [("ADDA", "accuracy", "adda", None), ("DANN + entropy", "accuracy", "dann-em", None)],
    "classification": [("model A", "accuracy", "model-a", "validation"), ("model B", "accuracy", "model-b", "validation")],
    "byol": [(f"setting {s}", "accuracy", s, "validation") for s in "ABCDE"],
    "segmentation": [("FCN32s mIoU", "miou", "fcn32s", "mean"), ("DeepLabV3 mIoU", "miou", "deeplabv3", "mean")],
}
# Figures that are fractions (shown as percentages): every cell of these tables, and these columns anywhere.
FRACTION_TABLES = ("accuracy", "miou", "per_digit")
FRACTION_COLUMNS = ("accuracy", "recognised", "label_agreement", "aux_accuracy", "face_share")


def figure_text(label: str, value: float, fraction: bool) -> str:
    return f"{label} {100 * value:.1f}%" if fraction else f"{label} {value:.3g}"


def key_figures(name: str, metrics: dict) -> list[str]:
    """The notebook's key figures as text, leaving out those its run did not produce."""
    results, out = metrics.get("results", {}), []
    for label, table, row, column in FIGURES.get(name, []):
        columns = results.get(table, {}).get(row, {})
        picked = columns.items() if column is None else [(None, columns.get(column))]
        for key, value in picked:
            if isinstance(value, (int, float)):
                fraction = table in FRACTION_TABLES or (column or key) in FRACTION_COLUMNS
                out.append(figure_text(label if key is None else f"{label} {key}", value, fraction))
    return out


def results_table(reports: Path | str) -> str:
    """The Markdown table of every notebook with a metrics.json under ``reports``."""
    reports = Path(reports)
    names = ordered([p.parent.name for p in reports.glob("*/metrics.json") if not p.parent.name.startswith("_")])
    if not names:
        raise FileNotFoundError(f"no <notebook>/metrics.json under {reports}: run `make report` first")
    lines = ["| notebook | profile, data | seconds | key figures |", "| --- | --- | --- | --- |"]
    for name in names:
        path = reports / name / "metrics.json"
        try:
            metrics = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            lines.append(f"| {name} | | | unreadable {path}: {error} |")
            continue
        seconds = metrics.get("timings", {}).get("total_s")
        lines.append(f"| {name} | {metrics.get('profile', '?')}, {metrics.get('data', '?')} | "
                     f"{'' if seconds is None else f'{seconds:.0f}'} | {'; '.join(key_figures(name, metrics)) or '-'} |")
    return "\n".join(lines)

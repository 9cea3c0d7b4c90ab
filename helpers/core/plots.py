"""Figures of the report: curves and embeddings from long-form tables with seaborn, image grids with torchvision.

Every function returns a matplotlib Figure; :func:`save_figure` writes it atomically under
``out_dir/figures`` and the notebook shows it inline.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torchvision
from matplotlib.ticker import MaxNLocator

from helpers.core.figure_text import describe
from helpers.core.training import History


def save_figure(fig: plt.Figure, out_dir: Path | str, name: str, *, alt: str | None = None) -> None:
    """Write ``out_dir/figures/<name>.png`` (temp file + rename). In a notebook with matplotlib's inline backend
    (papermill, nbval, JupyterLab's default), also show that PNG there, once, with ``alt`` (default:
    :func:`describe`) as its text alternative, which the HTML report gives to screen readers. The notebook shows
    the file's bytes, not the figure drawn again: the same image as the report's, and a figure drawn once, not
    twice (a seaborn figure took 0.3-1 s to draw on 2 cores)."""
    path = Path(out_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        png = tmp.read_bytes()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if inline_notebook():
        from IPython.display import Image, display

        display(Image(data=png, format="png", metadata={"alt": alt or describe(fig)}))
        plt.close(fig)  # shown once: the inline backend would show it again at the cell's end


def inline_notebook() -> bool:
    """A notebook's kernel drawing with the inline backend: not a script, a terminal IPython or an interactive
    backend (``%matplotlib widget``), whose figures :func:`save_figure` leaves alone."""
    if "inline" not in matplotlib.get_backend():
        return False
    from IPython import get_ipython

    return hasattr(get_ipython(), "kernel")


def history_frame(histories: Mapping[str, History], keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Loss histories in long form: one row per (run, measure, epoch) with its value."""
    rows = [(name, key, epoch, value) for name, history in histories.items() for key in (keys or history)
            if key in history for epoch, value in enumerate(history[key], start=1)]
    return pd.DataFrame(rows, columns=["run", "measure", "epoch", "value"])


def line_panels(frame: pd.DataFrame, *, panel: str, line: str, x: str = "epoch", y: str = "value", ncols: int = 3,
                ylabel: str = "", ylim: tuple[float, float] | None = None, limited: Callable[[str], bool] = bool,
                title: str | None = None) -> plt.Figure:
    """A long-form ``frame`` as line plots: one panel per value of column ``panel``, one line per value of ``line``
    (seaborn's relplot). ``ylim`` applies to the panels whose name ``limited`` accepts."""
    panels = list(dict.fromkeys(frame[panel]))
    if not panels:
        fig, ax = plt.subplots(figsize=(4.2, 1.0))
        ax.axis("off")
        ax.text(0.5, 0.5, "nothing recorded", ha="center", va="center")
        return fig
    ncols = min(ncols, len(panels))
    grid = sns.relplot(frame, x=x, y=y, hue=line, col=panel, col_order=panels, col_wrap=ncols if len(panels) > 1 else None,
                       kind="line", marker="o", markersize=4, height=3.0, aspect=1.4,
                       facet_kws={"sharey": False, "sharex": False, "legend_out": False})
    grid.set_titles("{col_name}", size=9)
    grid.set_axis_labels(x, ylabel)
    for name, ax in zip(panels, grid.axes.flat):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        xs = frame.loc[frame[panel] == name, x].unique()
        if len(xs) == 1:  # one epoch: its tick only (the locator would fill the tiny range with fractions)
            ax.set_xticks(xs)
        if ylim is not None and limited(name):
            ax.set_ylim(*ylim)
    lines_of = {name: list(dict.fromkeys(frame.loc[frame[panel] == name, line])) for name in panels}
    if grid.legend is not None and len({tuple(lines) for lines in lines_of.values()}) > 1:
        # panels with lines of their own: each its own legend, not one over the first panel naming them all
        handles = {text.get_text(): handle for text, handle in zip(grid.legend.get_texts(), grid.legend.legend_handles)}
        grid.legend.remove()
        for name, ax in zip(panels, grid.axes.flat):
            labels = [str(label) for label in lines_of[name]]
            ax.legend([handles[label] for label in labels], labels, fontsize=8)
    elif grid.legend is not None:
        grid.legend.set_title(None)
    if title:
        grid.figure.suptitle(title)
    grid.figure.tight_layout()
    return grid.figure


def loss_curves(histories: Mapping[str, History], keys: Sequence[str] | None = None, *,
                ncols: int = 3, title: str | None = None) -> plt.Figure:
    """One panel per run, one line per history key, over epochs."""
    return line_panels(history_frame(histories, keys), panel="run", line="measure", ncols=ncols, title=title)


def embedding_grid(panels: Sequence[tuple], ncols: int) -> plt.Figure:
    """2-D embeddings, one panel each, points coloured by label (seaborn's scatterplot); each panel is
    (points ``[N, 2]``, integer labels ``[N]``, the label names, title)."""
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.8 * nrows), squeeze=False)
    for ax, (points, labels, names, title) in zip(axes.flat, panels):
        frame = pd.DataFrame({"x": points[:, 0], "y": points[:, 1], "label": np.asarray(names)[labels]})
        frame = frame.sample(frac=1.0, random_state=0)  # drawn in a mixed order: no label hides another by coming last
        sns.scatterplot(frame, x="x", y="y", hue="label", hue_order=list(names), ax=ax, s=6, linewidth=0, alpha=0.8,
                        palette="tab10" if len(names) <= 10 else "tab20")
        ax.set(title=title, xlabel="", ylabel="", xticks=[], yticks=[])
        ax.title.set_fontsize(9)
        ax.legend(fontsize=6, markerscale=2, loc="best", ncol=2 if len(names) > 5 else 1)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def confusion_heatmaps(confusions: Mapping[str, torch.Tensor], classes: Sequence[str]) -> plt.Figure:
    """One heatmap per model of a confusion matrix ``[true, predicted]``, each row divided by its total (the share
    of a true class predicted as each class; the diagonal is per-class recall)."""
    fig, axes = plt.subplots(1, len(confusions), figsize=(0.45 * len(classes) * len(confusions) + 2.0, 0.45 * len(classes) + 1.2),
                             squeeze=False)
    for ax, (name, confusion) in zip(axes.flat, confusions.items()):
        counts = confusion.double()
        shares = (counts / counts.sum(1, keepdim=True).clamp(min=1)).numpy()
        frame = pd.DataFrame(shares, index=pd.Index(classes, name="true"), columns=pd.Index(classes, name="predicted"))
        sns.heatmap(frame, ax=ax, vmin=0, vmax=1, cmap="Blues", annot=len(classes) <= 12, fmt=".2f",
                    annot_kws={"fontsize": 6}, cbar=False, square=True)
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    return fig


def image_grid(rows: Mapping[str, torch.Tensor], *, scale: float = 0.5) -> plt.Figure:
    """Rows of uint8 images ``[N, C, H, W]`` (one row per name), drawn with torchvision's make_grid."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(scale * 16, scale * 1.25 * len(rows)), squeeze=False)
    for ax, (name, images) in zip(axes.flat, rows.items()):
        images = images.repeat(1, 3, 1, 1) if images.shape[1] == 1 else images
        grid = torchvision.utils.make_grid(images, nrow=len(images), padding=2, pad_value=255)
        ax.imshow(grid.permute(1, 2, 0).numpy())
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def sample_grids(panels: Mapping[str, torch.Tensor], *, nrow: int = 8, ncols: int = 2,
                 column_labels: Sequence[str] | None = None) -> plt.Figure:
    """One titled panel per name, each a grid of uint8 images ``[N, C, H, W]`` with ``nrow`` per row
    (e.g. 32 samples of each GAN as 4 x 8); ``column_labels`` names the grid's columns (e.g. the digit)."""
    n = len(panels)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    first = next(iter(panels.values()))
    rows_per_panel = -(-len(first) // nrow)
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.42 * nrow * ncols + 0.4, 0.42 * rows_per_panel * nrows + 0.5),
                             squeeze=False)
    for ax, (name, images) in zip(axes.flat, panels.items()):
        images = images.repeat(1, 3, 1, 1) if images.shape[1] == 1 else images
        grid = torchvision.utils.make_grid(images, nrow=nrow, padding=2, pad_value=255)
        ax.imshow(grid.permute(1, 2, 0).numpy())
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
        if column_labels is None:
            ax.set_xticks([])
        else:
            step = images.shape[-1] + 2
            ax.set_xticks([2 + step * (i + 0.5) for i in range(len(column_labels))], column_labels, fontsize=8)
            ax.tick_params(length=0)
    for ax in axes.flat[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig

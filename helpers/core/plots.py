"""Figures of the report: loss curves, embeddings coloured by class or domain, image grids.

Every function returns a matplotlib Figure; :func:`save_figure` writes it atomically under
``out_dir/figures`` and the notebook shows it inline.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torchvision

from helpers.core.training import History


def save_figure(fig: plt.Figure, out_dir: Path | str, name: str) -> None:
    """Write ``out_dir/figures/<name>.png`` (temp file + rename); the notebook still shows the figure inline."""
    path = Path(out_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def loss_curves(histories: Mapping[str, History], keys: Sequence[str] | None = None, *,
                ncols: int = 3, title: str | None = None) -> plt.Figure:
    """One panel per run, one line per history key, over epochs."""
    n = len(histories)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False)
    for ax, (name, history) in zip(axes.flat, histories.items()):
        for key in keys or history:
            if key in history:
                ax.plot(range(1, len(history[key]) + 1), history[key], label=key)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.flat[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def scatter(ax: plt.Axes, points: np.ndarray, labels: np.ndarray, names: Sequence[str], title: str) -> None:
    """2-D points coloured by integer label, with a legend of ``names``."""
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    for index, name in enumerate(names):
        chosen = labels == index
        ax.scatter(points[chosen, 0], points[chosen, 1], s=4, color=cmap(index % cmap.N), label=name, alpha=0.8)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def embedding_grid(panels: Sequence[tuple[np.ndarray, np.ndarray, Sequence[str], str]], ncols: int) -> plt.Figure:
    """Several :func:`scatter` panels; each panel is (points, labels, label names, title)."""
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.8 * nrows), squeeze=False)
    for ax, (points, labels, names, title) in zip(axes.flat, panels):
        scatter(ax, points, labels, names, title)
        ax.legend(fontsize=6, markerscale=3, loc="best", ncol=2 if len(names) > 5 else 1)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
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

"""What the representation notebooks show: PCA and t-SNE panels of saved features with their kNN
separation scores, training curves, and observations written from the measured numbers."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from helpers.core.embedding import knn_accuracy, pca, tsne
from helpers.core.plots import history_frame, line_panels
from helpers.core.training import History


@dataclass
class Embedded:
    """2-D embeddings of one set of features and how well a 5-NN classifier separates classes in them."""

    title: str
    pca: np.ndarray
    tsne: np.ndarray
    labels: np.ndarray
    knn: float  # cross-validated 5-NN accuracy in the 2-D t-SNE embedding (nan: too few points per class)
    pca_knn: float  # the same in the 2-D PCA projection


def sample_indices(n: int, k: int, seed: int) -> np.ndarray:
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k].sort().values.numpy()


def embed(title: str, features: np.ndarray, labels: np.ndarray, *, points: int, seed: int) -> Embedded:
    """PCA and t-SNE of ``points`` of the features (the same points for every call with the same seed)."""
    chosen = sample_indices(len(features), points, seed)
    x, y = features[chosen], labels[chosen]
    embedded = tsne(x, seed=seed)
    # stratified folds need every class in each: as many folds (at most 5) as the rarest class has points
    folds = min(5, int(np.unique(y, return_counts=True)[1].min()))
    enough = folds >= 2 and len(y) * (folds - 1) // folds >= 5  # 5 neighbours in every training fold
    projected = pca(x, seed=seed)
    if not enough:
        return Embedded(title, projected, embedded, y, float("nan"), float("nan"))
    return Embedded(title, projected, embedded, y, knn_accuracy(embedded, y, folds=folds),
                    knn_accuracy(projected, y, folds=folds))


def embedding_panels(embeddings: Sequence[Embedded], names: Sequence[str], *, with_pca: bool = True) -> list:
    """Panels for :func:`helpers.core.plots.embedding_grid`: a row of PCA panels, then a row of t-SNE panels."""
    panels = [(e.pca, e.labels, names, f"PCA, {e.title} (2-D 5-NN accuracy {e.pca_knn:.1%})") for e in embeddings] if with_pca else []
    return panels + [(e.tsne, e.labels, names, f"t-SNE, {e.title} (2-D 5-NN accuracy {e.knn:.1%})") for e in embeddings]


def curves(histories: Mapping[str, History], keys: Sequence[str], *, ylabel: str, ylim: tuple[float, float] | None = None) -> plt.Figure:
    """One panel per key, one line per run: e.g. validation accuracy of models A and B over epochs (the accuracy
    panels labelled ``ylabel`` and held to ``ylim``)."""
    fig = line_panels(history_frame(histories, keys), panel="measure", line="run", ylim=ylim, ncols=len(keys),
                      limited=lambda key: "accuracy" in key)
    for ax in fig.axes:
        ax.set_ylabel(ylabel if "accuracy" in ax.get_title() else ax.get_title())
    return fig


def pretraining_figure(history: History, uniform: float) -> plt.Figure:
    """BYOL's pretraining: a panel for its loss, one for the embedding std (its collapse check) with ``uniform``, the
    std of projections spread evenly over the sphere, as a reference line."""
    fig = curves({"BYOL": history}, keys=list(history), ylabel="")
    for ax in fig.axes:
        if ax.get_legend() is not None:
            ax.get_legend().remove()  # one run: its name says nothing
        if ax.get_title() == "embedding std":
            ax.axhline(uniform, color="gray", linestyle="--", linewidth=1, label="spread evenly")
            ax.set_ylim(bottom=0)
            ax.legend(fontsize=8)
    return fig


def settings_figure(accuracies: Mapping[str, float], frozen: Mapping[str, bool], *, n: int, chance: float) -> plt.Figure:
    """Validation accuracy of each setting as a bar, coloured by fine-tuning (full or frozen backbone), with one
    binomial standard error (``n`` validation images) and the chance level."""
    frame = pd.DataFrame([(s, "frozen backbone" if frozen[s] else "full", a) for s, a in accuracies.items()],
                         columns=["setting", "fine-tuning", "validation accuracy"])
    fig, ax = plt.subplots(figsize=(1.0 * len(frame) + 2.0, 3.0))
    sns.barplot(frame, x="setting", y="validation accuracy", hue="fine-tuning", dodge=False, ax=ax,
                hue_order=["full", "frozen backbone"])
    errors = np.sqrt(frame["validation accuracy"] * (1 - frame["validation accuracy"]) / max(n, 1))
    ax.errorbar(range(len(frame)), frame["validation accuracy"], yerr=errors, fmt="none", ecolor="black", capsize=3)
    ax.axhline(chance, color="gray", linestyle="--", linewidth=1, label="chance")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def learning_rates(factor, epochs: int, base_lr: float) -> list[float]:
    """The learning rate of each epoch under a LambdaLR factor function."""
    return [base_lr * factor(epoch) for epoch in range(epochs)]

"""2-D embeddings of features (t-SNE with openTSNE, PCA) and how well they keep classes apart."""
from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier


def tsne(features: np.ndarray, *, seed: int = 0, n_jobs: int | None = None, perplexity: float = 30.0) -> np.ndarray:
    """openTSNE's t-SNE (Barnes-Hut below 10,000 points, FFT-accelerated above; measured ~2.5-3x faster than
    scikit-learn's, bench/tsne.py). ``n_jobs`` defaults to torch's thread count, the process's share of the cores:
    openTSNE's threads wait for each other at every iteration, so more threads than the process has cores stall
    (150 points in 0.4 s alone, 11 s beside another notebook's kernel on 2 cores; docs/tuning.md)."""
    from openTSNE import TSNE

    perplexity = min(perplexity, (len(features) - 1) / 3)
    n_jobs = torch.get_num_threads() if n_jobs is None else n_jobs
    return np.asarray(TSNE(perplexity=perplexity, n_jobs=n_jobs, random_state=seed, verbose=False).fit(features))


def pca(features: np.ndarray, *, components: int = 2, seed: int = 0) -> np.ndarray:
    return PCA(n_components=components, random_state=seed).fit_transform(features)


def knn_accuracy(points: np.ndarray, labels: np.ndarray, *, k: int = 5, folds: int = 5) -> float:
    """Cross-validated k-nearest-neighbour accuracy of the labels from the points (a separation score)."""
    return float(cross_val_score(KNeighborsClassifier(n_neighbors=k), points, labels, cv=folds).mean())

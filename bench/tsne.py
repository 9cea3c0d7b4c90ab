"""t-SNE: openTSNE (the suite's choice, helpers.core.embedding.tsne) against scikit-learn's TSNE.

Measures: seconds to embed 10,000 x 512 clustered features (10 Gaussian clusters), and the 5-nearest-
neighbour class accuracy of each 2-D embedding (goal: openTSNE >= 2.5x faster, kNN within 2 points).
Hardware: the 2-core CPU machine of docs/design.md; both with n_jobs=2, perplexity 30, seed 0.
Run: .venv/bin/python bench/tsne.py [--n 10000] [--dims 512]
Got (2026-11-23, 2 cores): see the closing note of the foundation issue.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.manifold import TSNE

from helpers.core.embedding import knn_accuracy, tsne


def clustered_features(n: int, dims: int, classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    centres = rng.normal(scale=1.0, size=(classes, dims))
    return (centres[labels] + rng.normal(scale=1.2, size=(n, dims))).astype(np.float32), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dims", type=int, default=512)
    args = parser.parse_args()
    features, labels = clustered_features(args.n, args.dims)
    print(f"{args.n} x {args.dims} features, {len(np.unique(labels))} clusters; "
          f"5-NN accuracy in the original space: {knn_accuracy(features, labels):.3f}")
    rows = []
    for name, embed in (("openTSNE", lambda: tsne(features, seed=0, n_jobs=2)),
                        ("scikit-learn", lambda: TSNE(n_components=2, perplexity=30, random_state=0,
                                                      n_jobs=2).fit_transform(features))):
        start = time.perf_counter()
        points = embed()
        seconds = time.perf_counter() - start
        rows.append((name, seconds, knn_accuracy(points, labels)))
        print(f"  {name:13s}: {seconds:6.1f} s, 5-NN accuracy of the 2-D embedding {rows[-1][2]:.3f}", flush=True)
    (_, ours_s, ours_knn), (_, sk_s, sk_knn) = rows
    print(f"  speed-up {sk_s / ours_s:.2f}x (goal >= 2.5), kNN difference {100 * (ours_knn - sk_knn):+.1f} points (goal within 2)")


if __name__ == "__main__":
    main()

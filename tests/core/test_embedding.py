"""t-SNE's threads: the process's share of the cores, not more."""
from __future__ import annotations

import numpy as np
import openTSNE
import pytest

from helpers.core.embedding import tsne


@pytest.mark.parametrize("threads", [1, 2])
def test_tsne_runs_on_as_many_threads_as_torch_has(monkeypatch, torch_threads, threads):
    """In a kernel given one of two cores (OMP_NUM_THREADS=1, as the smoke runs give it), two openTSNE threads
    stalled each other: 150 points took 11 s beside another kernel against 0.4 s on one thread."""
    seen = []
    real = openTSNE.TSNE

    def recording(**options):
        seen.append(options["n_jobs"])
        return real(**options)

    monkeypatch.setattr(openTSNE, "TSNE", recording)
    torch_threads(threads)
    points = tsne(np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32), seed=0)
    assert seen == [threads] and points.shape == (40, 2)

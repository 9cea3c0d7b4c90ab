"""What the adaptation notebooks show: the domains, the accuracy table, curves, t-SNE panels and observations.
Every method's results go through the same functions, so the DANN and ADDA notebooks compare alike."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from helpers.adaptation.common import DomainPair
from helpers.adaptation.experiment import MethodResult
from helpers.core.embedding import tsne
from helpers.core.evaluation import apply
from helpers.core.images import Domain
from helpers.core.plots import image_grid, line_panels

DIGITS = [str(d) for d in range(10)]


def domains_figure(domains: Mapping[str, Domain], per_domain: int = 16) -> plt.Figure:
    """The first ``per_domain`` training images of each domain, one row per domain."""
    return image_grid({name: domain.train.images[:per_domain] for name, domain in domains.items()})


def accuracy_table(results: Sequence[MethodResult]) -> dict[str, dict[str, float]]:
    """``{method: {pair: target test accuracy}}``, the layout of metrics.json's ``results.accuracy``."""
    table: dict[str, dict[str, float]] = {}
    for result in results:
        table.setdefault(result.method, {})[result.pair] = round(result.accuracy, 4)
    return table


# Methods that continue another's training: ADDA adapts the source-only model, so its epochs follow that model's.
CONTINUES = {"adda": "source-only"}


def accuracy_curves(results: Sequence[MethodResult], pairs: Sequence[str]) -> plt.Figure:
    """Target test accuracy after each epoch, one panel per pair, one line per method; the epochs of a method in
    ``CONTINUES`` are drawn after the last of the training it starts from."""
    epochs = {(r.pair, r.method): len(r.history.get("target accuracy", [])) for r in results}
    frame = pd.DataFrame([(r.pair, r.method, epochs.get((r.pair, CONTINUES.get(r.method)), 0) + epoch, value)
                          for r in results if r.pair in pairs
                          for epoch, value in enumerate(r.history.get("target accuracy", []), start=1)],
                         columns=["pair", "method", "epoch", "target test accuracy"])
    return line_panels(frame, panel="pair", line="method", y="target test accuracy", ncols=len(pairs),
                       ylabel="target test accuracy", ylim=(0, 1))


def sample_indices(n: int, k: int, seed: int) -> torch.Tensor:
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k].sort().values


def tsne_panels(result: MethodResult, pair: DomainPair, *, points: int, seed: int, device: torch.device) -> list:
    """t-SNE of the feature extractor's output on source + target test images (``points`` in all), as the course
    asks for it: two panels of the same embedding, one coloured by digit class (are the classes apart?), one by
    domain (are the domains mixed?)."""
    source = pair.source.test.subset(sample_indices(len(pair.source.test), points // 2, seed))
    target = pair.target.test.subset(sample_indices(len(pair.target.test), points - points // 2, seed + 1))
    # Each domain through the encoder the method classifies it with (ADDA keeps a separate source encoder).
    target_encoder = result.model.feature_extractor.eval()
    source_encoder = getattr(result.model, "source_encoder", target_encoder).eval()
    features = torch.cat([apply(source_encoder, source, device), apply(target_encoder, target, device)]).numpy()
    embedded = tsne(features, seed=seed)
    classes = np.concatenate([source.labels.numpy(), target.labels.numpy()])
    domains = np.concatenate([np.zeros(len(source), int), np.ones(len(target), int)])
    title = f"{result.method}, {pair.name}"
    return [(embedded, classes, DIGITS, f"{title}: by digit"),
            (embedded, domains, [f"source {pair.source.name}", f"target {pair.target.name}"], f"{title}: by domain")]


def observations(table: Mapping[str, Mapping[str, float]], method: str, pairs: Sequence[str],
                 test_sizes: Mapping[str, int] | None = None) -> str:
    """A few sentences of Markdown written from the measured accuracies of ``method`` against the bounds.
    ``test_sizes`` (each pair's number of target test images) adds how many images a difference is, and the binomial
    standard error of source-only's accuracy on that many images, saying when the difference is under two of them: on
    a course-layout tree of 120 test images one image is 0.8 points."""
    lines = []
    for pair in pairs:
        low, high, ours = table["source-only"][pair], table["target-only"][pair], table[method][pair]
        gap = high - low
        closed = (ours - low) / gap if gap > 1e-9 else float("nan")
        verdict = "improves on" if ours > low + 0.005 else ("matches" if abs(ours - low) <= 0.005 else "falls below")
        size = ""
        if test_sizes:
            n = test_sizes[pair]
            error = math.sqrt(low * (1 - low) / n)
            size = (f" ({round(abs(ours - low) * n)} of {n} test images; one accuracy on {n} images has a standard "
                    f"error of about {error * 100:.1f} points"
                    + (", and this difference is less than two of them)" if abs(ours - low) < 2 * error else ")"))
        lines.append(f"- **{pair}**: source-only {low:.1%}, {method} {ours:.1%}, target-only {high:.1%}. "
                     f"{method} {verdict} training on the source alone by {abs(ours - low) * 100:.1f} points{size}"
                     + (f" and closes {closed:.0%} of the gap to the target-trained model." if gap > 1e-9 else "."))
    gains = [table[method][p] - table["source-only"][p] for p in pairs]
    best = pairs[int(np.argmax(gains))]
    lines.append(f"\nThe largest gain is on {best} (+{max(gains) * 100:.1f} points); the mean gain over the "
                 f"{len(pairs)} pairs is {np.mean(gains) * 100:+.1f} points.")
    return "\n".join(lines)

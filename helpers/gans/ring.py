"""The mode-collapse experiment's data: eight Gaussians on a ring (the toy of Metz et al. 2017, "Unrolled Generative
Adversarial Networks", radius 2 as theirs, standard deviation 0.05 against their 0.02, so that the modes show in a
figure), whose modes can be counted, and how many of them a generator's samples cover."""
from __future__ import annotations

import math
from collections.abc import Iterator

import torch

MODES = 8
RADIUS = 2.0
STD = 0.05
HIGH_QUALITY = 3 * STD  # a sample this close to a mode's centre is a high-quality sample of that mode
COVERED = 0.01  # a mode is covered when at least this share of all samples are high-quality samples of it


def centres(device: torch.device | str | None = None) -> torch.Tensor:
    """The ``MODES`` centres, evenly spaced on a circle of ``RADIUS``, as a (MODES, 2) tensor."""
    angles = torch.arange(MODES, dtype=torch.float32) * (2 * math.pi / MODES)
    return (RADIUS * torch.stack([angles.cos(), angles.sin()], dim=1)).to(device)


def sample_ring(n: int, device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points of the ring, each mode equally likely, and each point's mode; drawn from torch's global
    generator (which :func:`helpers.core.training.fit` seeds at every epoch)."""
    modes = torch.randint(MODES, (n,))
    points = centres()[modes] + STD * torch.randn(n, 2)
    return points.to(device), modes.to(device)


class RingBatches:
    """``steps`` batches of ``batch_size`` fresh ring points (with their modes): one "epoch" of :func:`fit`."""

    def __init__(self, steps: int, batch_size: int, device: torch.device | str = "cpu") -> None:
        self.steps, self.batch_size, self.device = steps, batch_size, device

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for _ in range(self.steps):
            yield sample_ring(self.batch_size, self.device)


def coverage(points: torch.Tensor) -> dict[str, float]:
    """How ``points`` (N, 2) cover the ring: ``modes``, how many modes are covered (:data:`COVERED`);
    ``high_quality``, the share of points within :data:`HIGH_QUALITY` of a mode's centre; ``largest_mode``, the
    mode nearest to the most points, and ``largest_share``, the share of points nearest to it (near 1 when the points
    crowd around one mode, as a collapsed generator's do; 1/8 when they spread evenly)."""
    if points.ndim != 2 or points.shape[1] != 2 or not len(points):
        raise ValueError(f"coverage needs a non-empty (N, 2) tensor of points, got shape {tuple(points.shape)}")
    distance, nearest = torch.cdist(points.float().cpu(), centres()).min(dim=1)
    good = distance < HIGH_QUALITY
    per_mode = torch.bincount(nearest[good], minlength=MODES)
    nearest_counts = torch.bincount(nearest, minlength=MODES)
    return {"modes": int((per_mode >= COVERED * len(points)).sum()),
            "high_quality": float(good.float().mean()),
            "largest_mode": int(nearest_counts.argmax()),
            "largest_share": float(nearest_counts.max() / len(points))}

"""The learning-rate schedule of the reference report: linear warm-up, then linear decay (a LambdaLR)."""
from __future__ import annotations

import torch
from torch.optim.lr_scheduler import LambdaLR


def warmup_linear_factor(epoch: int, warmup_epochs: int, epochs: int) -> float:
    """Multiplier of the base rate during ``epoch`` (0-based): rises over the first ``warmup_epochs``
    (1/(w+1), 2/(w+1), ...), is 1 at epoch w, then falls linearly towards 0 at the end of training."""
    if epoch < warmup_epochs:
        return (epoch + 1) / (warmup_epochs + 1)
    return max(0.0, (epochs - epoch) / (epochs - warmup_epochs))


def warmup_linear(optimizer: torch.optim.Optimizer, warmup_epochs: int, epochs: int) -> LambdaLR:
    """A LambdaLR stepped once per epoch (helpers.core.training.fit does that, and keeps it in the checkpoint)."""
    warmup_epochs = min(warmup_epochs, epochs - 1)
    return LambdaLR(optimizer, lambda epoch: warmup_linear_factor(epoch, warmup_epochs, epochs))

"""Predictions, accuracy and features of a model over an image set, in evaluation mode."""
from __future__ import annotations

from collections.abc import Callable

import torch

from helpers.data.images import ImageSet, to_float


@torch.no_grad()
def apply(fn: Callable[[torch.Tensor], torch.Tensor], data: ImageSet, device: torch.device | str = "cpu",
          batch_size: int = 512) -> torch.Tensor:
    """``fn`` over every image (float, in [-1, 1]) of ``data``, in order; results on the CPU."""
    outputs = []
    for start in range(0, len(data), batch_size):
        images = to_float(data.images[start:start + batch_size].to(device))
        outputs.append(fn(images).float().cpu())
    return torch.cat(outputs)


def accuracy(model: torch.nn.Module, data: ImageSet, device: torch.device | str = "cpu") -> float:
    """Top-1 accuracy (fraction 0-1) of ``model``'s logits against ``data``'s labels."""
    was_training = model.training
    model.eval()
    predictions = apply(model, data, device).argmax(1)
    model.train(was_training)
    return (predictions == data.labels).float().mean().item()


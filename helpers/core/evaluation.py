"""Predictions, accuracy and features of a model over an image set, in evaluation mode."""
from __future__ import annotations

import itertools
from collections.abc import Callable

import torch
from torch import nn

from helpers.core.images import ImageSet, to_float


def module_device(fn: Callable | nn.Module) -> torch.device | None:
    """The device of a module's weights (or of the module a bound method belongs to); None without weights."""
    module = fn if isinstance(fn, nn.Module) else getattr(fn, "__self__", None)
    if isinstance(module, nn.Module):
        for tensor in itertools.chain(module.parameters(), module.buffers()):
            return tensor.device
    return None


def same_device(a: torch.device | str, b: torch.device | str) -> bool:
    """``cuda`` and ``cuda:0`` are the same device (the current one)."""
    a, b = torch.device(a), torch.device(b)
    return a.type == b.type and (a.index is None or b.index is None or a.index == b.index)


def check_device(module: Callable | nn.Module, device: torch.device | str | None) -> torch.device:
    """The device to run ``module`` on: ``device`` if given, after checking that the module's weights are there
    (a clear error instead of torch's dtype message), else the weights' own device (the CPU without weights)."""
    own = module_device(module)
    if device is None:
        return own or torch.device("cpu")
    if own is not None and not same_device(own, device):
        name = type(module.__self__ if not isinstance(module, nn.Module) else module).__name__
        raise ValueError(f"{name}'s weights are on {own} but it is asked to run on device={str(device)!r}; "
                         f"move it there first with .to(device)")
    return torch.device(device)


@torch.no_grad()
def apply(fn: Callable[[torch.Tensor], torch.Tensor], data: ImageSet, device: torch.device | str | None = None,
          batch_size: int = 512) -> torch.Tensor:
    """``fn`` over every image (float, in [-1, 1]) of ``data``, in order; results on the CPU. The images go to
    ``device``, by default the device of ``fn``'s weights (see :func:`check_device`)."""
    device = check_device(fn, device)
    outputs = []
    for start in range(0, len(data), batch_size):
        images = to_float(data.images[start:start + batch_size].to(device))
        outputs.append(fn(images).float().cpu())
    return torch.cat(outputs)


def accuracy(model: torch.nn.Module, data: ImageSet, device: torch.device | str | None = None) -> float:
    """Top-1 accuracy (fraction 0-1) of ``model``'s logits against ``data``'s labels."""
    was_training = model.training
    model.eval()
    predictions = apply(model, data, device).argmax(1)
    model.train(was_training)
    return (predictions == data.labels).float().mean().item()

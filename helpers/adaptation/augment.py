"""Random digit augmentation for the adaptation trainings: each image of a batch gets its own rotation, zoom and
shift and, with ``invert``, its polarity flipped (light on dark <-> dark on light).

On small digit sets (the course's are a few hundred images per domain) a network trained on one domain's
fonts, sizes and stroke polarity does not read another's; these jitters cover the differences that are
geometry and polarity, and leave the rest (texture, colour, style) to the adaptation method.

Batched on the device (one ``affine_grid``/``grid_sample`` call per batch): torchvision's v2 ``RandomAffine``
draws one set of parameters per call, and one call per image cost more than the training step itself here.
Random numbers come from torch's generator of the batch's device, which ``helpers.core.training.fit`` seeds at
every epoch, so a resumed training sees the same batches.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

ROTATION = 15.0  # degrees, uniform in [-ROTATION, ROTATION]
ZOOM = 0.2  # log zoom uniform in [-ZOOM, ZOOM]: 0.82x to 1.22x
SHIFT = 0.1  # of the image's size, uniform in each direction

CHOICES = ("none", "affine", "affine+invert")


def augment_digits(images: torch.Tensor, *, rotation: float = ROTATION, zoom: float = ZOOM, shift: float = SHIFT,
                   invert: bool = True) -> torch.Tensor:
    """``images`` ``[N, C, H, W]`` in [-1, 1], each rotated, zoomed and shifted at random (the border's pixels fill
    what comes in from outside) and, with ``invert``, negated with probability 1/2."""
    n, device = len(images), images.device
    uniform = lambda *shape: torch.rand(*shape, device=device) * 2 - 1  # noqa: E731
    angle = uniform(n) * math.radians(rotation)
    scale = torch.exp(uniform(n) * zoom)
    offset = uniform(n, 2) * shift * 2  # affine_grid's coordinates span [-1, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, offset[:, 0]], 1), torch.stack([sin, cos, offset[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, padding_mode="border", align_corners=False)
    if invert:
        out = out * torch.where(torch.rand(n, 1, 1, 1, device=device) < 0.5, -1.0, 1.0)
    return out


def training_augmentation(augment: str) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The batch transform of a config's ``augment`` choice ("none": None)."""
    if augment not in CHOICES:
        raise ValueError(f"augment={augment!r}; valid choices: {', '.join(CHOICES)}")
    if augment == "none":
        return None
    return lambda images: augment_digits(images, invert=augment == "affine+invert")

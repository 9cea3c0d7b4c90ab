"""A label-free FID that needs no download: the Frechet distance in the features of a fixed, seeded random
convolutional network ("random-feature FID").

Why this measure. Every folder of images has it, labelled or not, on any machine: the network's weights come from
a fixed seed, not a file. Random convolutional features are a known stand-in for a trained embedding when none
fits the data: Naeem et al. (2020, "Reliable fidelity and diversity metrics for generative models") grade
generators with a randomly initialised network's embedding, and a random network's filter responses pooled over
the image are the texture statistics of Gatys et al. (2015): local contrast, edges, colour and their
co-occurrences at several scales. They miss what only a trained network knows (that a face has two eyes), so a
folder also has its face score (:mod:`helpers.grading.faces`) and, with pytorch-fid's weights, Inception FID.
Pixel statistics were the other candidate: their Frechet distance is dominated by the mean image and by
alignment, not by whether the images are sharp or structured.

How to read it: against the real-vs-real floor, the same distance between two disjoint sets of real images
(the notebooks' "real" row: real training images against the held-out ones). Its numbers are comparable only
with other random-feature FIDs of the same image size and channels, never with Inception or classifier FID.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from helpers.grading.fid import frechet_distance

SEED = 0                         # fixes the network: the same features on every machine and every run
WIDTHS = (32, 64, 128, 128)      # channels of the four stages; features are their spatial means, 352-d


class RandomFeatures(nn.Module):
    """Four stages of Conv(3x3)-ReLU-AvgPool(2) with seeded He-normal weights; the features are each stage's
    mean activation per channel (one spatial mean per scale). Gray images are repeated to three channels."""

    def __init__(self, seed: int = SEED, widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.stages = nn.ModuleList()
        channels = 3
        for width in widths:
            conv = nn.Conv2d(channels, width, 3, padding=1)
            with torch.no_grad():  # He-normal: activations keep their scale through ReLU stages
                conv.weight.normal_(0.0, (2.0 / (channels * 9)) ** 0.5, generator=generator)
                conv.bias.zero_()
            self.stages.append(conv)
            channels = width
        self.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.repeat(1, 3, 1, 1) if images.shape[1] == 1 else images
        pooled = []
        for conv in self.stages:
            x = F.relu(conv(x))
            pooled.append(x.mean((2, 3)))
            if min(x.shape[-2:]) >= 2:
                x = F.avg_pool2d(x, 2)
        return torch.cat(pooled, 1)


@torch.no_grad()
def random_features(images: torch.Tensor, device: torch.device | str = "cpu", batch_size: int = 256) -> np.ndarray:
    """The seeded network's features of float images in [-1, 1] ``[N, 1 or 3, H, W]``, float64 ``[N, 352]``."""
    if images.ndim != 4 or images.shape[1] not in (1, 3) or images.dtype == torch.uint8:
        raise ValueError(f"random features read float images [N, 1 or 3, H, W] in [-1, 1]; got "
                         f"{images.dtype} {tuple(images.shape)}")
    net = RandomFeatures().to(device).eval()
    return torch.cat([net(images[i:i + batch_size].to(device).float()).double().cpu()
                      for i in range(0, len(images), batch_size)]).numpy()


def random_fid(real: torch.Tensor, fake: torch.Tensor, device: torch.device | str = "cpu") -> float:
    """Random-feature FID of ``fake`` against ``real`` (float images in [-1, 1] of the same size and channels)."""
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"random-feature FID compares images of one size and channels; got {tuple(real.shape[1:])} "
                         f"and {tuple(fake.shape[1:])}")
    return frechet_distance(random_features(real, device), random_features(fake, device))

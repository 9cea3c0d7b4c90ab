"""A minimal DCGAN (Radford et al., 2016) for square images of a power-of-two size: the reference GAN of the
DDPM notebook (DCGAN vs DDPM). z -> Linear -> 4x4 map -> ConvTranspose stages with batch norm -> tanh; the
discriminator mirrors it with strided convolutions and returns a logit."""
from __future__ import annotations

import math

import torch
from torch import nn


def stages(image_size: int) -> int:
    n = int(math.log2(image_size)) - 2
    if image_size < 8 or 2 ** (n + 2) != image_size:
        raise ValueError(f"image_size={image_size}: the DCGAN needs a power of two >= 8 (e.g. 32 or 64)")
    return n


class Generator(nn.Module):
    def __init__(self, image_size: int = 32, channels: int = 1, width: int = 32, z_dim: int = 100) -> None:
        super().__init__()
        n = stages(image_size)
        self.z_dim, self.top = z_dim, width * 2 ** (n - 1)
        self.project = nn.Sequential(nn.Linear(z_dim, self.top * 16, bias=False), nn.BatchNorm1d(self.top * 16), nn.ReLU(True))
        layers: list[nn.Module] = []
        ch = self.top
        for _ in range(n - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.project(z).view(len(z), self.top, 4, 4))


class Discriminator(nn.Module):
    def __init__(self, image_size: int = 32, channels: int = 1, width: int = 32) -> None:
        super().__init__()
        n = stages(image_size)
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        ch = width
        for _ in range(n - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers += [nn.Flatten(), nn.Linear(ch * 16, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def init_weights(module: nn.Module) -> None:
    """N(0, 0.02) for convolutions, N(1, 0.02) for batch-norm scales, as in the DCGAN paper."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)

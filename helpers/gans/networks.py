"""DCGAN-style generator and discriminator, sized by image size and channels (Radford et al., 2016).

At 64x64x3 with ``width=64`` the generator is the reference printout of DLCV HW2 P1: Linear(100 -> 8192),
then four ConvTranspose layers 512 -> 256 -> 128 -> 64 -> 3. Smaller images drop upsampling stages
(32x32: three). The discriminator mirrors it with strided convolutions; its normalisation is chosen per
method: batch norm (DCGAN, WGAN), layer norm (WGAN-GP: batch norm would break the per-sample gradient
penalty), or none with spectral norm on every layer (SNGAN). It returns raw scores: the DCGAN loss
applies the sigmoid inside ``binary_cross_entropy_with_logits``; WGAN critics have none.

With ``code=K`` the generator also reads a categorical latent code of K values (InfoGAN, Chen et al. 2016),
one-hot beside z, and the discriminator's ``n_classes=K`` head (InfoGAN's Q) learns to recover it.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

NORMS = ("batch", "layer", "spectral", "none")
# The latent code enters as a one-hot vector times this: at the DCGAN initialisation it then moves the first
# layer's units about a third as much as the 100-d noise does (times 1: a tenth). DCGAN, cpu profile, 8 epochs:
# 74% recognised, classifier FID 17 (times 1: 69%, 25).
CODE_SCALE = 3.0


def _stages(image_size: int) -> int:
    stages = int(math.log2(image_size)) - 2
    if image_size < 8 or 2 ** (stages + 2) != image_size:
        raise ValueError(f"image_size={image_size}: the DCGAN models need a power of two >= 8 (e.g. 32 or 64)")
    return stages


class Generator(nn.Module):
    """z (and optionally a class embedding, or a latent code) -> Linear -> 4x4 feature map -> ConvTranspose
    stages -> tanh.

    ``code=K``: the code is read off the noise itself, as the bin of z's first coordinate among K bins of
    equal probability under N(0, 1), so it is uniform over its K values and one noise vector still fixes one
    image (the fixed noise of the sample grids, ``helpers.predict``'s seed)."""

    def __init__(self, image_size: int = 32, channels: int = 1, width: int = 32, z_dim: int = 100,
                 n_classes: int = 0, code: int = 0) -> None:
        super().__init__()
        stages = _stages(image_size)
        if n_classes and code:
            raise ValueError("a generator is class-conditional (n_classes) or reads a latent code (code), not both")
        # the constructor's arguments, which a checkpoint's record needs to rebuild the generator
        self.image_size, self.channels, self.width = image_size, channels, width
        self.z_dim, self.n_classes, self.code = z_dim, n_classes, code
        top = width * 2 ** (stages - 1)
        self.label_embedding = nn.Embedding(n_classes, z_dim) if n_classes else None
        # the K - 1 inner edges of K equally likely bins of N(0, 1); not saved (it follows from ``code``)
        edges = torch.distributions.Normal(0.0, 1.0).icdf(torch.arange(1, code) / code) if code else torch.empty(0)
        self.register_buffer("code_edges", edges, persistent=False)
        self.project = nn.Sequential(nn.Linear(z_dim + code, top * 16, bias=False), nn.BatchNorm1d(top * 16),
                                     nn.ReLU(True))
        self.top = top
        layers: list[nn.Module] = []
        channels_in = top
        for stage in range(stages - 1):
            out = channels_in // 2
            layers += [nn.ConvTranspose2d(channels_in, out, 4, 2, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(True)]
            channels_in = out
        layers += [nn.ConvTranspose2d(channels_in, channels, 4, 2, 1), nn.Tanh()]
        self.upsample = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.label_embedding is not None:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            z = z * self.label_embedding(labels)  # the ACGAN generator's embedding of the label into the noise
        if self.code:
            z = torch.cat([z, CODE_SCALE * F.one_hot(self.code_of(z), self.code).to(z.dtype)], 1)
        return self.upsample(self.project(z).view(-1, self.top, 4, 4))

    def code_of(self, z: torch.Tensor) -> torch.Tensor:
        """The latent code (0 .. code - 1) that the noise ``z`` carries."""
        return torch.bucketize(z[:, 0].contiguous(), self.code_edges)


class Discriminator(nn.Module):
    """Strided Conv(4x4) stages down to 4x4, then a 4x4 conv to one score (and optionally class logits)."""

    def __init__(self, image_size: int = 32, channels: int = 1, width: int = 32, norm: str = "batch",
                 n_classes: int = 0) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm={norm!r} is not valid; valid choices: {', '.join(NORMS)}")
        stages = _stages(image_size)
        wrap = spectral_norm if norm == "spectral" else (lambda layer: layer)
        layers: list[nn.Module] = []
        channels_in, size = channels, image_size
        for stage in range(stages):
            out = width * 2 ** stage
            size //= 2
            layers.append(wrap(nn.Conv2d(channels_in, out, 4, 2, 1, bias=norm not in ("batch", "layer"))))
            if stage > 0 and norm == "batch":  # DCGAN: no batch norm on the first layer
                layers.append(nn.BatchNorm2d(out))
            elif stage > 0 and norm == "layer":
                layers.append(nn.LayerNorm([out, size, size]))
            layers.append(nn.LeakyReLU(0.2, True))
            channels_in = out
        self.features = nn.Sequential(*layers)
        self.score = wrap(nn.Conv2d(channels_in, 1, 4))
        self.classify = wrap(nn.Conv2d(channels_in, n_classes, 4)) if n_classes else None

    def forward(self, images: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        hidden = self.features(images)
        score = self.score(hidden).flatten()
        if self.classify is None:
            return score
        return score, self.classify(hidden).flatten(1)


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) for convolutions and linear layers, N(1, 0.02) for batch norm."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)) and not hasattr(module, "parametrizations"):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)

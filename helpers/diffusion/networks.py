"""The noise-prediction UNet of DDPM: residual blocks conditioned on the time step (and optionally on a class),
self-attention at the lowest resolution, skip connections from the down path to the up path.

``UNet(x_t, t, labels) -> eps``. With ``num_classes`` the class embedding has one extra row, the null label
``num_classes`` ("no class"), which classifier-free guidance trains by dropping labels and uses at sampling.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class SinusoidalEmbedding(nn.Module):
    """The Transformer's sinusoidal position embedding of the time step t."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.dim // 2
        freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
        angles = t.float()[:, None] * freqs[None]
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def group_norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels), channels)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, the (time + class) embedding added in between, and a residual path."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1 = group_norm(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, out_ch)
        self.norm2 = group_norm(out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + self.skip(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention over the pixels of a feature map, with a residual path."""

    def __init__(self, channels: int, heads: int = 4) -> None:
        super().__init__()
        self.norm = group_norm(channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        tokens = self.norm(x).flatten(2).transpose(1, 2)  # [N, H*W, C]
        out, _ = self.attn(tokens, tokens, tokens, need_weights=False)
        return x + out.transpose(1, 2).reshape(n, c, h, w)


class Level(nn.Module):
    """The blocks of one resolution: residual blocks, then attention where the resolution is low enough."""

    def __init__(self, blocks: list[ResBlock], attention: bool, channels: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.attn = SelfAttention(channels) if attention else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, emb)
        return self.attn(x)


class UNet(nn.Module):
    """eps_theta(x_t, t[, c]) for images ``[N, in_channels, size, size]``; each entry of ``channel_mults``
    is one resolution (halved between entries); attention at resolutions <= ``attention_resolution``."""

    def __init__(self, in_channels: int = 1, size: int = 28, base_channels: int = 32,
                 channel_mults: tuple[int, ...] = (1, 2, 2), num_classes: int | None = None,
                 attention_resolution: int = 7, dropout: float = 0.0) -> None:
        super().__init__()
        self.in_channels, self.size, self.num_classes = in_channels, size, num_classes
        self.null_label = num_classes  # the row of "no class" in the class embedding (None: unconditional)
        emb_dim = 4 * base_channels
        self.time_embedding = nn.Sequential(SinusoidalEmbedding(base_channels), nn.Linear(base_channels, emb_dim),
                                            nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.class_embedding = nn.Embedding(num_classes + 1, emb_dim) if num_classes else None
        self.stem = nn.Conv2d(in_channels, base_channels, 3, padding=1)

        widths = [base_channels * m for m in channel_mults]
        resolutions = [math.ceil(size / 2**i) for i in range(len(widths))]
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        ch = base_channels
        for i, (width, res) in enumerate(zip(widths, resolutions)):
            self.down.append(Level([ResBlock(ch, width, emb_dim, dropout)], res <= attention_resolution, width))
            ch = width
            if i + 1 < len(widths):
                # padding keeps odd sizes (7 -> 4) invertible by the upsample's crop
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        self.middle = Level([ResBlock(ch, ch, emb_dim, dropout), ResBlock(ch, ch, emb_dim, dropout)], True, ch)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for i in reversed(range(len(widths))):
            self.up.append(Level([ResBlock(ch + widths[i], widths[i], emb_dim, dropout)],
                                 resolutions[i] <= attention_resolution, widths[i]))
            ch = widths[i]
            if i > 0:
                self.upsample.append(nn.Conv2d(ch, ch, 3, padding=1))
        self.head = nn.Sequential(group_norm(ch), nn.SiLU(), nn.Conv2d(ch, in_channels, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.time_embedding(t)
        if self.class_embedding is not None:
            if labels is None:
                labels = torch.full_like(t, self.null_label)
            emb = emb + self.class_embedding(labels)
        elif labels is not None:
            raise ValueError("this UNet is unconditional (num_classes=None) but labels were given")
        h = self.stem(x)
        skips = []
        for i, level in enumerate(self.down):
            h = level(h, emb)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        h = self.middle(h, emb)
        for i, level in enumerate(self.up):
            skip = skips.pop()
            h = level(torch.cat([h[..., :skip.shape[-2], :skip.shape[-1]], skip], dim=1), emb)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.head(h)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

"""The embedded digit domains, built offline from what scikit-learn ships (docs/design.md, 'Embedded data').

- ``digits``: the 1,797 handwritten 8x8 digits of ``load_digits``, resized, gray (the MNIST stand-in).
- ``digits-m``: the MNIST-M recipe: |photo crop - digit| per channel, with ``load_sample_images`` photos.
- ``digits-s``: street-number style: coloured digit on a coloured background, neighbouring digits cut
  at the edges, blur, uneven light and contrast jitter (the SVHN stand-in).
- ``digits-u``: USPS style: the digit fills a 16x16 frame with thick strokes, resampled up, gray.

Domains asked for together are drawn from disjoint, class-stratified subsets of the base digits, and each
split is made by base digit, so no handwritten sample is in two domains or in both train and test.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF

from helpers.core.images import Domain, ImageSet, to_uint8
from helpers.core.runtime import derive_seed

EMBEDDED_DOMAINS = ("digits", "digits-m", "digits-s", "digits-u")
CHANNELS = {"digits": 1, "digits-m": 3, "digits-s": 3, "digits-u": 1}


def check_domain(name: str) -> None:
    if name not in EMBEDDED_DOMAINS:
        raise ValueError(f"unknown embedded domain {name!r}; valid choices: {', '.join(EMBEDDED_DOMAINS)}")


@functools.lru_cache(maxsize=1)
def base_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """The 1,797 scikit-learn digits as float glyphs in [0, 1] ``[N, 1, 8, 8]`` and their labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    glyphs = torch.from_numpy(bunch.images.astype(np.float32) / 16.0).unsqueeze(1)
    return glyphs, torch.from_numpy(bunch.target.astype(np.int64))


@functools.lru_cache(maxsize=1)
def sample_photos() -> torch.Tensor:
    """scikit-learn's two sample photos (china, flower) at half size, float ``[2, 3, H, W]`` in [0, 1]."""
    from sklearn.datasets import load_sample_images

    photos = torch.stack([torch.from_numpy(np.array(im)).permute(2, 0, 1) for im in load_sample_images().images])
    return F.interpolate(photos.float() / 255.0, scale_factor=0.5, mode="bilinear", antialias=True)


def stratified_groups(labels: torch.Tensor, n_groups: int, seed: int) -> list[torch.Tensor]:
    """Split indices into ``n_groups`` disjoint groups with the same class balance."""
    gen = torch.Generator().manual_seed(derive_seed(seed, "groups", n_groups))
    groups: list[list[int]] = [[] for _ in range(n_groups)]
    for cls in labels.unique(sorted=True).tolist():
        members = (labels == cls).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=gen)]
        offset = cls % n_groups  # rotate so that no group is always the largest
        for i, index in enumerate(members.tolist()):
            groups[(i + offset) % n_groups].append(index)
    return [torch.tensor(sorted(g), dtype=torch.long) for g in groups]


def jitter(masks: torch.Tensor, gen: torch.Generator, *, scale: tuple[float, float], shift: float,
           degrees: float, aspect: tuple[float, float] = (1.0, 1.0), dx: torch.Tensor | None = None) -> torch.Tensor:
    """Random affine jitter of ``[N, 1, S, S]`` masks: scale, aspect (width/height), rotation, shift."""
    n = len(masks)
    s = torch.empty(n).uniform_(*scale, generator=gen)
    a = torch.empty(n).uniform_(*aspect, generator=gen)
    angle = torch.empty(n).uniform_(-degrees, degrees, generator=gen) * math.pi / 180
    t = torch.empty(n, 2).uniform_(-shift, shift, generator=gen)
    if dx is not None:
        t[:, 0] += dx
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output to input coordinates, so scaling by 1/s enlarges the glyph by s.
    theta = torch.stack([
        torch.stack([cos / (s * a), -sin / (s * a), -t[:, 0]], 1),
        torch.stack([sin / s, cos / s, -t[:, 1]], 1),
    ], 1)
    grid = F.affine_grid(theta, list(masks.shape), align_corners=False)
    return F.grid_sample(masks, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def glyph_canvas(glyphs: torch.Tensor, size: int, fill: float) -> torch.Tensor:
    """Upsample 8x8 glyphs so the digit spans ``fill`` of a ``size`` x ``size`` canvas (MNIST: 20/28)."""
    inner = max(4, round(size * fill))
    up = F.interpolate(glyphs, size=(inner, inner), mode="bicubic", align_corners=False).clamp(0, 1)
    pad = size - inner
    return F.pad(up, (pad // 2, pad - pad // 2, pad // 2, pad - pad // 2))


def render_digits(glyphs: torch.Tensor, size: int, gen: torch.Generator) -> torch.Tensor:
    canvas = glyph_canvas(glyphs, size, 20 / 28)
    return jitter(canvas, gen, scale=(0.9, 1.1), shift=0.06, degrees=10)


def render_mnist_m(glyphs: torch.Tensor, size: int, gen: torch.Generator) -> torch.Tensor:
    """|background - digit| per channel, on the backgrounds of :func:`photo_backgrounds`."""
    masks = render_digits(glyphs, size, gen)
    return (photo_backgrounds(len(masks), size, gen) - masks).abs()


def photo_backgrounds(n: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """``n`` float ``[3, size, size]`` crops of the sample photos, the backgrounds of digits-m. Two photos are
    few next to BSDS500's 500, so each crop is also zoomed (1-6x), flipped, has its colour channels permuted
    and its mean brightness pulled part of the way to mid-gray (texture kept): BSDS500 has many mid-tone
    patches, where the digit shows only as inverted texture."""
    photos = sample_photos()
    _, _, h, w = photos.shape
    which = torch.randint(0, len(photos), (n,), generator=gen)
    crop = (size * torch.empty(n).uniform_(1.0, 6.0, generator=gen)).long()
    top = (torch.rand(n, generator=gen) * (h - crop)).long()
    left = (torch.rand(n, generator=gen) * (w - crop)).long()
    permutations = torch.tensor([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    channels = permutations[torch.randint(0, 6, (n,), generator=gen)]
    flips = torch.rand(n, 2, generator=gen) < 0.5
    backgrounds = []
    for i in range(n):
        y, x, c = top[i].item(), left[i].item(), crop[i].item()
        patch = photos[which[i], channels[i], y:y + c, x:x + c]
        patch = F.interpolate(patch[None], size=(size, size), mode="bilinear", antialias=True)[0]
        dims = [d for d, flip in zip((1, 2), flips[i].tolist()) if flip]
        backgrounds.append(patch.flip(dims) if dims else patch)
    backgrounds = torch.stack(backgrounds)
    mean = backgrounds.mean((2, 3), keepdim=True)
    keep = torch.empty(n, 1, 1, 1).uniform_(0.5, 1.0, generator=gen)  # share of the mean's distance to 0.5 kept
    return (0.5 + keep * (mean - 0.5) + (backgrounds - mean)).clamp(0, 1)


def render_street_numbers(glyphs: torch.Tensor, size: int, gen: torch.Generator,
                          neighbours: torch.Tensor) -> torch.Tensor:
    """Bold (thick-stroked), slightly narrow digits about as tall as the frame, as house numbers are."""
    n = len(glyphs)
    tall = dict(scale=(0.95, 1.1), shift=0.05, degrees=6, aspect=(0.75, 0.95))
    centre = jitter(glyph_canvas(glyphs, size, 0.75), gen, **tall)
    side = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    dx = side * torch.empty(n).uniform_(1.2, 1.45, generator=gen)
    pick = torch.randint(0, len(neighbours), (n,), generator=gen)
    neighbour = jitter(glyph_canvas(neighbours[pick], size, 0.75), gen, dx=dx, **tall)
    mask = torch.maximum(centre, neighbour).pow(0.35)  # bold strokes

    background = torch.rand(n, 3, 1, 1, generator=gen)
    foreground = torch.rand(n, 3, 1, 1, generator=gen)
    luminance = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    weak = ((foreground - background) * luminance).sum(1, keepdim=True).abs() < 0.35
    foreground = torch.where(weak, 1.0 - background, foreground)
    images = background * (1 - mask) + foreground * mask

    x = torch.linspace(-1, 1, size).view(1, 1, 1, size)
    slope = torch.empty(n, 1, 1, 1).uniform_(-0.3, 0.3, generator=gen)
    images = images * (1 + slope * x)
    contrast = torch.empty(n, 1, 1, 1).uniform_(0.6, 1.0, generator=gen)
    mean = images.mean((1, 2, 3), keepdim=True)
    images = mean + contrast * (images - mean)
    sigma = torch.empty(n).uniform_(0.4, 1.0, generator=gen)
    blurred = torch.empty_like(images)
    for low, high in ((0.4, 0.6), (0.6, 0.8), (0.8, 1.01)):  # three blur levels, each batched
        chosen = (sigma >= low) & (sigma < high)
        if chosen.any():
            blurred[chosen] = TF.gaussian_blur(images[chosen], kernel_size=5, sigma=(low + high) / 2)
    return blurred + 0.03 * torch.randn(blurred.shape, generator=gen)


def render_usps(glyphs: torch.Tensor, size: int, gen: torch.Generator) -> torch.Tensor:
    masks = jitter(glyph_canvas(glyphs, 16, 0.8), gen, scale=(0.95, 1.1), shift=0.04, degrees=8)
    return F.interpolate(masks.pow(0.6), size=(size, size), mode="bilinear", align_corners=False)


def render(name: str, glyphs: torch.Tensor, size: int, gen: torch.Generator, pool: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] of one domain from base glyphs; ``pool`` supplies neighbouring digits."""
    check_domain(name)
    if name == "digits":
        return render_digits(glyphs, size, gen)
    if name == "digits-m":
        return render_mnist_m(glyphs, size, gen)
    if name == "digits-s":
        return render_street_numbers(glyphs, size, gen, pool)
    return render_usps(glyphs, size, gen)


def split_by_digit(index: torch.Tensor, labels: torch.Tensor, test_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Class-stratified train/test split of base-digit indices."""
    gen = torch.Generator().manual_seed(derive_seed(seed, "split"))
    train, test = [], []
    for cls in labels[index].unique(sorted=True).tolist():
        members = index[labels[index] == cls]
        members = members[torch.randperm(len(members), generator=gen)]
        n_test = round(len(members) * test_fraction)
        test.append(members[:n_test])
        train.append(members[n_test:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values


def build_domain(name: str, base_index: torch.Tensor, *, seed: int, size: int, copies: int,
                 test_fraction: float) -> Domain:
    glyphs, labels = base_digits()
    train_idx, test_idx = split_by_digit(base_index, labels, test_fraction, seed)
    splits = {}
    for split, index in (("train", train_idx), ("test", test_idx)):
        gen = torch.Generator().manual_seed(derive_seed(seed, name, split, size))
        repeated = index.repeat(copies)
        images = render(name, glyphs[repeated], size, gen, pool=glyphs[index])
        splits[split] = ImageSet(to_uint8(images), labels[repeated].clone(), f"{name}/{split}", origin=repeated)
    return Domain(name, splits["train"], splits["test"])


@functools.lru_cache(maxsize=16)
def _embedded_domains(names: tuple[str, ...], seed: int, size: int, copies: int, test_fraction: float) -> dict[str, Domain]:
    _, labels = base_digits()
    groups = stratified_groups(labels, len(names), seed) if len(names) > 1 else [torch.arange(len(labels))]
    return {name: build_domain(name, group, seed=seed, size=size, copies=copies, test_fraction=test_fraction)
            for name, group in zip(names, groups)}


def embedded_domains(names: Sequence[str], *, seed: int = 0, size: int = 28, copies: int = 1,
                     test_fraction: float = 0.25) -> dict[str, Domain]:
    """Build the named domains from disjoint subsets of the base digits (all of them for one name).

    ``copies`` renders each base digit that many times (other crops, colours, jitter); the split is by
    base digit, so the copies of one handwritten sample are all in train or all in test.
    """
    for name in names:
        check_domain(name)
    if len(set(names)) != len(names):
        raise ValueError(f"domain names repeat: {list(names)}")
    if copies < 1 or size < 8 or not 0 < test_fraction < 1:
        raise ValueError(f"copies={copies} (>= 1), size={size} (>= 8), test_fraction={test_fraction} (0-1 open)")
    ordered = tuple(sorted(names, key=EMBEDDED_DOMAINS.index))
    return dict(_embedded_domains(ordered, seed, size, copies, test_fraction))

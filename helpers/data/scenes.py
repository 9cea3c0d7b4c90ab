"""The embedded segmentation data set ``digit-scenes`` (docs/design.md, 'Embedded data').

Each canvas is a crop of scikit-learn's sample photos prepared as the ``digits-m`` backgrounds are (zoomed,
flipped, channels permuted, pulled towards mid-gray), with a few handwritten digits placed in distinct cells
of a grid and jittered as ``digits-m`` digits are, all blended the MNIST-M way: |background - digit|.
The per-pixel label is 0 for the background and 1 + d for a pixel of digit d (stroke intensity >= 0.5).
Train and validation canvases are built from disjoint, class-stratified sets of base digits.
"""
from __future__ import annotations

import functools

import torch

from helpers.core.images import to_uint8
from helpers.core.runtime import derive_seed
from helpers.data.embedded import base_digits, photo_backgrounds, render_digits, split_by_digit

SCENE_CLASSES = ("background", *(str(d) for d in range(10)))
STROKE_THRESHOLD = 0.5  # a pixel belongs to a digit where its rendered stroke is at least this bright


def place_digits(strokes: torch.Tensor, digit_labels: torch.Tensor, counts: torch.Tensor, *, canvas: int,
                 grid: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Paste ``counts[i]`` digit tiles ``[., 1, S, S]`` into canvas i, each in its own cell of a grid x grid
    layout, shifted at random by up to an eighth of a cell. Returns the stroke canvases ``[N, 1, canvas,
    canvas]`` (brightest stroke wins) and the label masks ``[N, canvas, canvas]`` (0 background, 1 + digit)."""
    n, size = len(counts), strokes.shape[-1]
    cell = canvas // grid
    canvases = torch.zeros(n, 1, canvas, canvas)
    masks = torch.zeros(n, canvas, canvas, dtype=torch.long)
    tile = 0
    for i, count in enumerate(counts.tolist()):
        cells = torch.randperm(grid * grid, generator=gen)[:count].tolist()
        shifts = torch.randint(-(cell // 8), cell // 8 + 1, (count, 2), generator=gen).tolist()
        for c, (dy, dx) in zip(cells, shifts):
            top = min(max((c // grid) * cell + (cell - size) // 2 + dy, 0), canvas - size)
            left = min(max((c % grid) * cell + (cell - size) // 2 + dx, 0), canvas - size)
            stroke = strokes[tile, 0]
            region = canvases[i, 0, top:top + size, left:left + size]
            torch.maximum(region, stroke, out=region)
            masks[i, top:top + size, left:left + size][stroke >= STROKE_THRESHOLD] = 1 + digit_labels[tile]
            tile += 1
    return canvases, masks


def render_scenes(index: torch.Tensor, n: int, *, canvas: int, digit_size: int, grid: int,
                  digits: tuple[int, int], gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` canvases drawing their digits from the base digits ``index`` (each used about equally often)."""
    glyphs, labels = base_digits()
    counts = torch.randint(digits[0], digits[1] + 1, (n,), generator=gen)
    total = int(counts.sum())
    rounds = -(-total // len(index))
    picks = torch.cat([index[torch.randperm(len(index), generator=gen)] for _ in range(rounds)])[:total]
    strokes = render_digits(glyphs[picks], digit_size, gen)  # digits-m's glyph size and jitter
    canvases, masks = place_digits(strokes, labels[picks], counts, canvas=canvas, grid=grid, gen=gen)
    images = (photo_backgrounds(n, canvas, gen) - canvases).abs()  # the MNIST-M blend
    return to_uint8(images), masks.to(torch.uint8)


@functools.lru_cache(maxsize=4)
def digit_scenes(*, seed: int = 0, train: int = 1500, val: int = 300, canvas: int = 64, digit_size: int = 32,
                 grid: int = 2, digits: tuple[int, int] = (2, 4),
                 val_fraction: float = 0.25) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``{"train": (images, masks), "validation": (images, masks)}``: uint8 ``[N, 3, canvas, canvas]`` and
    uint8 class masks ``[N, canvas, canvas]``, fixed by ``seed``; the splits use disjoint base digits."""
    if not 1 <= digits[0] <= digits[1] <= grid * grid:
        raise ValueError(f"digits per canvas {digits} must satisfy 1 <= min <= max <= grid * grid = {grid * grid}")
    if canvas < grid * 8 or not 8 <= digit_size <= canvas:
        raise ValueError(f"canvas={canvas} (>= 8 * grid) and digit_size={digit_size} (8 to canvas) are out of range")
    if train < 1 or val < 1:
        raise ValueError(f"train={train} and val={val} canvases must both be >= 1")
    _, labels = base_digits()
    train_index, val_index = split_by_digit(torch.arange(len(labels)), labels, val_fraction, seed)
    scenes = {}
    for split, index, count in (("train", train_index, train), ("validation", val_index, val)):
        gen = torch.Generator().manual_seed(derive_seed(seed, "digit-scenes", split, canvas))
        scenes[split] = render_scenes(index, count, canvas=canvas, digit_size=digit_size, grid=grid,
                                      digits=digits, gen=gen)
    return scenes

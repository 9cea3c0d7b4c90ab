"""Masks as the course stores them: one RGB colour per class (the 7 land-cover colours of the satellite
data), converted to and from class indices exactly (any other colour is an error naming the file).
Predicted masks are written as ``out_dir/masks/NNNN_mask.png`` for the course's evaluation script."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import torch
from PIL import Image

# DLCV HW1's classes in the order of its evaluation script; the colours of the mask files.
LAND_COVER = {
    "urban": (0, 255, 255),
    "agriculture": (255, 255, 0),
    "rangeland": (255, 0, 255),
    "forest": (0, 255, 0),
    "water": (0, 0, 255),
    "barren": (255, 255, 255),
    "unknown": (0, 0, 0),
}


class MaskColourError(ValueError):
    """A mask pixel has a colour that is not one of the classes'."""


def scene_palette(classes: Sequence[str]) -> torch.Tensor:
    """Colours for the embedded classes: black background, matplotlib's tab10 for the digits."""
    tab10 = [tuple(round(255 * c) for c in matplotlib.colormaps["tab10"](i)[:3]) for i in range(len(classes) - 1)]
    return torch.tensor([(0, 0, 0), *tab10], dtype=torch.uint8)


def palette_of(classes: Sequence[str]) -> torch.Tensor:
    """``[n_classes, 3]`` uint8 colours: the course's for the land-cover classes, else :func:`scene_palette`."""
    if tuple(classes) == tuple(LAND_COVER):
        return torch.tensor(list(LAND_COVER.values()), dtype=torch.uint8)
    return scene_palette(classes)


def index_to_rgb(mask: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """Class indices ``[H, W]`` to an RGB image uint8 ``[3, H, W]``."""
    if mask.numel() and (int(mask.min()) < 0 or int(mask.max()) >= len(palette)):
        raise ValueError(f"mask holds classes {int(mask.min())}..{int(mask.max())}; the palette has {len(palette)}")
    return palette[mask.long()].permute(2, 0, 1).contiguous()


def rgb_to_index(rgb: torch.Tensor, palette: torch.Tensor, source: str = "mask") -> torch.Tensor:
    """An RGB mask uint8 ``[3, H, W]`` to class indices int64 ``[H, W]``; an unknown colour raises
    :class:`MaskColourError` naming ``source``, the colour, where it first appears and the valid colours."""
    codes = (rgb.long() * torch.tensor([65536, 256, 1]).view(3, 1, 1)).sum(0)
    palette_codes = (palette.long() * torch.tensor([65536, 256, 1])).sum(1)
    lookup = {code: i for i, code in enumerate(palette_codes.tolist())}
    index = torch.full(codes.shape, -1, dtype=torch.long)
    for code, i in lookup.items():
        index[codes == code] = i
    bad = (index < 0).nonzero()
    if len(bad):
        y, x = bad[0].tolist()
        colour = tuple(rgb[:, y, x].tolist())
        valid = ", ".join(str(tuple(c)) for c in palette.tolist())
        raise MaskColourError(f"{source}: pixel (row {y}, column {x}) has colour {colour}, which is not a class "
                              f"colour ({len(bad)} such pixels); valid colours: {valid}")
    return index


def write_masks(masks: torch.Tensor, names: Sequence[str], palette: torch.Tensor, folder: Path | str) -> Path:
    """Write each mask ``[N, H, W]`` as ``folder/<name>_mask.png`` in RGB (each file atomically)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for mask, name in zip(masks, names):
        path = folder / f"{name}_mask.png"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
        try:
            Image.fromarray(np.ascontiguousarray(index_to_rgb(mask, palette).permute(1, 2, 0).numpy())).save(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return folder


def overlay(image: torch.Tensor, mask: torch.Tensor, palette: torch.Tensor, alpha: float = 0.75,
            skip: int | None = None) -> torch.Tensor:
    """The mask's colours blended over a uint8 image ``[3, H, W]``; pixels of class ``skip`` (e.g. the
    background) show the image dimmed instead, so the coloured classes stand out."""
    colours = index_to_rgb(mask, palette).float()
    blend = (1 - alpha) * image.float() + alpha * colours
    if skip is not None:
        blend = torch.where(mask == skip, 0.5 * image.float(), blend)
    return blend.round().clamp(0, 255).to(torch.uint8)

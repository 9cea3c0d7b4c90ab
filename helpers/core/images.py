"""Image files and 8-bit images: the suffixes the suite reads, listing a folder's images, and samples to uint8."""
from __future__ import annotations

from pathlib import Path

import torch

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: Path | str, pattern: str = "*") -> list[Path]:
    """The image files of ``folder`` (not its subfolders) matching ``pattern``, sorted by name; [] when there are none."""
    folder = Path(folder)
    return sorted(p for p in folder.glob(pattern) if is_image(p)) if folder.is_dir() else []


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] (what the models produce) to uint8 [0, 255], as a PNG file holds them."""
    return ((images + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8)

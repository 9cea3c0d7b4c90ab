"""Images in memory and on disk: image sets (uint8 tensors plus labels, batched without per-item decoding), their
conversions to the models' range and back, the suffixes the suite reads and a folder's image files."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


LABELLED_NAME = re.compile(r"^(\d+)_(\d+)$")


def label_in_name(path: Path) -> int | None:
    """The label of an image named ``<label>_<idx>.<suffix>`` (both whole numbers, as the course names its class
    folders' and generated digits' images), else None; each caller says what it expected."""
    match = LABELLED_NAME.match(path.stem)
    return None if match is None else int(match.group(1))


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: Path | str, pattern: str = "*") -> list[Path]:
    """The image files of ``folder`` (not its subfolders) matching ``pattern``, sorted by name; [] when there are none."""
    folder = Path(folder)
    return sorted(p for p in folder.glob(pattern) if is_image(p)) if folder.is_dir() else []


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Float or uint8 images ``[N, C, H, W]`` resized to ``size`` x ``size`` (bilinear, antialiased)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    out = F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return out.round().clamp(0, 255).to(torch.uint8) if images.dtype == torch.uint8 else out


def native_size(folder: Path | str) -> int | None:
    """The side of the first image of ``folder`` (by name) when it is square, else None: the size a course's
    grader expects generated images at (its data's own), whatever size a profile trains at."""
    from PIL import Image, UnidentifiedImageError

    for path in list_images(folder)[:1]:
        try:
            with Image.open(path) as image:
                width, height = image.size
        except (OSError, UnidentifiedImageError):
            return None
        return width if width == height else None
    return None


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] (what the models produce) to uint8 [0, 255], as a PNG file holds them."""
    return ((images + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8)


@dataclass(frozen=True)
class ImageSet:
    """Images as uint8 ``[N, C, H, W]`` and integer labels ``[N]``; for embedded data, ``origin`` holds
    the index of the scikit-learn base digit each image was rendered from."""

    images: torch.Tensor
    labels: torch.Tensor
    name: str
    origin: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(f"{self.name}: images must be uint8 [N, C, H, W], got {self.images.dtype} {tuple(self.images.shape)}")
        if len(self.images) != len(self.labels):
            raise ValueError(f"{self.name}: {len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    def with_channels(self, channels: int) -> ImageSet:
        """Gray to colour by repeating the channel (colour to gray by the mean), so domains can be paired."""
        if channels == self.channels:
            return self
        if self.channels == 1:
            images = self.images.repeat(1, channels, 1, 1)
        elif channels == 1:
            images = self.images.float().mean(1, keepdim=True).round().to(torch.uint8)
        else:
            raise ValueError(f"{self.name}: cannot turn {self.channels} channels into {channels}")
        return ImageSet(images, self.labels, self.name, self.origin)

    def subset(self, index: torch.Tensor) -> ImageSet:
        origin = None if self.origin is None else self.origin[index]
        return ImageSet(self.images[index], self.labels[index], self.name, origin)

    def digest(self) -> str:
        """A fingerprint of the images and labels (12 hex digits): sets that differ in a pixel or a label differ
        here, whatever their names (every folder of the course's faces is called ``train``)."""
        digest = hashlib.sha256(self.images.cpu().contiguous().numpy())  # the buffer itself, not a copy of it
        digest.update(self.labels.cpu().contiguous().numpy())
        return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Domain:
    """A named domain with its fixed train and test splits."""

    name: str
    train: ImageSet
    test: ImageSet

    def with_channels(self, channels: int) -> Domain:
        return Domain(self.name, self.train.with_channels(channels), self.test.with_channels(channels))


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] to float in [-1, 1], the input range of every model in the suite."""
    return images.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] to uint8."""
    return images.clamp(0, 1).mul(255).round().to(torch.uint8)

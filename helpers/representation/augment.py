"""BYOL's two random views of every image: a kornia augmentation pipeline applied to whole batches of the
in-memory images (no DataLoader, no per-item decoding), on the device the network trains on.

kornia draws the random parameters per image (its own crop, colours and blur for each view of each image) and
applies them to the batch in one call. torchvision's v2 transforms draw once per call, so they had to be called
image by image: 110 ms of Python per step of 64 images on 2 cores, against 15 ms batched (docs/tuning.md).
"""
from __future__ import annotations

from collections.abc import Iterator

import kornia.augmentation as K
import torch

from helpers.core.images import ImageSet, to_float, to_uint8


def byol_augmentation(size: int, *, crop_scale: float = 0.3, hflip: float = 0.0,
                      grayscale: float = 0.2) -> K.AugmentationSequential:
    """The BYOL paper's recipe scaled to small images: random resized crop, colour jitter (p=0.8),
    grayscale (the paper's p=0.2), Gaussian blur (p=0.5), optional horizontal flip. Floats in [0, 1],
    ``[N, 3, H, W]``, in and out. The colour jitter uses torchvision's formulas in a random order, as
    torchvision's does."""
    return K.AugmentationSequential(
        K.RandomResizedCrop((size, size), scale=(crop_scale, 1.0), align_corners=False, cropping_mode="resample"),
        K.RandomHorizontalFlip(p=hflip),
        K.ColorJitter(0.4, 0.4, 0.2, 0.1, p=0.8),
        K.RandomGrayscale(p=grayscale),
        K.RandomGaussianBlur((3, 3), sigma=(0.1, 1.5), p=0.5),
    )


def augment_batch(images: torch.Tensor, transform: K.AugmentationSequential) -> torch.Tensor:
    """``transform`` applied to uint8 images ``[N, C, H, W]``, each image with its own random draw; uint8 RGB out.
    Gray images (C = 1) are repeated to three channels first (colour jitter needs RGB)."""
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"augment_batch takes uint8 images [N, 1 or 3, H, W], "
                         f"got {images.dtype} {tuple(images.shape)}")
    return to_uint8(transform(images.expand(-1, 3, -1, -1).float().div_(255)))


class ViewPairs:
    """Shuffled batches of two augmented views of the same images, as floats in [-1, 1] on ``device``, where
    they are augmented."""

    def __init__(self, data: ImageSet, batch_size: int, transform: K.AugmentationSequential,
                 device: torch.device | str = "cpu") -> None:
        if len(data) < batch_size:
            raise ValueError(f"{data.name}: {len(data)} images is fewer than one batch of {batch_size}")
        self.images = data.images
        self.batch_size, self.transform, self.device = batch_size, transform, device

    def __len__(self) -> int:
        return len(self.images) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.images))
        for i in range(len(self)):
            batch = self.images[order[i * self.batch_size:(i + 1) * self.batch_size]].to(self.device)
            yield to_float(augment_batch(batch, self.transform)), to_float(augment_batch(batch, self.transform))

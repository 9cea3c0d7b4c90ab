"""BYOL's two random views of every image: a torchvision transforms v2 pipeline on uint8 tensors, applied
batch by batch to the in-memory images (no DataLoader, no per-item decoding).

A v2 transform called on a whole batch draws one set of random parameters for all of it, so the pipeline
is called once per image of the batch: each view of each image gets its own crop, colours and blur.
"""
from __future__ import annotations

from collections.abc import Iterator

import torch
from torchvision.transforms import v2

from helpers.core.images import ImageSet, to_float


def byol_augmentation(size: int, *, crop_scale: float = 0.3, hflip: float = 0.0, grayscale: float = 0.2) -> v2.Compose:
    """The BYOL paper's recipe scaled to small images: random resized crop, colour jitter (p=0.8),
    grayscale (the paper's p=0.2), Gaussian blur (p=0.5), optional horizontal flip; uint8 in, uint8 out."""
    return v2.Compose([
        v2.RandomResizedCrop(size, scale=(crop_scale, 1.0), antialias=True),
        v2.RandomHorizontalFlip(p=hflip),
        v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
        v2.RandomGrayscale(p=grayscale),
        v2.RandomApply([v2.GaussianBlur(3, sigma=(0.1, 1.5))], p=0.5),
    ])


def augment_batch(images: torch.Tensor, transform: v2.Transform) -> torch.Tensor:
    """``transform`` applied to each uint8 image ``[C, H, W]`` of ``images`` with its own random draw."""
    return torch.stack([transform(image) for image in images])


class ViewPairs:
    """Shuffled batches of two augmented views of the same images, as floats in [-1, 1] on ``device``.
    Gray images are repeated to three channels first (colour jitter needs RGB)."""

    def __init__(self, data: ImageSet, batch_size: int, transform: v2.Transform, device: torch.device | str = "cpu") -> None:
        if len(data) < batch_size:
            raise ValueError(f"{data.name}: {len(data)} images is fewer than one batch of {batch_size}")
        self.images = data.with_channels(3).images if data.channels == 1 else data.images
        self.batch_size, self.transform, self.device = batch_size, transform, device

    def __len__(self) -> int:
        return len(self.images) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.images))
        for i in range(len(self)):
            batch = self.images[order[i * self.batch_size:(i + 1) * self.batch_size]]
            yield (to_float(augment_batch(batch, self.transform)).to(self.device),
                   to_float(augment_batch(batch, self.transform)).to(self.device))

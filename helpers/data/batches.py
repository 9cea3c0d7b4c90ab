"""Mini-batches straight from in-memory uint8 tensors (no DataLoader workers, no per-item decoding).

Shuffling uses torch's global generator, which :func:`helpers.core.training.fit` seeds at every epoch.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from helpers.core.images import ImageSet, to_float


Transform = Callable[[torch.Tensor], torch.Tensor]


class Batches:
    """Shuffled ``(images, labels)`` batches of an image set, as float tensors in [-1, 1] on ``device``; a
    ``transform`` (e.g. a random augmentation) is applied to each float batch."""

    def __init__(self, data: ImageSet, batch_size: int, device: torch.device | str = "cpu", *,
                 shuffle: bool = True, drop_last: bool = True, transform: Transform | None = None) -> None:
        if len(data) < batch_size and drop_last:
            raise ValueError(f"{data.name}: {len(data)} images is fewer than one batch of {batch_size}")
        self.images = data.images.to(device)
        self.labels = data.labels.to(device)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.transform = transform

    def __len__(self) -> int:
        n = len(self.images)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.images)
        order = torch.randperm(n).to(self.images.device) if self.shuffle else torch.arange(n, device=self.images.device)
        for i in range(len(self)):
            index = order[i * self.batch_size:(i + 1) * self.batch_size]
            images = to_float(self.images[index])
            yield (self.transform(images) if self.transform else images), self.labels[index]


class PairedBatches:
    """One epoch = one pass over the labelled source; each step also draws a batch of target images
    (reshuffled whenever the target runs out). Target labels are never handed out. ``transform`` applies to
    both domains' batches."""

    def __init__(self, source: ImageSet, target: ImageSet, batch_size: int, device: torch.device | str = "cpu", *,
                 transform: Transform | None = None) -> None:
        self.source = Batches(source, batch_size, device, transform=transform)
        self.target = Batches(target, batch_size, device, transform=transform)

    def __len__(self) -> int:
        return len(self.source)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        target = iter(self.target)
        for xs, ys in self.source:
            try:
                xt, _ = next(target)
            except StopIteration:
                target = iter(self.target)
                xt, _ = next(target)
            yield xs, ys, xt

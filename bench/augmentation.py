"""BYOL's views: the suite's batched kornia pipeline against torchvision's v2 transforms called image by image
(what the suite did before 2026-11-29: v2 draws one set of random parameters per call, so per-image draws
needed one call per image).

Measures: milliseconds to make the two views of one batch (one BYOL step's augmentation) from uint8 images, for
the cpu profile's batch and size (64 x 16x16, digits: crops >= 70%, every view gray) and the gpu profile's
(256 x 32x32, the paper's recipe), on the CPU; the median of ``--repeats`` timings of ``--batches`` batches after
one warm-up batch.
Hardware: the 2-core CPU machines of docs/design.md (torch 2.14.1, kornia 0.9.0, torchvision 0.29.1).
Run: .venv/bin/python bench/augmentation.py [--batches 20] [--repeats 3]
Got (2026-11-29, 2-core AMD EPYC Zen 4): docs/tuning.md, section "BYOL's views, batched".
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch
from torchvision.transforms import v2

from helpers.representation.augment import augment_batch, byol_augmentation


def torchvision_per_image(size: int, crop_scale: float, grayscale: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """The former pipeline: the same steps as torchvision v2 transforms, one call per image."""
    transform = v2.Compose([
        v2.RandomResizedCrop(size, scale=(crop_scale, 1.0), antialias=True),
        v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
        v2.RandomGrayscale(p=grayscale),
        v2.RandomApply([v2.GaussianBlur(3, sigma=(0.1, 1.5))], p=0.5),
    ])
    return lambda images: torch.stack([transform(image) for image in images])


def milliseconds(views: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, batches: int,
                 repeats: int) -> float:
    views(images)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batches):
            views(images), views(images)
        times.append((time.perf_counter() - start) / batches * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch threads: {torch.get_num_threads()}; ms for the two views of one batch")
    print(f"{'case':<28} {'torchvision per image':>22} {'kornia batched':>15} {'ratio':>6}")
    for name, batch, size, crop_scale, grayscale in [("cpu profile, 64 x 16x16", 64, 16, 0.7, 1.0),
                                                     ("gpu profile, 256 x 32x32", 256, 32, 0.3, 0.2)]:
        images = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)
        pipeline = byol_augmentation(size, crop_scale=crop_scale, grayscale=grayscale)
        before = milliseconds(torchvision_per_image(size, crop_scale, grayscale), images, args.batches, args.repeats)
        after = milliseconds(lambda x: augment_batch(x, pipeline), images, args.batches, args.repeats)
        print(f"{name:<28} {before:>22.1f} {after:>15.1f} {after / before:>6.2f}")


if __name__ == "__main__":
    main()

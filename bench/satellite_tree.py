"""A course-layout satellite tree of our own, to run the segmentation notebook on the course's sizes.

Makes: ``OUT/p3_data/{train,validation}/NNNN_sat.jpg`` with ``NNNN_mask.png`` (RGB in the 7 land-cover colours),
the layout helpers/segmentation/data.py reads, at the course's 512x512 by default. Each map is a Voronoi partition
(6-20 cells, their borders bent by smooth noise) with a land-cover class per cell, drawn by class frequencies
roughly like the course's (agriculture most, then forest, urban, rangeland, water, barren; unknown rare). Each class
has its own look, jittered per image so that colour alone does not decide: fields in stripes, tree canopy as blotchy
noise, urban as a grid of blocks, flat water with faint waves, rangeland and barren as fine noise. JPEG quality 90,
as the course's images are JPEG.
Hardware: any; 30 images of 512x512 take about 10 seconds on one core.
Run: python bench/satellite_tree.py OUT --seed 0 [--train 24 --validation 6] [--size 512]
     then: python bench/segmentation_course.py embedded OUT, or make report NOTEBOOKS=segmentation DATA=OUT
Got (2026-12-01): docs/tuning.md, "segmentation on satellite data of the issue's size".
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter, map_coordinates

CLASSES = {  # name: (mask colour, how often a cell gets it)
    "urban": ((0, 255, 255), 0.15),
    "agriculture": ((255, 255, 0), 0.35),
    "rangeland": ((255, 0, 255), 0.12),
    "forest": ((0, 255, 0), 0.2),
    "water": ((0, 0, 255), 0.08),
    "barren": ((255, 255, 255), 0.08),
    "unknown": ((0, 0, 0), 0.02),
}


def smooth_noise(rng: np.random.Generator, size: int, sigma: float) -> np.ndarray:
    """Gaussian-smoothed white noise, scaled to [-1, 1]."""
    noise = gaussian_filter(rng.normal(size=(size, size)), sigma)
    return noise / max(np.abs(noise).max(), 1e-6)


def cell_map(rng: np.random.Generator, size: int) -> np.ndarray:
    """Cell index per pixel: the nearest of 6-20 random centres, measured after bending the pixel grid."""
    centres = rng.uniform(0, size, (int(rng.integers(6, 21)), 2))
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    y = y + smooth_noise(rng, size, size / 16) * size / 12
    x = x + smooth_noise(rng, size, size / 16) * size / 12
    distance = (y[None] - centres[:, 0, None, None]) ** 2 + (x[None] - centres[:, 1, None, None]) ** 2
    return distance.argmin(0)


def class_texture(name: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """A ``[size, size, 3]`` image in [0, 1] of one land-cover class's look."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    fine = smooth_noise(rng, size, 1.5)
    jitter = rng.uniform(-0.08, 0.08, 3)
    if name == "agriculture":
        theta, freq = rng.uniform(0, np.pi), rng.uniform(8, 30)
        stripes = np.sin(2 * np.pi * freq * (x * np.cos(theta) + y * np.sin(theta)))
        a, b = np.array([0.55, 0.6, 0.3]), np.array([0.45, 0.38, 0.25])
        t = (0.5 + 0.5 * stripes)[..., None]
        image = a * t + b * (1 - t) + 0.04 * fine[..., None]
    elif name == "forest":
        blotch = smooth_noise(rng, size, 3)
        image = np.array([0.12, 0.3, 0.12]) + 0.08 * blotch[..., None] + 0.03 * fine[..., None]
    elif name == "urban":
        pitch = rng.uniform(0.03, 0.07)
        grid = ((x % pitch) < pitch * 0.2) | ((y % pitch) < pitch * 0.2)
        roofs = smooth_noise(rng, size, 2)
        image = np.where(grid[..., None], 0.35, 0.6 + 0.15 * roofs[..., None]) * np.array([1.0, 0.98, 0.95])
    elif name == "water":
        waves = np.sin(2 * np.pi * rng.uniform(20, 40) * (x + 0.3 * y))
        image = np.array([0.08, 0.15, 0.3]) + 0.015 * waves[..., None] + 0.02 * fine[..., None]
    elif name == "rangeland":
        image = np.array([0.5, 0.5, 0.35]) + 0.07 * fine[..., None] + 0.05 * smooth_noise(rng, size, 6)[..., None]
    elif name == "barren":
        image = np.array([0.72, 0.66, 0.55]) + 0.06 * fine[..., None] + 0.05 * smooth_noise(rng, size, 8)[..., None]
    else:  # unknown: cloud or no data
        image = np.full((size, size, 3), 0.9) + 0.05 * smooth_noise(rng, size, 10)[..., None]
    return image + jitter


def satellite_pair(rng: np.random.Generator, size: int) -> tuple[Image.Image, Image.Image]:
    names = list(CLASSES)
    cells = cell_map(rng, size)
    chosen = rng.choice(len(names), size=cells.max() + 1, p=[p for _, p in CLASSES.values()])
    labels = chosen[cells]
    image = np.zeros((size, size, 3))
    for k in np.unique(labels):
        image[labels == k] = class_texture(names[k], rng, size)[labels == k]
    image = gaussian_filter(image, (0.7, 0.7, 0)) * rng.uniform(0.85, 1.15)  # the sensor's blur, the day's light
    colours = np.array([c for c, _ in CLASSES.values()], np.uint8)
    return (Image.fromarray((image.clip(0, 1) * 255).round().astype(np.uint8), "RGB"),
            Image.fromarray(colours[labels], "RGB"))


def write_tree(out: Path, *, seed: int, train: int, validation: int, size: int) -> None:
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("validation", validation)):
        folder = out / "p3_data" / split
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image, mask = satellite_pair(rng, size)
            image.save(folder / f"{i:04d}_sat.jpg", quality=90)
            mask.save(folder / f"{i:04d}_mask.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train", type=int, default=24, help="training pairs (the issue's tree: 24)")
    parser.add_argument("--validation", type=int, default=6, help="validation pairs (the issue's tree: 6)")
    parser.add_argument("--size", type=int, default=512, help="image side in pixels (the course's: 512)")
    args = parser.parse_args()
    write_tree(args.out, seed=args.seed, train=args.train, validation=args.validation, size=args.size)
    print(f"wrote {args.train} + {args.validation} satellite pairs of {args.size}x{args.size} (seed {args.seed}) "
          f"under {args.out / 'p3_data'}")


if __name__ == "__main__":
    main()

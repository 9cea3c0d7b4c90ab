"""The segmentation data: the embedded ``digit-scenes`` or the course's satellite layout, validated up front.

    <data>/train/NNNN_sat.jpg        <data>/train/NNNN_mask.png
    <data>/validation/NNNN_sat.jpg   <data>/validation/NNNN_mask.png

Masks are RGB in the 7 land-cover colours (helpers.segmentation.masks.LAND_COVER); mIoU leaves ``unknown``
out, as the course does.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from helpers.core.images import ImageSet
from helpers.data import EMBEDDED
from helpers.data.course import DataLayoutError, course_root
from helpers.data.scenes import SCENE_CLASSES, digit_scenes
from helpers.segmentation.masks import LAND_COVER, palette_of, rgb_to_index

SPLITS = ("train", "validation")
SATELLITE_EXCLUDE = ("unknown",)  # left out of mIoU, as the course's evaluation script does
LAYOUT = """expected layout:
  <data>/train/NNNN_sat.jpg        <data>/train/NNNN_mask.png
  <data>/validation/NNNN_sat.jpg   <data>/validation/NNNN_mask.png
  (masks in the 7 land-cover RGB colours; <data> is hw1_data/p3_data, or hw1_data)"""


@dataclass(frozen=True)
class SegmentationSet:
    """Images uint8 ``[N, 3, H, W]``, class masks uint8 ``[N, H, W]`` (cast to int64 per batch: a quarter of
    the memory for the course's 512x512 masks) and a name per image (``NNNN``)."""

    images: torch.Tensor
    masks: torch.Tensor
    names: tuple[str, ...]
    name: str

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.masks.ndim != 3 or self.images.shape[-2:] != self.masks.shape[-2:]:
            raise ValueError(f"{self.name}: images {tuple(self.images.shape)} and masks {tuple(self.masks.shape)} do not match")
        if not len(self.images) == len(self.masks) == len(self.names):
            raise ValueError(f"{self.name}: {len(self.images)} images, {len(self.masks)} masks, {len(self.names)} names")

    def __len__(self) -> int:
        return len(self.images)

    def as_image_set(self) -> ImageSet:
        """The images with their masks as labels, for :class:`helpers.data.batches.Batches`."""
        return ImageSet(self.images, self.masks, self.name)


@dataclass(frozen=True)
class SegmentationData:
    train: SegmentationSet
    validation: SegmentationSet
    classes: tuple[str, ...]
    exclude: tuple[str, ...]  # classes left out of mIoU

    @property
    def palette(self) -> torch.Tensor:
        return palette_of(self.classes)


def read_rgb(path: Path) -> torch.Tensor:
    try:
        with Image.open(path) as image:
            array = np.array(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as error:
        raise DataLayoutError(f"cannot decode image {path}: {error}") from None
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def satellite_pair(sat: Path, size: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """One image and its class mask, checked (same size, known colours) and resized to ``size``."""
    mask_path = sat.with_name(sat.name.replace("_sat.jpg", "_mask.png"))
    if not mask_path.is_file():
        raise DataLayoutError(f"image {sat} has no mask {mask_path.name}\n{LAYOUT}")
    image, rgb = read_rgb(sat), read_rgb(mask_path)
    if image.shape[1:] != rgb.shape[1:]:
        raise DataLayoutError(f"mask {mask_path} is {rgb.shape[2]}x{rgb.shape[1]} but its image {sat.name} is "
                              f"{image.shape[2]}x{image.shape[1]} (width x height); they must be the same size")
    mask = rgb_to_index(rgb, palette_of(tuple(LAND_COVER)), str(mask_path))
    if size is not None and image.shape[1:] != (size, size):
        image = resize_images(image[None], size)[0]
        mask = F.interpolate(mask[None, None].float(), size=(size, size), mode="nearest")[0, 0]
    return image, mask.to(torch.uint8)


def resize_images(images: torch.Tensor, size: int | Sequence[int]) -> torch.Tensor:
    """uint8 images ``[N, 3, H, W]`` resized to ``size`` (an int for a square, or (H, W); bilinear, antialiased),
    as the models see them."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(images.shape[-2:]) == size:
        return images
    resized = F.interpolate(images.float(), size=size, mode="bilinear", antialias=True)
    return resized.round().clamp(0, 255).to(torch.uint8)


def window_shape(images: torch.Tensor, size: int | None) -> tuple[int, int] | None:
    """The (height, width) of a ``size`` window of ``images`` ``[N, C, H, W]`` (a side shorter than ``size`` kept
    whole); None where the window would be the whole image (``size`` None or not smaller)."""
    height, width = images.shape[-2:]
    if size is None or (size >= height and size >= width):
        return None
    return min(size, height), min(size, width)


def random_windows(images: torch.Tensor, masks: torch.Tensor, size: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """A random :func:`window_shape` window of each image ``[N, C, H, W]`` and the same window of its mask
    ``[N, H, W]`` (drawn from torch's global generator, which :func:`helpers.core.training.fit` seeds each epoch);
    the whole images where there is no smaller window."""
    shape = window_shape(images, size)
    if shape is None:
        return images, masks
    (height, width), (h, w) = images.shape[-2:], shape
    tops = torch.randint(0, height - h + 1, (len(images),)).tolist()
    lefts = torch.randint(0, width - w + 1, (len(images),)).tolist()
    return (torch.stack([image[:, t:t + h, l:l + w] for image, t, l in zip(images, tops, lefts)]),
            torch.stack([mask[t:t + h, l:l + w] for mask, t, l in zip(masks, tops, lefts)]))


def windows_note(images: torch.Tensor, size: int | None) -> str:
    """What a training step sees of ``images`` ``[N, C, H, W]`` (:func:`random_windows`), for the hyperparameter
    table."""
    height, width = images.shape[-2:]
    shape = window_shape(images, size)
    if shape is None:
        return f"whole {width}x{height} images"
    return f"a random {shape[1]}x{shape[0]} window of each {width}x{height} image"


def satellite_split(folder: Path, size: int | None) -> SegmentationSet:
    if not folder.is_dir():
        raise DataLayoutError(f"missing folder {folder}\n{LAYOUT}")
    sats = sorted(folder.glob("*_sat.jpg"))
    if not sats:
        raise DataLayoutError(f"no *_sat.jpg images in {folder}\n{LAYOUT}")
    orphans = sorted({p.name.removesuffix("_mask.png") for p in folder.glob("*_mask.png")}
                     - {p.name.removesuffix("_sat.jpg") for p in sats})
    if orphans:
        raise DataLayoutError(f"mask {folder / (orphans[0] + '_mask.png')} has no image {orphans[0]}_sat.jpg\n{LAYOUT}")
    pairs = [satellite_pair(sat, size) for sat in sats]
    return SegmentationSet(torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs]),
                           tuple(p.name.removesuffix("_sat.jpg") for p in sats), f"satellite/{folder.name}")


SATELLITE_SUBFOLDER = "p3_data"  # hw1_data/p3_data/{train,validation}: DATA may name hw1_data or p3_data


def satellite_root(data: Path | str) -> Path:
    """The folder holding ``train/`` and ``validation/``: ``data`` itself, or its ``p3_data/``."""
    return course_root(data, SATELLITE_SUBFOLDER)


def validation_folder(data: str) -> str:
    """The validation folder that ``data`` was loaded from, for the report's example commands (the course's own
    path for the embedded data)."""
    if data == EMBEDDED:
        return f"hw1_data/{SATELLITE_SUBFOLDER}/validation"
    return str(satellite_root(data) / "validation")


def satellite_data(root: Path | str, size: int | None = None) -> SegmentationData:
    """The course's satellite folder (:func:`satellite_root`; ``size``: resize images and masks to size x size;
    None keeps them)."""
    if not Path(root).expanduser().is_dir():
        raise DataLayoutError(f"data folder {Path(root).expanduser()} does not exist\n{LAYOUT}")
    root = satellite_root(root)
    train, validation = (satellite_split(root / split, size) for split in SPLITS)
    return SegmentationData(train, validation, tuple(LAND_COVER), exclude=SATELLITE_EXCLUDE)


def scene_data(*, seed: int, train: int, val: int, canvas: int, digit_size: int, grid: int,
               digits: Sequence[int]) -> SegmentationData:
    """The embedded ``digit-scenes`` as :class:`SegmentationData` (every class counts in mIoU)."""
    scenes = digit_scenes(seed=seed, train=train, val=val, canvas=canvas, digit_size=digit_size, grid=grid,
                          digits=tuple(digits))
    sets = {split: SegmentationSet(images, masks, tuple(f"{i:04d}" for i in range(len(images))), f"digit-scenes/{split}")
            for split, (images, masks) in scenes.items()}
    return SegmentationData(sets["train"], sets["validation"], SCENE_CLASSES, exclude=())


def load_segmentation(data: str, config, seed: int) -> SegmentationData:
    """The embedded scenes (``data="embedded"``) or the course's satellite folder, as ``config`` sizes them."""
    if data == EMBEDDED:
        return scene_data(seed=seed, train=config.train_scenes, val=config.val_scenes, canvas=config.canvas_size,
                          digit_size=config.digit_size, grid=config.grid, digits=config.digits_per_canvas)
    return satellite_data(data, config.image_size)

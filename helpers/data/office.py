"""The course's BYOL layout (DLCV HW1 P2): unlabeled Mini-ImageNet images for pretraining and Office-Home
style folders whose labels are in a CSV.

    <data>/mini/train/*.jpg                    unlabeled pretraining images
    <data>/mini/train.csv        (optional)    filename,label: labels for the supervised backbone (B, D)
    <data>/office/train/*.jpg    <data>/office/train.csv     filename,label (a class name or number)
    <data>/office/val/*.jpg      <data>/office/val.csv

Class names are numbered in sorted order of the training CSV; a validation label that is not among them,
a row naming a missing file or an image that does not decode raises an error naming the file.
"""
from __future__ import annotations

from pathlib import Path

import torch

from helpers.core.images import ImageSet, list_images
from helpers.data.course import DataLayoutError, decode, read_csv_rows

LAYOUT = """expected layout:
  <data>/mini/train/*.jpg                  (unlabeled pretraining images)
  <data>/mini/train.csv                    (optional: filename,label for the supervised backbone)
  <data>/office/train/*.jpg  <data>/office/train.csv   (header with the columns filename,label)
  <data>/office/val/*.jpg    <data>/office/val.csv"""


def stack(images: list[torch.Tensor], labels: list[int], name: str) -> ImageSet:
    channels = max(im.shape[0] for im in images)
    images = [im.expand(channels, -1, -1) for im in images]
    return ImageSet(torch.stack(images).contiguous(), torch.tensor(labels, dtype=torch.long), name)


def read_rows(csv_path: Path, image_dir: Path) -> list[tuple[Path, str]]:
    """(image path, label text) per row of a ``filename,label`` CSV, every file checked to exist."""
    return [(image, label) for _, image, label in read_csv_rows(csv_path, image_dir, "filename", LAYOUT)]


def class_names(csv_path: Path, image_dir: Path) -> list[str]:
    """The classes of a labelled CSV, sorted (numerically when every label is a number)."""
    labels = {label for _, label in read_rows(csv_path, image_dir)}
    return sorted(labels, key=lambda s: (0, int(s), s) if s.isdigit() else (1, 0, s))


def load_csv_folder(csv_path: Path | str, image_dir: Path | str, *, size: int, classes: list[str]) -> ImageSet:
    """The images a ``filename,label`` CSV lists, labelled by their index in ``classes``."""
    csv_path, image_dir = Path(csv_path), Path(image_dir)
    index = {name: i for i, name in enumerate(classes)}
    rows = read_rows(csv_path, image_dir)
    for line, (_, label) in enumerate(rows, start=2):
        if label not in index:
            raise DataLayoutError(f"{csv_path}, line {line}: label {label!r} is not a class of the training CSV "
                                  f"({len(classes)} classes, e.g. {', '.join(classes[:5])})")
    images = [decode(path, size) for path, _ in rows]
    return stack(images, [index[label] for _, label in rows], f"{image_dir.parent.name}/{image_dir.name}")


def load_unlabeled_folder(folder: Path | str, *, size: int, limit: int | None = None) -> ImageSet:
    """Every image of ``folder`` (sorted by name, the first ``limit`` if given), with labels -1."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataLayoutError(f"missing image folder {folder}\n{LAYOUT}")
    files = list_images(folder)[:limit]
    if not files:
        raise DataLayoutError(f"{folder} holds no .jpg/.png images\n{LAYOUT}")
    return stack([decode(path, size) for path in files], [-1] * len(files), f"{folder.parent.name}/{folder.name}")

"""The course's class-folder layout (DLCV HW1 P1): the label is in each file's name.

    <data>/train_50/<label>_<idx>.png      (or <data>/train/)
    <data>/val_50/<label>_<idx>.png        (or <data>/val/)

Every file is checked before anything trains: a name that is not ``<label>_<idx>.png``, an image that does
not decode or a validation label that no training image has raises an error naming the file.
"""
from __future__ import annotations

from pathlib import Path

import torch

from helpers.core.images import Domain, ImageSet, label_in_name
from helpers.data.course import DataLayoutError, decode

SPLIT_FOLDERS = {"train": ("train_50", "train"), "test": ("val_50", "val")}
LAYOUT = """expected layout:
  <data>/train_50/<label>_<idx>.png   (or <data>/train/; label and idx non-negative integers)
  <data>/val_50/<label>_<idx>.png     (or <data>/val/)"""


def parse_label(path: Path) -> int:
    """The class of ``<label>_<idx>.png``; any other name raises a DataLayoutError naming the file."""
    label = label_in_name(path) if path.suffix == ".png" else None
    if label is None:
        raise DataLayoutError(f"cannot read a label from the file name {path}: expected <label>_<idx>.png "
                              f"(e.g. 12_345.png)\n{LAYOUT}")
    return label


def split_folder(root: Path, split: str) -> Path:
    for name in SPLIT_FOLDERS[split]:
        if (root / name).is_dir():
            return root / name
    found = sorted(p.name for p in root.iterdir() if p.is_dir())
    raise DataLayoutError(f"no {' or '.join(SPLIT_FOLDERS[split])} folder in {root} (found: {found or 'nothing'})\n{LAYOUT}")


def load_class_folder(folder: Path | str, *, size: int, name: str | None = None) -> ImageSet:
    """Every file of ``folder`` (sorted by name), decoded to ``size`` x ``size``, labelled by its name."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DataLayoutError(f"{folder} holds no images\n{LAYOUT}")
    labels = [parse_label(path) for path in files]  # every name checked before any image is decoded
    images = [decode(path, size) for path in files]
    channels = max(im.shape[0] for im in images)
    images = [im.expand(channels, -1, -1) for im in images]
    return ImageSet(torch.stack(images).contiguous(), torch.tensor(labels, dtype=torch.long), name or folder.name)


def class_folder_domain(root: Path | str, *, size: int = 32) -> Domain:
    """Train and validation splits of a class-folder data set; the validation split is the domain's test."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataLayoutError(f"data folder {root} does not exist\n{LAYOUT}")
    train_dir, val_dir = split_folder(root, "train"), split_folder(root, "test")
    train = load_class_folder(train_dir, size=size, name=f"{root.name}/{train_dir.name}")
    val = load_class_folder(val_dir, size=size, name=f"{root.name}/{val_dir.name}")
    known = set(train.labels.tolist())
    unknown = sorted(set(val.labels.tolist()) - known)
    if unknown:
        raise DataLayoutError(f"{val_dir}: labels {unknown} have no training image in {train_dir}\n{LAYOUT}")
    if train.channels != val.channels:
        channels = max(train.channels, val.channels)
        train, val = train.with_channels(channels), val.with_channels(channels)
    return Domain(root.name, train, val)

"""The course's digit-domain layout, validated up front.

    <root>/<domain>/data/*.png
    <root>/<domain>/train.csv      image_name,label   (label 0-9)
    <root>/<domain>/val.csv        image_name,label

Every image is decoded once into a uint8 tensor; any problem raises an error naming the file.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from helpers.core.images import Domain, ImageSet

COURSE_DOMAINS = ("mnistm", "svhn", "usps")
SPLIT_FILES = {"train": "train.csv", "test": "val.csv"}
LAYOUT = """expected layout:
  <data>/<domain>/data/*.png
  <data>/<domain>/train.csv   (header image_name,label; label an integer 0-9)
  <data>/<domain>/val.csv"""


class DataLayoutError(ValueError):
    """The data folder does not match the layout the loader expects."""


def outside_folder(name: str) -> bool:
    """Whether a file name from a CSV points outside the folder it is looked up in (absolute, or up with "..")."""
    return os.path.isabs(name) or os.path.normpath(name).split(os.sep)[0] == os.pardir


def course_root(data: Path | str, subfolder: str) -> Path:
    """A problem's folder: ``data`` itself, or its ``subfolder`` when ``data`` is the course's ``hw1_data`` (which
    holds ``p1_data``, ``p2_data`` and ``p3_data``)."""
    root = Path(data).expanduser()
    return root / subfolder if (root / subfolder).is_dir() else root


def csv_table(path: Path, error: type[Exception], name: str | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV as people save them: a UTF-8 byte-order mark (as Excel writes UTF-8 CSVs) is
    not part of the first column's name, and CRLF line ends read as LF. A file that is not UTF-8 text (an image
    passed for it, a legacy code page) raises ``error`` naming the file (as ``name``, default its path)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            return list(reader.fieldnames or []), list(reader)
    except UnicodeDecodeError as decode_error:
        byte = decode_error.object[decode_error.start]
        raise error(f"{name or path}: not a UTF-8 text CSV (byte 0x{byte:02x} at offset {decode_error.start} is not "
                    f"UTF-8: an image or another binary file, or a CSV saved in another encoding; save it as "
                    f"\"CSV UTF-8\")") from None


def read_csv_rows(csv_path: Path, image_dir: Path, name_column: str, layout: str = LAYOUT) -> list[tuple[int, Path, str]]:
    """(line, image path, label text) per row of a ``<name_column>,label`` CSV, every image checked to exist."""
    if not csv_path.is_file():
        raise DataLayoutError(f"missing label file {csv_path}\n{layout}")
    if not image_dir.is_dir():
        raise DataLayoutError(f"missing image folder {image_dir}\n{layout}")
    columns, table = csv_table(csv_path, DataLayoutError)
    if not {name_column, "label"} <= set(columns):
        raise DataLayoutError(f"{csv_path}: header must have the columns {name_column},label, got {columns}\n{layout}")
    rows = []
    for line, row in enumerate(table, start=2):
        name = (row[name_column] or "").strip()
        if outside_folder(name):
            raise DataLayoutError(f"{csv_path}, line {line}: image {name!r} is outside the image folder "
                                  f"{image_dir}; a row must name an image inside it")
        image = image_dir / name
        if not image.is_file():
            raise DataLayoutError(f"{csv_path}, line {line}: image {image} does not exist")
        rows.append((line, image, (row["label"] or "").strip()))
    if not rows:
        raise DataLayoutError(f"{csv_path} lists no images\n{layout}")
    return rows


def read_labels(csv_path: Path, image_dir: Path, n_classes: int = 10) -> list[tuple[Path, int]]:
    """Rows of ``image_name,label`` as (image path, label), each checked."""
    rows = []
    for line, image, text in read_csv_rows(csv_path, image_dir, "image_name"):
        try:
            label = int(text)
        except ValueError:
            raise DataLayoutError(f"{csv_path}, line {line}: label {text!r} is not an integer 0-{n_classes - 1}") from None
        if not 0 <= label < n_classes:
            raise DataLayoutError(f"{csv_path}, line {line}: label {label} is not a class (0-{n_classes - 1})")
        rows.append((image, label))
    return rows


def decode(path: Path, size: int) -> torch.Tensor:
    """One image as uint8 ``[C, size, size]`` (gray stays 1 channel, everything else RGB)."""
    try:
        with Image.open(path) as image:
            image.load()
            mode = "L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB"
            array = np.array(image.convert(mode))
    except (UnidentifiedImageError, OSError) as error:
        raise DataLayoutError(f"cannot decode image {path}: {error}") from None
    tensor = torch.from_numpy(array)
    tensor = tensor.unsqueeze(0) if tensor.ndim == 2 else tensor.permute(2, 0, 1)
    if tensor.shape[1:] != (size, size):
        tensor = F.interpolate(tensor[None].float(), size=(size, size), mode="bilinear", antialias=True)[0]
        tensor = tensor.round().clamp(0, 255).to(torch.uint8)
    return tensor


def load_split(domain_dir: Path, split: str, size: int) -> ImageSet:
    rows = read_labels(domain_dir / SPLIT_FILES[split], domain_dir / "data")
    images = [decode(path, size) for path, _ in rows]
    channels = max(im.shape[0] for im in images)
    images = [im.expand(channels, -1, -1) for im in images]
    labels = torch.tensor([label for _, label in rows], dtype=torch.long)
    return ImageSet(torch.stack(images).contiguous(), labels, f"{domain_dir.name}/{split}")


def domain_folder(root: Path | str, name: str) -> Path:
    """Domain ``name``'s folder (with ``data/``, ``train.csv``, ``val.csv``) of the course's digits folder ``root``,
    or ``root`` itself when it is that domain's own folder (``.../mnistm``)."""
    root = Path(root).expanduser()
    return root if root.name == name and (root / "data").is_dir() else root / name


def course_domain(root: Path | str, name: str, *, size: int = 28) -> Domain:
    """Load one domain of the course's digits folder (or of that domain's own folder, ``.../mnistm``), validating
    everything before training starts."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataLayoutError(f"data folder {root} does not exist\n{LAYOUT}")
    domain_dir = domain_folder(root, name)
    if not (domain_dir / "data").is_dir():
        found = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise DataLayoutError(f"missing folder {domain_dir / 'data'} for domain {name!r} (found: {found or 'nothing'})\n{LAYOUT}")
    return Domain(name, load_split(domain_dir, "train", size), load_split(domain_dir, "test", size))

"""Flat folders of images (the course's face crops), optionally labelled by a binary attribute.

    <data>/*.png | *.jpg          the images (e.g. hw2_data/face/train/00000.png, 64x64)
    <labels_csv>                  optional: image_name,<attribute>,... (e.g. hw2_data/face/train.csv,
                                  attribute "Smiling" with values 0/1 or -1/1)
"""
from __future__ import annotations

from pathlib import Path

import torch

from helpers.core.images import Domain, ImageSet, list_images
from helpers.data.course import DataLayoutError, csv_table, decode

LAYOUT = """expected layout: a folder of images <data>/*.png (or .jpg), e.g. the course's 64x64 face crops;
  with an attribute, a CSV with a header image_name,<attribute>,... and values 0/1 (or -1/1)"""


def folder_images(root: Path | str) -> list[Path]:
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataLayoutError(f"data folder {root} does not exist\n{LAYOUT}")
    files = list_images(root)
    if not files:
        raise DataLayoutError(f"data folder {root} holds no .png/.jpg images\n{LAYOUT}")
    return files


def read_attribute(csv_path: Path | str, attribute: str) -> dict[str, int]:
    """{image name: 0 or 1} from the attribute column of ``csv_path``."""
    csv_path = Path(csv_path).expanduser()
    if not csv_path.is_file():
        raise DataLayoutError(f"missing attribute file {csv_path}\n{LAYOUT}")
    columns, table = csv_table(csv_path, DataLayoutError)
    if "image_name" not in columns or attribute not in columns:
        raise DataLayoutError(f"{csv_path}: needs the columns image_name and {attribute!r}; "
                              f"its columns are {', '.join(columns) or 'none'}")
    values: dict[str, int] = {}
    for line, row in enumerate(table, start=2):
        text = (row[attribute] or "").strip()
        if text not in ("0", "1", "-1", "0.0", "1.0", "-1.0"):
            raise DataLayoutError(f"{csv_path}, line {line}: {attribute}={text!r} is not 0/1 (or -1/1)")
        values[row["image_name"].strip()] = int(float(text) > 0)
    return values


def image_folder(root: Path | str, *, size: int, test_fraction: float = 0.1, seed: int = 0,
                 labels_csv: Path | str | None = None, attribute: str | None = None) -> Domain:
    """Every image of a flat folder, resized to ``size``, split into train and held-out test by ``seed``: a
    ``test_fraction`` of them, at least two (the fewest a FID's covariance can be measured on), and at least one
    image left to train on. Labels are the binary ``attribute`` from ``labels_csv`` when given, else 0."""
    files = folder_images(root)
    labels = torch.zeros(len(files), dtype=torch.long)
    if attribute is not None:
        if labels_csv is None:
            raise DataLayoutError(f"attribute={attribute!r} needs labels_csv, the CSV that holds it\n{LAYOUT}")
        values = read_attribute(labels_csv, attribute)
        missing = [f.name for f in files if f.name not in values]
        if missing:
            raise DataLayoutError(f"{labels_csv} has no {attribute!r} row for {len(missing)} images of {root}, "
                                  f"e.g. {missing[0]}")
        labels = torch.tensor([values[f.name] for f in files], dtype=torch.long)
    images = [decode(path, size) for path in files]
    channels = max(im.shape[0] for im in images)
    data = ImageSet(torch.stack([im.expand(channels, -1, -1) for im in images]).contiguous(), labels, Path(root).name)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    if len(data) < 3:
        raise DataLayoutError(f"data folder {root} holds {len(data)} image(s); at least 3 are needed (two held out "
                              f"to grade against, one to train on)\n{LAYOUT}")
    n_test = min(len(data) - 1, max(2, round(test_fraction * len(data))))
    return Domain(data.name, data.subset(order[n_test:]), data.subset(order[:n_test]))

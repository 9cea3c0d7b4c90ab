"""Files in and out of ``helpers.predict``: every input checked before any work, every output staged.

An output folder or file is written under a temporary name beside its destination and renamed into
place only when complete, so a failure (a bad image, Ctrl-C, a full disk) leaves the destination as it
was. An existing, non-empty destination is refused unless ``overwrite`` is given, and even then unless it
holds only the names predict writes: ``--overwrite`` never deletes a file the suite did not write.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from helpers.core.images import IMAGE_SUFFIXES, list_images
from helpers.data.course import csv_table
from helpers.deliverables.record import DeliverableError

# The names predict writes: a CSV file (dann, adda, classification, byol), or a folder of PNGs named
# 0000.png (gan, ddpm), <digit>_001.png (conditional_diffusion; acgan's <class>_001.png) or <NNNN>_mask.png
# (segmentation).
WRITTEN_FILE = re.compile(r".+\.csv", re.IGNORECASE)
WRITTEN_IN_FOLDER = re.compile(r"[0-9]+\.png|[0-9]_[0-9]+\.png|.+_mask\.png")


def numbered(index: int, last: int, width: int) -> str:
    """``index`` zero-padded to ``width`` digits, or to as many as ``last`` (the largest index written) has, so
    that the names sort in their order: 0001 ... 9999, 00001 ... 10000."""
    return f"{index:0{max(width, len(str(last)))}d}"


def image_files(folder: Path | str, *, pattern: str = "*", parameter: str = "--input") -> list[Path]:
    """The images in ``folder`` matching ``pattern``, sorted by name; none at all is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DeliverableError(f"{parameter} {folder}: not a folder")
    files = list_images(folder, pattern)
    if not files:
        raise DeliverableError(f"{parameter} {folder}: no images matching {pattern!r} "
                               f"({', '.join(IMAGE_SUFFIXES)})")
    return files


def read_image(path: Path | str, *, mode: str | None = None, size: int | None = None) -> torch.Tensor:
    """One image as uint8 ``[C, H, W]``; ``mode`` 'L' or 'RGB' converts, ``size`` resizes (bilinear) to
    size x size. An image that does not decode raises an error naming the file."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            if mode is not None:
                image = image.convert(mode)
            elif image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            if size is not None and image.size != (size, size):
                image = image.resize((size, size), Image.BILINEAR)
            array = np.asarray(image, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DeliverableError(f"image {path} does not decode ({error})") from None
    tensor = torch.from_numpy(array.copy())
    return tensor[None] if tensor.ndim == 2 else tensor.permute(2, 0, 1)


def read_images(files: Sequence[Path], *, mode: str | None = None, size: int | None = None) -> torch.Tensor:
    """Several images of one size as uint8 ``[N, C, H, W]``; all decoded before any is used."""
    images = [read_image(path, mode=mode, size=size) for path in files]
    shapes = {tuple(image.shape) for image in images}
    if len(shapes) > 1:
        raise DeliverableError(f"the images differ in size ({sorted(shapes)[:3]} ...); pass images of one size")
    return torch.stack(images)


def save_image(image: torch.Tensor, path: Path | str) -> None:
    """uint8 ``[C, H, W]`` (C = 1 or 3) as a PNG."""
    array = image.detach().cpu().numpy()
    Image.fromarray(array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)).save(path)


def written_by_predict(path: Path, names: re.Pattern[str]) -> bool:
    """A plain file (not a link, not a folder) with one of the ``names`` predict writes."""
    return path.is_file() and not path.is_symlink() and bool(names.fullmatch(path.name))


def check_destination(path: Path, overwrite: bool) -> None:
    """Refuse an existing file or non-empty folder at ``path`` unless ``overwrite``, and even then unless it
    is only what predict writes: call it before any work."""
    if path.is_dir() and any(path.iterdir()) or path.exists() and not path.is_dir():
        if not overwrite:
            raise DeliverableError(f"--output {path} exists and is not empty; pass --overwrite to replace it "
                                   f"(make predict: OVERWRITE=1)")
        if path.is_dir():
            foreign = next((p for p in sorted(path.iterdir()) if not written_by_predict(p, WRITTEN_IN_FOLDER)), None)
        else:
            foreign = None if written_by_predict(path, WRITTEN_FILE) else path
        if foreign is not None:
            raise DeliverableError(
                f"--output {path}: --overwrite replaces only what predict writes (a .csv file, or a folder of "
                f"0000.png, <digit>_001.png, <class>_001.png or NNNN_mask.png files), and {foreign} is not; "
                f"choose another --output or remove it yourself")


@contextmanager
def staged_folder(path: Path | str, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    check_destination(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield stage
        if path.is_dir():
            old = path.with_name(f".{path.name}.{os.getpid()}.old")
            os.replace(path, old)
            os.replace(stage, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
            os.replace(stage, path)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_csv(path: Path | str, header: Sequence[str], rows: Sequence[Sequence[object]], *,
              overwrite: bool = False) -> Path:
    """A CSV file written to a temporary name and renamed into place."""
    path = Path(path)
    if path.is_dir():
        raise DeliverableError(f"--output {path} is a folder; this problem writes a CSV file (e.g. {path}/pred.csv)")
    check_destination(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")  # LF line ends (the csv module's default is CRLF)
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_csv(path: Path | str, columns: Sequence[str], *, parameter: str) -> list[dict[str, str]]:
    """The rows of a CSV that must have ``columns`` in its header; errors name the file and the line."""
    path = Path(path)
    if path.is_dir():
        raise DeliverableError(f"{parameter} {path} is a folder; a CSV file is expected here")
    if not path.is_file():
        raise DeliverableError(f"{parameter} {path}: no such file")
    header, table = csv_table(path, DeliverableError, f"{parameter} {path}")
    if not set(columns) <= {name.strip() for name in header}:
        raise DeliverableError(f"{parameter} {path}: header must contain {','.join(columns)}, got {header}")
    rows = [{key.strip(): (value or "").strip() for key, value in row.items() if key is not None} for row in table]
    if not rows:
        raise DeliverableError(f"{parameter} {path} has no rows")
    return rows


def write_images(images: torch.Tensor, names: Sequence[str], output: Path, overwrite: bool) -> Path:
    """uint8 images ``[N, C, H, W]`` as PNG files ``names`` in the folder ``output``, whole or not at all."""
    with staged_folder(output, overwrite=overwrite) as stage:
        for image, name in zip(images, names):
            save_image(image, stage / name)
    return Path(output)

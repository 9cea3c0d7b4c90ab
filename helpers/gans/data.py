"""The images a GAN notebook trains on: the embedded digits, or a flat folder (the course's faces)."""
from __future__ import annotations

from pathlib import Path

from helpers.core.images import Domain
from helpers.data import EMBEDDED, embedded_domains
from helpers.data.faces import image_folder


def load_gan_data(data: str, *, size: int, copies: int, seed: int, labels_csv: str | None = None,
                  attribute: str | None = None) -> Domain:
    """Training and held-out images at ``size``: all 1,797 embedded digits (``copies`` renderings each, split by
    handwritten sample), or every image of the folder ``data``. The DDPM notebook trains on these too."""
    if data == EMBEDDED:
        if attribute is not None:
            raise ValueError(f"attribute={attribute!r} needs a face folder as data=, not the embedded digits")
        return embedded_domains(["digits"], seed=seed, size=size, copies=copies)["digits"]
    return image_folder(Path(data), size=size, seed=seed, labels_csv=labels_csv, attribute=attribute)


def is_face_folder(data: str, channels: int) -> bool:
    """Whether the face score applies: ``data`` is a folder of colour images (the course's faces), not the
    embedded digits nor a folder of gray digits."""
    return data != EMBEDDED and channels == 3

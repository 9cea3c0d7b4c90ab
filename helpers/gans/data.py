"""The images a GAN notebook trains on: the embedded digits, or a flat folder (the course's faces)."""
from __future__ import annotations

from pathlib import Path

from helpers.data import EMBEDDED, embedded_domains
from helpers.data.faces import image_folder
from helpers.data.images import Domain


def load_gan_data(data: str, config, seed: int, *, labels_csv: str | None = None,
                  attribute: str | None = None) -> Domain:
    """Training and held-out images at ``config.image_size``: all 1,797 embedded digits (``config.copies``
    renderings each, split by handwritten sample), or every image of the folder ``data``."""
    if data == EMBEDDED:
        if attribute is not None:
            raise ValueError(f"attribute={attribute!r} needs a face folder as data=, not the embedded digits")
        return embedded_domains(["digits"], seed=seed, size=config.image_size, copies=config.copies)["digits"]
    return image_folder(Path(data), size=config.image_size, seed=seed, labels_csv=labels_csv, attribute=attribute)

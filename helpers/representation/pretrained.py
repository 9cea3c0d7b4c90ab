"""Where ImageNet weights come from: the torch hub cache or a path, never the network."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from helpers.representation.config import PRETRAINED_CHOICES

RESNET18_FILE = "resnet18-f37072fd.pth"  # torchvision's ResNet18_Weights.IMAGENET1K_V1
RESNET18_URL = f"https://download.pytorch.org/models/{RESNET18_FILE}"


@dataclass(frozen=True)
class Initialisation:
    """The weights file to load (None: random initialisation) and the sentence the report shows."""

    weights: Path | None
    description: str


def cache_folder() -> Path:
    """``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch/hub/checkpoints``), where torchvision keeps weights."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def missing_weights_message(path: Path) -> str:
    """Which file is missing, where it goes (the torch cache, or the folder given as ``pretrained``), how to get
    it, and what to pass instead."""
    cache = cache_folder()
    where = "the torch cache folder" if path.parent == cache else "the folder given as pretrained,"
    others = ("pretrained=<path of the file or its folder>" if path.parent == cache else
              f"pretrained='imagenet' with the file in the torch cache folder {cache}")
    return (f"ImageNet weights for ResNet18 not found: {path}\n"
            f"Put the file {RESNET18_FILE} in {where} {path.parent} (on a machine with network: python -c "
            f"\"import torchvision; torchvision.models.resnet18(weights='IMAGENET1K_V1')\" puts it in {cache}, or "
            f"download {RESNET18_URL}), or pass {others}, or pretrained='none' to train from scratch.")


def resolve_pretrained(pretrained: str) -> Initialisation:
    """``"auto"``: the cached file if present, else from scratch (said so); ``"imagenet"``: the cached file or
    an error; ``"none"``: from scratch; any other value: the path of a weights file, which must exist, or of a
    folder that holds torchvision's file (as segmentation's ``pretrained`` takes one, so that one
    ``make report PARAMS=pretrained=<folder>`` serves both notebooks)."""
    cached = cache_folder() / RESNET18_FILE
    if pretrained == "none":
        return Initialisation(None, "from scratch (pretrained='none')")
    if pretrained == "auto":
        if cached.is_file():
            return Initialisation(cached, f"ImageNet weights from {cached}")
        return Initialisation(None, f"from scratch: no ImageNet weights at {cached} (pretrained='auto')")
    if pretrained == "imagenet":
        if not cached.is_file():
            raise FileNotFoundError(missing_weights_message(cached))
        return Initialisation(cached, f"ImageNet weights from {cached}")
    path = Path(pretrained).expanduser()
    if path.is_dir():
        path = path / RESNET18_FILE
        if not path.is_file():
            raise FileNotFoundError(missing_weights_message(path))
    if not path.is_file():
        raise FileNotFoundError(f"pretrained={pretrained!r} is neither one of {', '.join(PRETRAINED_CHOICES)} nor an "
                                f"existing file or folder.\n" + missing_weights_message(cached))
    return Initialisation(path, f"ImageNet weights from {path}")

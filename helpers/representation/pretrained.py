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
    return (f"ImageNet weights for ResNet18 not found: {path}\n"
            f"Put the file {RESNET18_FILE} in the torch cache folder {cache_folder()} (on a machine with network: "
            f"python -c \"import torchvision; torchvision.models.resnet18(weights='IMAGENET1K_V1')\", or download "
            f"{RESNET18_URL}), or pass pretrained=<path of the file>, or pretrained='none' to train from scratch.")


def resolve_pretrained(pretrained: str) -> Initialisation:
    """``"auto"``: the cached file if present, else from scratch (said so); ``"imagenet"``: the cached file or
    an error; ``"none"``: from scratch; any other value: the path of a weights file, which must exist."""
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
    if not path.is_file():
        raise FileNotFoundError(f"pretrained={pretrained!r} is neither one of {', '.join(PRETRAINED_CHOICES)} nor an "
                                f"existing file.\n" + missing_weights_message(path))
    return Initialisation(path, f"ImageNet weights from {path}")

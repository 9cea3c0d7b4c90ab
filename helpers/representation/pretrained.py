"""Where ImageNet weights come from: the torch hub cache or a path, never the network."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers.core.weights import missing_imagenet_message, torch_cache
from helpers.representation.config import PRETRAINED_CHOICES

RESNET18_FILE = "resnet18-f37072fd.pth"  # torchvision's ResNet18_Weights.IMAGENET1K_V1
RESNET18_URL = f"https://download.pytorch.org/models/{RESNET18_FILE}"


@dataclass(frozen=True)
class Initialisation:
    """The weights file to load (None: random initialisation) and the sentence the report shows."""

    weights: Path | None
    description: str

    @property
    def short(self) -> str:
        """The initialisation in a word, for a table cell: "ImageNet" or "random" (``description`` says more)."""
        return "ImageNet" if self.weights is not None else "random"


def missing_weights_message(path: Path) -> str:
    """Which file is missing, where it goes (the torch cache, or the folder given as ``pretrained``), how to get
    it, and what to pass instead."""
    return missing_imagenet_message("ResNet18", path, builder="resnet18", url=RESNET18_URL,
                                    elsewhere="pretrained=<path of the file or its folder>")


def resolve_pretrained(pretrained: str) -> Initialisation:
    """``"auto"``: the cached file if present, else from scratch (said so); ``"imagenet"``: the cached file or
    an error; ``"none"``: from scratch; any other value: the path of a weights file, which must exist, or of a
    folder that holds torchvision's file (as segmentation's ``pretrained`` takes one, so that one
    ``make report PARAMS=pretrained=<folder>`` serves both notebooks)."""
    cached = torch_cache() / RESNET18_FILE
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

"""Where pretrained weights files are looked for (torch's cache, or a path the user gives; never the network), and
what a missing one's error says."""
from __future__ import annotations

from pathlib import Path

import torch


def torch_cache() -> Path:
    """``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch/hub/checkpoints``), where torchvision keeps weights."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def missing_imagenet_message(subject: str, path: Path, *, builder: str, url: str, elsewhere: str,
                             files: str = "file") -> str:
    """The error for an ImageNet weights file not found at ``path`` (in the torch cache, or in the folder given as
    ``pretrained``): which file, where it goes, how to get it (torchvision's ``builder``, or ``url``), and what to
    pass instead (``elsewhere``, when ``path`` is the cache's; else ``pretrained='imagenet'`` with the ``files`` in
    the cache)."""
    cache = torch_cache()
    in_cache = path.parent == cache
    where = "the torch cache folder" if in_cache else "the folder given as pretrained,"
    others = elsewhere if in_cache else f"pretrained='imagenet' with the {files} in the torch cache folder {cache}"
    return (f"ImageNet weights for {subject} not found: {path}\n"
            f"Put the file {path.name} in {where} {path.parent} (on a machine with network: python -c "
            f"\"import torchvision; torchvision.models.{builder}(weights='IMAGENET1K_V1')\" puts it in {cache}, or "
            f"download {url}), or pass {others}, or pretrained='none' to train from scratch.")

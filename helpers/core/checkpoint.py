"""Atomic checkpoint and text files: written to a temporary file, then renamed over the old one."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import torch


def save_checkpoint(state: dict[str, Any], path: Path | str) -> None:
    """``torch.save`` to ``path`` so that a crash leaves either the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write a text file so that readers see the old content or the new, never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class DamagedCheckpoint(RuntimeError):
    """A checkpoint file that torch cannot read back: truncated, overwritten, or not a checkpoint at all."""

    def __init__(self, path: Path, cause: BaseException):
        # torch's own text is left out (for a foreign file it suggests weights_only=False, which would run whatever
        # code the file holds), but for the line naming a type the safe loader refuses
        refused = re.search(r"Unsupported global: GLOBAL [\w.]+", str(cause))
        self.path = path
        self.reason = f"torch.load failed with {type(cause).__name__}" + (f": {refused.group()}" if refused else "")
        super().__init__(f"checkpoint {path} is damaged or not a dlcv-report checkpoint ({self.reason}); delete it "
                         f"to train from scratch")


def load_checkpoint(path: Path | str) -> dict[str, Any]:
    """Load with ``weights_only=True``. A file that is not there raises FileNotFoundError, a folder
    IsADirectoryError, one that may not be read PermissionError; one that does not read back (torch raises anything
    from EOFError to OSError or KeyError on a truncated or foreign file) raises :class:`DamagedCheckpoint`, which
    names it."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint {path} is a folder, not a checkpoint file")
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path}: no such file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (PermissionError, MemoryError):  # the file may be sound: not "delete it"
        raise
    except Exception as error:  # noqa: BLE001 - whatever a damaged file makes torch raise
        raise DamagedCheckpoint(path, error) from None


def fingerprint(params: dict[str, Any]) -> str:
    """Eight hex digits that change whenever any parameter changes (a dataclass counts by its fields): part of
    checkpoint names."""
    params = {k: dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v for k, v in params.items()}
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def checkpoint_path(folder: Path | str, name: str, **identity: Any) -> Path:
    """``<folder>/<name>_<fingerprint of identity>.pt``: ``identity`` is everything that shapes the weights (the
    configuration, data, seed, ...), so a change of any of them starts a new checkpoint instead of resuming."""
    safe = re.sub(r"[^A-Za-z0-9.-]+", "_", name.replace("->", "_to_"))
    return Path(folder) / f"{safe}_{fingerprint({'name': name, **identity})}.pt"

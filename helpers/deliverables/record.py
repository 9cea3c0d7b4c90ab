"""The record a training checkpoint carries for ``helpers.predict``.

A notebook's training passes ``deliverable=deliverable(problem, ...)`` to :func:`helpers.core.training.fit`,
which stores it in every checkpoint it writes. The record names the problem, the entry of the
checkpoint's ``modules`` that holds the weights, and the plain settings the problem's ``predict``
needs to rebuild that model (its builder's arguments, image size, class names, ...). Only JSON-like
values go in, so checkpoints still load with ``weights_only=True``.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from helpers.core.checkpoint import DamagedCheckpoint, load_checkpoint

RECORD_VERSION = 1


class DeliverableError(ValueError):
    """An input of ``helpers.predict`` or ``helpers.evaluate`` is not usable; the message says which and why."""


def deliverable(problem: str, *, modules: str | list[str], **settings: Any) -> dict[str, Any]:
    """The record for a checkpoint of ``problem`` whose weights are in ``modules`` (one key of the
    checkpoint's ``modules`` or several). ``settings`` must survive a JSON round trip."""
    settings = json.loads(json.dumps(settings))  # plain values only: a tuple becomes a list, a Path fails
    return {"problem": problem, "version": RECORD_VERSION, "modules": modules, "settings": settings}


def read_deliverable(path: Path | str, problem: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(record, module state dicts)`` of a checkpoint written for ``problem``; a missing, damaged or
    foreign checkpoint raises :class:`DeliverableError` that names the file and what to pass instead."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a checkpoint file" if path.is_dir() else ": no such file"
        raise DeliverableError(f"--checkpoint {path}{' ' * path.is_dir()}{what}; the notebooks write theirs under "
                               f"reports/<problem>/checkpoints/ and name them in metrics.json ('predict')")
    try:
        state = load_checkpoint(path)
    except DamagedCheckpoint as error:
        raise DeliverableError(f"--checkpoint {path} is damaged or not a checkpoint of this suite ({error.reason}): "
                               f"re-run the {problem} notebook to write it again (it names its checkpoint in its "
                               f"metrics.json, under 'predict')") from None
    except PermissionError as error:
        raise DeliverableError(f"--checkpoint {path}: {error.strerror}") from None
    if not isinstance(state, Mapping) or "modules" not in state:
        raise DeliverableError(f"--checkpoint {path} is not a training checkpoint of this suite "
                               f"(no 'modules' entry)")
    record = state.get("deliverable")
    if not isinstance(record, Mapping):
        raise DeliverableError(f"--checkpoint {path} carries no prediction record: it is not a deliverable "
                               f"model (e.g. a pretraining or classifier checkpoint; pass the one "
                               f"reports/{problem}/metrics.json names under 'predict'), or it was written before "
                               f"records existed: re-run the {problem} notebook (it finishes at once and adds the record)")
    if record.get("problem") != problem:
        raise DeliverableError(f"--checkpoint {path} is a checkpoint of {record.get('problem')!r}, not {problem!r}: "
                               f"pass the checkpoint that reports/{problem}/metrics.json names under 'predict'")
    if record.get("version") != RECORD_VERSION:
        raise DeliverableError(f"--checkpoint {path} has prediction record version {record.get('version')}, "
                               f"this suite reads version {RECORD_VERSION}; re-run the {problem} notebook")
    if state.get("epoch", 1) < 1:
        raise DeliverableError(f"--checkpoint {path} holds no finished epoch")
    keys = record["modules"] if isinstance(record["modules"], list) else [record["modules"]]
    missing = [key for key in keys if key not in state["modules"]]
    if missing:
        raise DeliverableError(f"--checkpoint {path} lacks the weights {missing} its record names")
    return dict(record), {key: state["modules"][key] for key in keys}


def load_weights(module: torch.nn.Module, state: Mapping[str, Any], what: str) -> None:
    """``module.load_state_dict(state)``; weights that do not fit give an error naming ``what``."""
    try:
        module.load_state_dict(state)
    except RuntimeError as error:
        raise DeliverableError(f"the checkpoint's {what} weights do not fit the model its record describes "
                               f"({str(error).splitlines()[0]})") from None


def written_size(settings: Mapping[str, Any], size: int | None, trained: int) -> int:
    """The size predict writes: ``--size``, else the course data's own (the record's ``course_size``: what the
    course grades, e.g. 28x28 MNIST-M or 64x64 faces, when a profile trains smaller), else ``trained``."""
    if size is not None and size < 8:
        raise DeliverableError(f"--size {size}: images must be at least 8x8")
    return size or settings.get("course_size") or trained

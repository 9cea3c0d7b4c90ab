"""The training loop shared by every notebook: progress, loss history, atomic checkpoints, resume.

A method supplies ``step(batch, progress) -> {loss name: tensor}`` (one optimisation step) and
``batches()`` (a sized iterable for one epoch). :func:`fit` runs the epochs; each epoch starts from a
seed derived from (seed, name, epoch), so a run that is killed and resumed from its last checkpoint
finishes with the same numbers as one that was never interrupted.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sized
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.checkpoint import load_checkpoint, save_checkpoint
from helpers.runtime import derive_seed, seed_everything

History = dict[str, list[float]]
StepFn = Callable[[Any, float], Mapping[str, torch.Tensor | float]]


class SizedIterable(Iterable, Sized, Protocol):
    pass


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite."""


def fit(
    step: StepFn,
    batches: Callable[[], SizedIterable],
    *,
    name: str,
    epochs: int,
    modules: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    schedulers: Mapping[str, Any] | None = None,
    checkpoint: Path | str | None = None,
    seed: int = 0,
    on_epoch_end: Callable[[int], Mapping[str, float] | None] | None = None,
    deliverable: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> History:
    """Train for ``epochs`` epochs and return the history: each loss's mean per epoch (over the steps
    that returned it), plus what ``on_epoch_end(epoch)`` returns. With ``checkpoint`` the state is
    saved atomically after every epoch and an existing checkpoint is resumed (a finished one returns
    its history at once). ``deliverable`` (:func:`helpers.deliverables.record.deliverable`) is stored in
    the checkpoint so that ``python -m helpers.predict`` can rebuild the model from it alone. ``progress=False``
    hides the progress bar (a worker process's bar would go to the terminal, not the notebook)."""
    schedulers = schedulers or {}
    history: History = {}
    start = 0
    if checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint)
        for key, module in modules.items():
            module.load_state_dict(state["modules"][key])
        for key, optimizer in optimizers.items():
            optimizer.load_state_dict(state["optimizers"][key])
        for key, scheduler in schedulers.items():
            scheduler.load_state_dict(state["schedulers"][key])
        history, start = state["history"], state["epoch"]
        if start >= epochs and deliverable is not None and state.get("deliverable") != dict(deliverable):
            save_checkpoint({**state, "deliverable": dict(deliverable)}, checkpoint)  # written before records

    total = epochs * len(batches())
    bar = tqdm(total=total, initial=start * len(batches()), desc=name, unit="step", mininterval=1.0, leave=False,
               disable=not progress)
    for epoch in range(start, epochs):
        seed_everything(derive_seed(seed, name, epoch))
        for module in modules.values():
            module.train()
        epoch_batches = batches()
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}  # a loss a step leaves out (a GAN's generator loss between critic steps)
        for i, batch in enumerate(epoch_batches):
            progress = (epoch * len(epoch_batches) + i) / total
            losses = step(batch, progress)
            for key, value in losses.items():
                value = float(value)
                if not math.isfinite(value):
                    raise TrainingDiverged(
                        f"{name}: loss '{key}' is {value} at epoch {epoch + 1}, step {i + 1}; "
                        f"lower the learning rate or check the inputs")
                sums[key] = sums.get(key, 0.0) + value
                counts[key] = counts.get(key, 0) + 1
            bar.update()
        for key, value in sums.items():
            history.setdefault(key, []).append(value / counts[key])
        for scheduler in schedulers.values():
            scheduler.step()
        if on_epoch_end is not None:
            for module in modules.values():
                module.eval()
            for key, value in (on_epoch_end(epoch) or {}).items():
                history.setdefault(key, []).append(float(value))
        bar.set_postfix({k: f"{v[-1]:.3g}" for k, v in history.items()}, refresh=False)
        if checkpoint is not None:
            save_checkpoint({
                "name": name,
                "epoch": epoch + 1,
                "modules": {k: m.state_dict() for k, m in modules.items()},
                "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                "schedulers": {k: s.state_dict() for k, s in schedulers.items()},
                "history": history,
                **({"deliverable": dict(deliverable)} if deliverable is not None else {}),
            }, checkpoint)
    bar.close()
    for module in modules.values():
        module.eval()
    return history

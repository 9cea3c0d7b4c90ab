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

from helpers.core.checkpoint import load_checkpoint, save_checkpoint
from helpers.core.runtime import derive_seed, seed_everything

History = dict[str, list[float]]
StepFn = Callable[[Any, float], Mapping[str, torch.Tensor | float]]


class SizedIterable(Iterable, Sized, Protocol):
    pass


READ_EVERY = 50  # steps between host reads of the losses in :func:`fit`
# Fewest steps between two checkpoints of :func:`fit` (the last epoch's is always written): on a small data set an
# epoch is a few steps, and writing a diffusion model's 13 MB after each of 126 epochs took a third of its training.
SAVE_EVERY = 50


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite."""


def _check_finite(name: str, sums: Mapping[str, torch.Tensor], epoch: int, first: int, last: int) -> dict[str, float]:
    """Read the epoch's loss sums on the host (one transfer) and raise if one is NaN or infinite: that loss
    diverged in steps ``first``..``last`` (0-based; the sums were finite before ``first``)."""
    if not sums:
        return {}
    device = next(iter(sums.values())).device
    values = dict(zip(sums, torch.stack([v.to(device) for v in sums.values()]).tolist()))
    for key, value in values.items():
        if not math.isfinite(value):
            where = f"step {last + 1}" if first == last else f"steps {first + 1}-{last + 1}"
            raise TrainingDiverged(
                f"{name}: loss '{key}' is {value} at epoch {epoch + 1}, {where}; "
                f"lower the learning rate or check the inputs")
    return values


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
    on_epoch_start: Callable[[int], None] | None = None,
    on_epoch_end: Callable[[int], Mapping[str, float] | None] | None = None,
    deliverable: Mapping[str, Any] | None = None,
    progress: bool = True,
    read_every: int = READ_EVERY,
    save_every: int | None = None,
    max_steps: int | None = None,
) -> History:
    """Train for ``epochs`` epochs and return the history: each loss's mean per epoch (over the steps
    that returned it), plus what ``on_epoch_end(epoch)`` returns. ``on_epoch_start(epoch)`` runs before an
    epoch's first step, the first epoch of a resumed run included: a method sets there what follows from the
    step index (the epoch's first step is ``epoch * len(batches())``). With ``checkpoint`` the state is
    saved atomically after an epoch that ends at least ``save_every`` steps (default :data:`SAVE_EVERY`) after the
    last save, and after the last epoch, and an existing checkpoint is resumed (a finished one returns its history
    at once); each epoch's seed makes a run resumed from any epoch end like one never stopped. ``deliverable``
    (:func:`helpers.deliverables.record.deliverable`) is stored in the checkpoint so that ``python -m
    helpers.predict`` can rebuild the model from it alone. ``progress=False`` hides the progress bar (a worker
    process's bar would go to the terminal, not the notebook). The losses are read on the host every
    ``read_every`` steps and at each epoch's end, so a NaN or infinite loss is reported with the window of steps
    it appeared in. ``max_steps`` (a step budget, :attr:`helpers.core.config.Budget.max_steps`) ends the last epoch
    early, after that many steps in all: epochs of a large data set then cost no more than the budget."""
    schedulers = schedulers or {}
    per_epoch = len(batches())
    total = epochs * per_epoch if max_steps is None else min(epochs * per_epoch, max_steps)
    epochs = min(epochs, math.ceil(total / max(1, per_epoch))) if max_steps is not None else epochs
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

    save_every = SAVE_EVERY if save_every is None else save_every
    unsaved = 0  # steps trained since the last checkpoint
    bar = tqdm(total=total, initial=min(start * per_epoch, total), desc=name, unit="step", mininterval=1.0, leave=False,
               disable=not progress)
    for epoch in range(start, epochs):
        seed_everything(derive_seed(seed, name, epoch))
        for module in modules.values():
            module.train()
        if on_epoch_start is not None:
            on_epoch_start(epoch)
        epoch_batches = batches()
        # the batches this epoch trains: all of them, but in the last epoch only those the budget has left
        length = max(0, min(len(epoch_batches), total - epoch * len(epoch_batches)))
        # Each loss's sum stays on the device (float64, summed in step order) and is read every ``read_every``
        # steps and at the epoch's end: reading a GPU tensor on the host waits for the GPU, so a read every
        # step would leave it idle between steps.
        sums: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}  # a loss a step leaves out (a GAN's generator loss between critic steps)
        read_from = 0
        for i, batch in zip(range(length), epoch_batches):
            progress = (epoch * len(epoch_batches) + i) / total
            losses = step(batch, progress)
            for key, value in losses.items():
                value = torch.as_tensor(value).detach().to(torch.float64).reshape(())
                sums[key] = sums[key] + value if key in sums else value
                counts[key] = counts.get(key, 0) + 1
            bar.update()
            if (i + 1) % read_every == 0:
                means = _check_finite(name, sums, epoch, read_from, i)
                read_from = i + 1
        if read_from < length or not sums:  # else the last window's read holds the epoch's sums
            means = _check_finite(name, sums, epoch, read_from, length - 1)
        for key, value in means.items():
            history.setdefault(key, []).append(value / counts[key])
        for scheduler in schedulers.values():
            scheduler.step()
        if on_epoch_end is not None:
            for module in modules.values():
                module.eval()
            for key, value in (on_epoch_end(epoch) or {}).items():
                history.setdefault(key, []).append(float(value))
        bar.set_postfix({k: f"{v[-1]:.3g}" for k, v in history.items()}, refresh=False)
        unsaved += length
        if checkpoint is not None and (unsaved >= save_every or epoch + 1 == epochs):
            unsaved = 0
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

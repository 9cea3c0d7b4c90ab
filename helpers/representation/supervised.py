"""Supervised training with the warm-up + linear-decay schedule, validation accuracy each epoch, and the
features of the validation images saved at chosen epochs (the t-SNE over epochs needs no retraining)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.checkpoint import load_checkpoint, save_checkpoint
from helpers.core.evaluation import accuracy, apply
from helpers.core.images import ImageSet
from helpers.core.runtime import place
from helpers.core.training import History, fit
from helpers.data.batches import Batches
from helpers.representation.schedule import warmup_linear


@dataclass
class Trained:
    """A trained model, its history, its validation accuracy and the saved feature snapshots
    ({"first"|"middle"|"last": (epoch, features of the validation images)})."""

    name: str
    model: nn.Module
    history: History
    accuracy: float
    snapshots: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict)
    checkpoint: Path | None = None  # where the weights are (helpers.predict reads them from there)


def snapshot_epochs(epochs: int) -> dict[str, int]:
    """The epochs (0-based) whose features are kept: the first, the middle and the last."""
    return {"first": 0, "middle": (epochs - 1) // 2, "last": epochs - 1}


def snapshot_path(checkpoint: Path, label: str) -> Path:
    return checkpoint.with_name(f"{checkpoint.stem}_features_{label}.pt")


def train_supervised(model: nn.Module, train: ImageSet, val: ImageSet, *, name: str, epochs: int, lr: float,
                     weight_decay: float, warmup_epochs: int, batch_size: int, device: torch.device, seed: int = 0,
                     checkpoint: Path | str | None = None, parameters: Iterable[nn.Parameter] | None = None,
                     features: nn.Module | None = None, snapshots: Mapping[str, int] | None = None,
                     monitor: bool = True, deliverable: Mapping[str, Any] | None = None,
                     max_steps: int | None = None) -> Trained:
    """Cross-entropy with Adam on ``parameters`` (default: all of the model's), the LambdaLR schedule per
    epoch. With ``features`` and ``snapshots``, ``features(val images)`` is saved at those epochs, next to the
    checkpoint when there is one (so a resumed run still has them). ``monitor``: measure the validation
    accuracy after every epoch (else only at the end). ``deliverable``: the record the checkpoint carries
    for ``helpers.predict``; ``max_steps``: stop the last epoch there (:func:`helpers.core.training.fit`)."""
    model = place(model, device)
    optimizer = torch.optim.Adam(parameters if parameters is not None else model.parameters(), lr=lr,
                                 weight_decay=weight_decay)
    scheduler = warmup_linear(optimizer, warmup_epochs, epochs)
    batches = Batches(train, min(batch_size, len(train)), device)
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    kept: dict[str, tuple[int, np.ndarray]] = {}

    def step(batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        images, labels = batch
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach(), "train accuracy": (logits.argmax(1) == labels).float().mean()}

    def on_epoch_end(epoch: int) -> dict[str, float]:
        for label, at in (snapshots or {}).items():
            if at == epoch and features is not None:
                kept[label] = (epoch, apply(features.eval(), val, device).numpy())
                if checkpoint is not None:
                    save_checkpoint({"epoch": epoch, "features": torch.from_numpy(kept[label][1])},
                                    snapshot_path(checkpoint, label))
        return {"validation accuracy": accuracy(model, val, device)} if monitor else {}

    history = fit(step, lambda: batches, name=name, epochs=epochs, modules={"model": model},
                  optimizers={"adam": optimizer}, schedulers={"lr": scheduler}, checkpoint=checkpoint, seed=seed,
                  on_epoch_end=on_epoch_end, deliverable=deliverable, max_steps=max_steps)
    for label in snapshots or {}:
        if label not in kept and checkpoint is not None and snapshot_path(checkpoint, label).exists():
            state = load_checkpoint(snapshot_path(checkpoint, label))
            kept[label] = (int(state["epoch"]), state["features"].numpy())
    ordered = {label: kept[label] for label in snapshots or {} if label in kept}
    # monitored: the last epoch's measurement is the trained model's (a second pass over a large set costs seconds)
    measured = history.get("validation accuracy") if monitor else None
    final = measured[-1] if measured else accuracy(model, val, device)
    return Trained(name, model, history, final, ordered, checkpoint)

"""The two reference rows of every adaptation table: trained on the source only, and on the target."""
from __future__ import annotations

from pathlib import Path

import torch

from helpers.adaptation.augment import training_augmentation
from helpers.adaptation.common import DomainPair, classification_step, digit_classifier
from helpers.adaptation.config import DannConfig
from helpers.core.config import budget
from helpers.core.evaluation import accuracy
from helpers.core.images import ImageSet
from helpers.core.runtime import place
from helpers.core.training import History, fit
from helpers.data.batches import Batches


def train_classifier(train: ImageSet, monitor: ImageSet, config: DannConfig, channels: int, *, name: str,
                     checkpoint: Path | None, seed: int, device: torch.device) -> tuple[torch.nn.Module, History]:
    """Supervised training on ``train``; ``monitor`` (the target test set) is only measured each epoch."""
    torch.manual_seed(seed)
    model = place(digit_classifier(config, channels), device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    length = budget(config, "steps", len(train))
    batches = Batches(train, length.batch_size, device, transform=training_augmentation(config.augment))
    history = fit(classification_step(model, optimizer, config.lr), lambda: batches, name=name,
                  epochs=length.epochs, max_steps=length.max_steps, modules={"model": model},
                  optimizers={"adam": optimizer}, checkpoint=checkpoint, seed=seed,
                  on_epoch_end=lambda epoch: {"target accuracy": accuracy(model, monitor, device)})
    return model, history


def train_source_only(pair: DomainPair, config: DannConfig, **kwargs) -> tuple[torch.nn.Module, History]:
    """Lower bound: labelled source images only."""
    return train_classifier(pair.source.train, pair.target.test, config, pair.channels, **kwargs)


def train_target_only(pair: DomainPair, config: DannConfig, **kwargs) -> tuple[torch.nn.Module, History]:
    """Upper bound: the target's own labels (which no adaptation method may use)."""
    return train_classifier(pair.target.train, pair.target.test, config, pair.channels, **kwargs)

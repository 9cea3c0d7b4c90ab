"""What the classification and BYOL notebooks run, each training with checkpoints: model A and model B
(classification); the two pretrainings (BYOL, supervised) and the five fine-tuning settings (byol).

    setting   backbone initialisation           fine-tuning
    A         none (random)                     full: backbone and classifier
    B         supervised pretraining            full
    C         BYOL pretraining                  full
    D         supervised pretraining            frozen backbone: the classifier only
    E         BYOL pretraining                  frozen backbone
"""
from __future__ import annotations

import copy
from pathlib import Path

import torch
from torch import nn

from helpers.core.checkpoint import checkpoint_path
from helpers.core.config import budget
from helpers.core.evaluation import apply
from helpers.core.images import Domain
from helpers.core.runtime import derive_seed, place
from helpers.core.training import History, fit
from helpers.representation.augment import ViewPairs, byol_augmentation
from helpers.representation.byol import BYOL, embedding_std, target_decay
from helpers.representation.config import ByolConfig, ClassificationConfig
from helpers.representation.data import ByolData
from helpers.representation.deliverable import byol_record, classification_record
from helpers.representation.networks import (Finetuned, build_model_a, build_model_b, feature_width, model_a_arguments,
                                             model_b_arguments, penultimate, random_backbone)
from helpers.representation.pretrained import Initialisation
from helpers.representation.schedule import warmup_linear
from helpers.representation.supervised import Trained, snapshot_epochs, train_supervised


def train_model_a(config: ClassificationConfig, domain: Domain, *, data: str, seed: int, device: torch.device,
                  out_dir: Path | str) -> Trained:
    """Model A from scratch; its penultimate features of the validation images kept at the first, middle
    and last epoch."""
    torch.manual_seed(derive_seed(seed, "model-a"))
    model = build_model_a(config, domain)
    length = budget(config, "steps_a", len(domain.train))
    return train_supervised(model, domain.train, domain.test, name="model-a", epochs=length.epochs,
                            max_steps=length.max_steps, lr=config.lr_a,
                            weight_decay=config.weight_decay, warmup_epochs=config.warmup_epochs,
                            batch_size=length.batch_size, device=device, seed=seed,
                            checkpoint=checkpoint_path(Path(out_dir, "checkpoints"), "model-a", config=config, data=data, seed=seed),
                            features=penultimate(model), snapshots=snapshot_epochs(length.epochs),
                            deliverable=classification_record("model-a", "model_a", model_a_arguments(config, domain),
                                                          config, domain))


def train_model_b(config: ClassificationConfig, domain: Domain, init: Initialisation, *, data: str, seed: int,
                  device: torch.device, out_dir: Path | str) -> Trained:
    """Model B: ResNet18 for small images, from ``init`` (ImageNet weights or random)."""
    torch.manual_seed(derive_seed(seed, "model-b"))
    model = build_model_b(config, domain, init)
    length = budget(config, "steps_b", len(domain.train))
    return train_supervised(model, domain.train, domain.test, name="model-b", epochs=length.epochs,
                            max_steps=length.max_steps, lr=config.lr_b,
                            weight_decay=config.weight_decay, warmup_epochs=config.warmup_epochs,
                            batch_size=length.batch_size, device=device, seed=seed,
                            checkpoint=checkpoint_path(Path(out_dir, "checkpoints"), "model-b", config=config, data=data, seed=seed,
                                                       init=str(init.weights)),
                            deliverable=classification_record("model-b", "resnet18_small", model_b_arguments(config, domain),
                                                          config, domain))


SETTINGS = {  # setting: (backbone initialisation, frozen backbone)
    "A": ("none", False),
    "B": ("supervised", False),
    "C": ("byol", False),
    "D": ("supervised", True),
    "E": ("byol", True),
}


def pretrain_byol(data: ByolData, config: ByolConfig, *, seed: int, device: torch.device,
                  out_dir: Path | str, data_name: str) -> tuple[BYOL, History]:
    """BYOL on the unlabeled images; the history holds the loss and, after each epoch, the std of the
    normalised projections of the validation images (the collapse check)."""
    byol = place(BYOL(random_backbone(config, seed), feature_width(config.width), config.hidden, config.projection), device)
    optimizer = torch.optim.Adam([*byol.online.parameters(), *byol.predictor.parameters()], lr=config.pretrain_lr,
                                 weight_decay=config.weight_decay)
    length = budget(config, "pretrain_steps", len(data.unlabeled))
    scheduler = warmup_linear(optimizer, config.warmup_epochs, length.epochs)
    views = ViewPairs(data.unlabeled, length.batch_size,
                      byol_augmentation(config.image_size, crop_scale=config.crop_scale, hflip=config.hflip,
                                        grayscale=config.grayscale), device)

    def step(batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        loss = byol(*batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        byol.update_target(target_decay(config.tau, progress))
        return {"byol loss": loss.detach()}

    history = fit(step, lambda: views, name="BYOL pretraining", epochs=length.epochs, max_steps=length.max_steps,
                  modules={"byol": byol}, optimizers={"adam": optimizer}, schedulers={"lr": scheduler},
                  checkpoint=checkpoint_path(Path(out_dir, "checkpoints"), "byol", config=config, data=data_name, seed=seed), seed=seed,
                  on_epoch_end=lambda epoch: {"embedding std": embedding_std(apply(byol.online, data.val, device))})
    return byol, history


def pretrain_supervised(data: ByolData, config: ByolConfig, *, seed: int, device: torch.device,
                        out_dir: Path | str, data_name: str) -> Trained:
    """The supervised backbone: ResNet18 and a linear classifier trained on the labelled pretraining set."""
    n_classes = int(data.supervised.labels.max()) + 1
    model = Finetuned(random_backbone(config, seed), feature_width(config.width), n_classes, frozen=False)
    length = budget(config, "supervised_steps", len(data.supervised))
    return train_supervised(model, data.supervised, data.supervised_val, name="supervised pretraining",
                            epochs=length.epochs, max_steps=length.max_steps, lr=config.finetune_lr,
                            weight_decay=config.weight_decay,
                            warmup_epochs=config.warmup_epochs, batch_size=length.batch_size, device=device,
                            seed=seed, checkpoint=checkpoint_path(Path(out_dir, "checkpoints"), "supervised", config=config, data=data_name, seed=seed))


def finetune(setting: str, backbones: dict[str, nn.Module], data: ByolData, config: ByolConfig, *, seed: int,
             device: torch.device, out_dir: Path | str, data_name: str) -> Trained:
    """One setting: a copy of the chosen backbone, a new linear classifier, trained on the few labels."""
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}; valid choices: {', '.join(SETTINGS)}")
    source, frozen = SETTINGS[setting]
    if source not in backbones:
        raise ValueError(f"setting {setting} needs the {source} backbone, which was not trained "
                         f"(the data has no labelled pretraining set; leave B and D out of 'settings')")
    torch.manual_seed(derive_seed(seed, "classifier", setting))
    model = Finetuned(copy.deepcopy(backbones[source]), feature_width(config.width), len(data.classes), frozen)
    trainable = [p for p in model.parameters() if p.requires_grad]
    length = budget(config, "finetune_steps", len(data.labelled))
    # a linear classifier alone learns with a larger rate (linear evaluation); the full network with the smaller
    return train_supervised(model, data.labelled, data.val, name=f"setting {setting}", epochs=length.epochs,
                            max_steps=length.max_steps,
                            lr=config.frozen_lr if frozen else config.finetune_lr, weight_decay=config.weight_decay, warmup_epochs=config.warmup_epochs,
                            batch_size=length.batch_size, device=device, seed=seed, parameters=trainable, monitor=False,
                            checkpoint=checkpoint_path(Path(out_dir, "checkpoints"), f"setting-{setting}", config=config, data=data_name, seed=seed),
                            deliverable=byol_record(setting, config, data.classes))

"""The classification notebook's experiment: its data, model A and model B, trained with checkpoints."""
from __future__ import annotations

from pathlib import Path

import torch

from helpers.core.checkpoint import fingerprint
from helpers.core.config import as_dict
from helpers.data import EMBEDDED
from helpers.data.class_folder import class_folder_domain
from helpers.data.embedded import embedded_domains
from helpers.data.images import Domain
from helpers.deliverables.record import deliverable
from helpers.representation.config import ClassificationConfig
from helpers.representation.networks import model_a, penultimate, resnet18_small
from helpers.representation.pretrained import Initialisation
from helpers.representation.supervised import Trained, snapshot_epochs, train_supervised
from helpers.core.runtime import derive_seed

COURSE_SUBFOLDER = "p1_data"  # hw1_data/p1_data/{train_50,val_50}: DATA may name hw1_data or p1_data


def load_classification_data(config: ClassificationConfig, data: str, seed: int) -> Domain:
    """The embedded domain (all 1,797 base digits, split by digit), or the course's class folders; the
    domain's test split is the validation set of the tables."""
    if data == EMBEDDED:
        domain = embedded_domains([config.domain], seed=seed, size=config.image_size, copies=config.copies)[config.domain]
    else:
        root = Path(data).expanduser()
        domain = class_folder_domain(root / COURSE_SUBFOLDER if (root / COURSE_SUBFOLDER).is_dir() else root,
                                     size=config.image_size)
    if config.train_limit and config.train_limit < len(domain.train):
        generator = torch.Generator().manual_seed(derive_seed(seed, "train_limit"))
        keep = torch.randperm(len(domain.train), generator=generator)[:config.train_limit].sort().values
        domain = Domain(domain.name, domain.train.subset(keep), domain.test)
    return domain


def n_classes(domain: Domain) -> int:
    return int(max(domain.train.labels.max(), domain.test.labels.max())) + 1


def model_a_arguments(config: ClassificationConfig, domain: Domain) -> dict:
    """The keyword arguments of :func:`model_a` for this data (plain values: they go into the checkpoint)."""
    return {"channels": domain.train.channels, "n_classes": n_classes(domain), "widths": list(config.widths),
            "hidden": config.hidden, "image_size": config.image_size}


def model_b_arguments(config: ClassificationConfig, domain: Domain) -> dict:
    """The keyword arguments of :func:`resnet18_small` for this data, the initial weights left out."""
    return {"channels": domain.train.channels, "n_classes": n_classes(domain), "stem": config.stem}


def build_model_a(config: ClassificationConfig, domain: Domain) -> torch.nn.Module:
    return model_a(**model_a_arguments(config, domain))


def build_model_b(config: ClassificationConfig, domain: Domain, init: Initialisation) -> torch.nn.Module:
    return resnet18_small(**model_b_arguments(config, domain), weights=init.weights)


def prediction_record(model: str, builder: str, arguments: dict, config: ClassificationConfig, domain: Domain) -> dict:
    """What ``helpers.predict classification`` needs to rebuild ``model`` and prepare images as the notebook
    does: the builder (a function of :mod:`helpers.representation.networks`) and its arguments, the image size
    and channels, and the class names (label ``i`` is written as ``classes[i]``)."""
    return deliverable("classification", modules="model", model=model, builder=builder, arguments=arguments,
                       image_size=config.image_size, channels=domain.train.channels,
                       classes=[str(c) for c in range(n_classes(domain))])


def checkpoint_path(out_dir: Path | str, model: str, config: ClassificationConfig, *, data: str, seed: int,
                    init: str = "") -> Path:
    key = fingerprint({"model": model, "data": data, "seed": seed, "config": as_dict(config), "init": init})
    return Path(out_dir) / "checkpoints" / f"{model}_{key}.pt"


def train_model_a(config: ClassificationConfig, domain: Domain, *, data: str, seed: int, device: torch.device,
                  out_dir: Path | str) -> Trained:
    """Model A from scratch; its penultimate features of the validation images kept at the first, middle
    and last epoch."""
    torch.manual_seed(derive_seed(seed, "model-a"))
    model = build_model_a(config, domain)
    return train_supervised(model, domain.train, domain.test, name="model-a", epochs=config.epochs_a, lr=config.lr_a,
                            weight_decay=config.weight_decay, warmup_epochs=config.warmup_epochs,
                            batch_size=config.batch_size, device=device, seed=seed,
                            checkpoint=checkpoint_path(out_dir, "model-a", config, data=data, seed=seed),
                            features=penultimate(model), snapshots=snapshot_epochs(config.epochs_a),
                            deliverable=prediction_record("model-a", "model_a", model_a_arguments(config, domain),
                                                          config, domain))


def train_model_b(config: ClassificationConfig, domain: Domain, init: Initialisation, *, data: str, seed: int,
                  device: torch.device, out_dir: Path | str) -> Trained:
    """Model B: ResNet18 for small images, from ``init`` (ImageNet weights or random)."""
    torch.manual_seed(derive_seed(seed, "model-b"))
    model = build_model_b(config, domain, init)
    return train_supervised(model, domain.train, domain.test, name="model-b", epochs=config.epochs_b, lr=config.lr_b,
                            weight_decay=config.weight_decay, warmup_epochs=config.warmup_epochs,
                            batch_size=config.batch_size, device=device, seed=seed,
                            checkpoint=checkpoint_path(out_dir, "model-b", config, data=data, seed=seed,
                                                       init=str(init.weights)),
                            deliverable=prediction_record("model-b", "resnet18_small", model_b_arguments(config, domain),
                                                          config, domain))

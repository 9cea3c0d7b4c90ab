"""The BYOL notebook's experiment: its data, the two pretrainings (BYOL, supervised) and the five
fine-tuning settings.

    setting   backbone initialisation           fine-tuning
    A         none (random)                     full: backbone and classifier
    B         supervised pretraining            full
    C         BYOL pretraining                  full
    D         supervised pretraining            frozen backbone: the classifier only
    E         BYOL pretraining                  frozen backbone
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from helpers.core.checkpoint import fingerprint
from helpers.core.config import as_dict
from helpers.data import EMBEDDED
from helpers.data.embedded import EMBEDDED_DOMAINS, embedded_domains
from helpers.data.images import ImageSet
from helpers.data.office import class_names, load_csv_folder, load_unlabeled_folder
from helpers.deliverables.record import deliverable
from helpers.core.evaluation import apply
from helpers.representation.augment import ViewPairs, byol_augmentation
from helpers.representation.byol import BYOL, embedding_std, target_decay
from helpers.representation.config import ByolConfig
from helpers.representation.networks import Gray, Polarity, Standardize, resnet18_small
from helpers.representation.schedule import warmup_linear
from helpers.representation.supervised import Trained, train_supervised
from helpers.core.runtime import derive_seed
from helpers.core.training import History, fit

SETTINGS = {  # setting: (backbone initialisation, frozen backbone)
    "A": ("none", False),
    "B": ("supervised", False),
    "C": ("byol", False),
    "D": ("supervised", True),
    "E": ("byol", True),
}
COURSE_SUBFOLDER = "p2_data"  # hw1_data/p2_data/{mini,office}: DATA may name hw1_data or p2_data
FINETUNE_DOMAIN, SUPERVISED_DOMAIN = "digits-s", "digits"


@dataclass
class ByolData:
    """Unlabeled images to pretrain on, a labelled set for the supervised backbone (None: not available),
    the few labels to fine-tune on, the validation set, and the names of things for the report."""

    unlabeled: ImageSet
    supervised: ImageSet | None
    supervised_val: ImageSet | None
    labelled: ImageSet
    val: ImageSet
    classes: list[str]
    sources: dict[str, str]


def rgb(data: ImageSet) -> ImageSet:
    return data.with_channels(3)


def label_subset(data: ImageSet, fraction: float, seed: int) -> ImageSet:
    """``fraction`` of the images of every class (at least one each), chosen with the seed."""
    generator = torch.Generator().manual_seed(derive_seed(seed, "labels", fraction))
    keep = []
    for cls in data.labels.unique(sorted=True).tolist():
        members = (data.labels == cls).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        keep.append(members[:max(1, round(len(members) * fraction))])
    return data.subset(torch.cat(keep).sort().values)


def limited(data: ImageSet, limit: int, seed: int) -> ImageSet:
    if not limit or limit >= len(data):
        return data
    keep = torch.randperm(len(data), generator=torch.Generator().manual_seed(derive_seed(seed, "limit")))[:limit]
    return data.subset(keep.sort().values)


def load_byol_data(config: ByolConfig, data: str, seed: int) -> ByolData:
    """Embedded: pretrain on the training images of all four domains (labels dropped), the supervised
    backbone on ``digits``, fine-tune on ``label_fraction`` of ``digits-s``, validate on its test split.
    ``limit`` caps the pretraining sets (smoke runs). Course folder: ``mini/train`` (pretraining),
    ``mini/train.csv`` if present (supervised backbone), ``office/{train,val}`` with their CSVs."""
    if data == EMBEDDED:
        domains = {n: d.with_channels(3) for n, d in embedded_domains(
            EMBEDDED_DOMAINS, seed=seed, size=config.image_size, copies=config.copies).items()}
        train = torch.cat([d.train.images for d in domains.values()])
        unlabeled = ImageSet(train, torch.full((len(train),), -1), "all domains/train (unlabeled)")
        supervised, supervised_val = domains[SUPERVISED_DOMAIN].train, domains[SUPERVISED_DOMAIN].test
        target = domains[FINETUNE_DOMAIN]
        classes = [str(d) for d in range(10)]
        finetune_train, val = target.train, target.test
        sources = {"pretraining (unlabeled)": f"train splits of {', '.join(domains)}",
                   "supervised backbone": f"{SUPERVISED_DOMAIN}/train", "fine-tuning": f"{FINETUNE_DOMAIN}/train",
                   "validation": f"{FINETUNE_DOMAIN}/test"}
    else:
        root = Path(data).expanduser()
        root = root / COURSE_SUBFOLDER if (root / COURSE_SUBFOLDER).is_dir() else root
        unlabeled = rgb(load_unlabeled_folder(root / "mini" / "train", size=config.image_size,
                                              limit=config.limit or None))
        supervised = supervised_val = None
        if (root / "mini" / "train.csv").is_file():
            mini_classes = class_names(root / "mini" / "train.csv", root / "mini" / "train")
            supervised = rgb(load_csv_folder(root / "mini" / "train.csv", root / "mini" / "train",
                                             size=config.image_size, classes=mini_classes))
            supervised_val = supervised
        office = root / "office"
        classes = class_names(office / "train.csv", office / "train")
        finetune_train = rgb(load_csv_folder(office / "train.csv", office / "train", size=config.image_size, classes=classes))
        val = rgb(load_csv_folder(office / "val.csv", office / "val", size=config.image_size, classes=classes))
        sources = {"pretraining (unlabeled)": str(root / "mini" / "train"),
                   "supervised backbone": str(root / "mini" / "train.csv") if supervised is not None else "not available",
                   "fine-tuning": str(office / "train"), "validation": str(office / "val")}
    unlabeled = limited(unlabeled, config.limit, seed)
    if supervised is not None:
        supervised = limited(supervised, config.limit, seed)
    labelled = label_subset(finetune_train, config.label_fraction, seed)
    return ByolData(unlabeled, supervised, supervised_val, labelled, val, classes, sources)


def checkpoint_path(out_dir: Path | str, name: str, config: ByolConfig, *, data: str, seed: int, **more) -> Path:
    key = fingerprint({"name": name, "data": data, "seed": seed, "config": as_dict(config), **more})
    return Path(out_dir) / "checkpoints" / f"{name}_{key}.pt"


def random_backbone(config: ByolConfig, seed: int, device: torch.device | str = "cpu") -> nn.Module:
    """The ResNet18 every pretraining starts from (the same weights for the same seed), after a per-image
    contrast normalisation (the street-number digits differ most in colour and contrast) and, with
    ``config.polarity``, the polarity normalisation (dark background); with ``config.gray``, gray images. On
    ``device``."""
    torch.manual_seed(derive_seed(seed, "backbone"))
    return resnet_backbone(config.stem, config.polarity, config.width, config.gray).to(device)


def feature_width(width: int) -> int:
    """The backbone's representation: ResNet18's last stage has 8x the channels of its first (512 at 64)."""
    return 8 * width


def resnet_backbone(stem: str, polarity: bool = False, width: int = 64, gray: bool = False) -> nn.Module:
    """With ``gray``, :class:`Gray`; per-image contrast normalisation (and, with ``polarity``,
    :class:`Polarity`); then ResNet18 for small images without its classifier (``feature_width(width)``-d
    out). The normalisations have no weights: the checkpoint's keys are the same either way."""
    steps = [Gray()] if gray else []
    steps += [Standardize(), Polarity()] if polarity else [Standardize()]
    return nn.Sequential(nn.Sequential(*steps), resnet18_small(3, 0, stem=stem, width=width))


def pretrain_byol(data: ByolData, config: ByolConfig, *, seed: int, device: torch.device,
                  out_dir: Path | str, data_name: str) -> tuple[BYOL, History]:
    """BYOL on the unlabeled images; the history holds the loss and, after each epoch, the std of the
    normalised projections of the validation images (the collapse check)."""
    byol = BYOL(random_backbone(config, seed), feature_width(config.width), config.hidden, config.projection).to(device)
    optimizer = torch.optim.Adam([*byol.online.parameters(), *byol.predictor.parameters()], lr=config.pretrain_lr,
                                 weight_decay=config.weight_decay)
    scheduler = warmup_linear(optimizer, config.warmup_epochs, config.pretrain_epochs)
    views = ViewPairs(data.unlabeled, config.pretrain_batch_size,
                      byol_augmentation(config.image_size, crop_scale=config.crop_scale, hflip=config.hflip,
                                        grayscale=config.grayscale), device)

    def step(batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        loss = byol(*batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        byol.update_target(target_decay(config.tau, progress))
        return {"byol loss": loss.detach()}

    history = fit(step, lambda: views, name="BYOL pretraining", epochs=config.pretrain_epochs,
                  modules={"byol": byol}, optimizers={"adam": optimizer}, schedulers={"lr": scheduler},
                  checkpoint=checkpoint_path(out_dir, "byol", config, data=data_name, seed=seed), seed=seed,
                  on_epoch_end=lambda epoch: {"embedding std": embedding_std(apply(byol.online, data.val, device))})
    return byol, history


class Finetuned(nn.Module):
    """A backbone and a linear classifier; a frozen backbone gets no gradients and stays in evaluation
    mode (its BatchNorm statistics do not move either)."""

    def __init__(self, backbone: nn.Module, features: int, n_classes: int, frozen: bool) -> None:
        super().__init__()
        self.backbone, self.classifier, self.frozen = backbone, nn.Linear(features, n_classes), frozen
        if frozen:
            self.backbone.requires_grad_(False)

    def train(self, mode: bool = True) -> Finetuned:
        super().train(mode)
        if self.frozen:
            self.backbone.eval()
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.backbone(images))


def finetuned_classifier(stem: str, n_classes: int, polarity: bool = False, width: int = 64,
                         gray: bool = False) -> Finetuned:
    """A setting's classifier with fresh weights, the shape its checkpoint's weights load into."""
    return Finetuned(resnet_backbone(stem, polarity, width, gray), feature_width(width), n_classes, frozen=False)


def prediction_record(setting: str, config: ByolConfig, classes: list[str]) -> dict:
    """What ``helpers.predict byol`` needs to rebuild a setting's classifier (:func:`finetuned_classifier`'s
    arguments) and prepare images as the notebook does: size, RGB, and the class names (label ``i`` is
    written as ``classes[i]``, the label text of the training CSV)."""
    return deliverable("byol", modules="model", model=f"setting {setting}", builder="finetuned_classifier",
                       arguments={"stem": config.stem, "n_classes": len(classes), "polarity": config.polarity,
                                  "width": config.width, "gray": config.gray}, image_size=config.image_size,
                       channels=3, classes=list(classes))


def pretrain_supervised(data: ByolData, config: ByolConfig, *, seed: int, device: torch.device,
                        out_dir: Path | str, data_name: str) -> Trained:
    """The supervised backbone: ResNet18 and a linear classifier trained on the labelled pretraining set."""
    n_classes = int(data.supervised.labels.max()) + 1
    model = Finetuned(random_backbone(config, seed), feature_width(config.width), n_classes, frozen=False)
    return train_supervised(model, data.supervised, data.supervised_val, name="supervised pretraining",
                            epochs=config.supervised_epochs, lr=config.finetune_lr, weight_decay=config.weight_decay,
                            warmup_epochs=config.warmup_epochs, batch_size=config.batch_size, device=device,
                            seed=seed, checkpoint=checkpoint_path(out_dir, "supervised", config, data=data_name, seed=seed))


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
    # a linear classifier alone learns with a larger rate (linear evaluation); the full network with the smaller
    return train_supervised(model, data.labelled, data.val, name=f"setting {setting}", epochs=config.finetune_epochs,
                            lr=config.frozen_lr if frozen else config.finetune_lr, weight_decay=config.weight_decay, warmup_epochs=config.warmup_epochs,
                            batch_size=config.batch_size, device=device, seed=seed, parameters=trainable, monitor=False,
                            checkpoint=checkpoint_path(out_dir, f"setting-{setting}", config, data=data_name, seed=seed),
                            deliverable=prediction_record(setting, config, data.classes))

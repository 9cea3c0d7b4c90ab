"""The classification and BYOL notebooks' data: the embedded domains or the course's layouts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from helpers.core.images import Domain, ImageSet
from helpers.core.runtime import derive_seed
from helpers.data import EMBEDDED
from helpers.data.class_folder import class_folder_domain, split_folder
from helpers.data.course import DataLayoutError, course_root
from helpers.data.embedded import EMBEDDED_DOMAINS, embedded_domains
from helpers.data.office import class_names, load_csv_folder, load_unlabeled_folder
from helpers.representation.config import ByolConfig, ClassificationConfig


CLASSIFICATION_SUBFOLDER = "p1_data"  # hw1_data/p1_data/{train_50,val_50}: DATA may name hw1_data or p1_data


def classification_validation(data: str) -> str:
    """The validation folder that ``data`` was loaded from, for the report's example commands (the course's own
    path for the embedded data)."""
    if data == EMBEDDED:
        return f"hw1_data/{CLASSIFICATION_SUBFOLDER}/val_50"
    return str(split_folder(course_root(data, CLASSIFICATION_SUBFOLDER), "test"))


def office_validation_csv(data: str) -> str:
    """Office-Home's validation CSV that ``data`` was loaded from, for the report's example commands (the course's
    own path for the embedded data)."""
    if data == EMBEDDED:
        return f"hw1_data/{BYOL_SUBFOLDER}/office/val.csv"
    return str(course_root(data, BYOL_SUBFOLDER) / "office" / "val.csv")


def load_classification_data(config: ClassificationConfig, data: str, seed: int) -> Domain:
    """The embedded domain (all 1,797 base digits, split by digit), or the course's class folders; the
    domain's test split is the validation set of the tables."""
    if data == EMBEDDED:
        domain = embedded_domains([config.domain], seed=seed, size=config.image_size, copies=config.copies)[config.domain]
    else:
        domain = class_folder_domain(course_root(data, CLASSIFICATION_SUBFOLDER), size=config.image_size)
    if config.train_limit and config.train_limit < len(domain.train):
        generator = torch.Generator().manual_seed(derive_seed(seed, "train_limit"))
        keep = torch.randperm(len(domain.train), generator=generator)[:config.train_limit].sort().values
        domain = Domain(domain.name, domain.train.subset(keep), domain.test)
    return domain


def n_classes(domain: Domain) -> int:
    return int(max(domain.train.labels.max(), domain.test.labels.max())) + 1


BYOL_SUBFOLDER = "p2_data"  # hw1_data/p2_data/{mini,office}: DATA may name hw1_data or p2_data


FINETUNE_DOMAIN = "digits-s"


SUPERVISED_DOMAIN = "digits"


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
    ``mini/train.csv`` if present (supervised backbone; settings B and D stop here without it),
    ``office/{train,val}`` with their CSVs."""
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
        root = course_root(data, BYOL_SUBFOLDER)
        needs_labels = sorted({"B", "D"} & set(config.settings))
        if needs_labels and not (root / "mini" / "train.csv").is_file():  # before any image is read or trained on
            raise DataLayoutError(f"settings {' and '.join(needs_labels)} need a labelled pretraining set: "
                                  f"{root / 'mini' / 'train.csv'} (filename,label) does not exist; without it, run "
                                  f"with settings=['A', 'C', 'E'] (make report NOTEBOOKS=byol "
                                  f"PARAMS='settings=[\"A\",\"C\",\"E\"]')")
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

"""Configuration of the representation-learning notebooks (classification, BYOL), a profile per machine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helpers.core.config import steps_field

# "auto": ImageNet weights when the file is in the torch cache, else from scratch (said in the table);
# "imagenet": the file must be there; "none": from scratch; anything else: the path of a weights file or its folder.
PRETRAINED_CHOICES = ("auto", "imagenet", "none")
SETTINGS = ("A", "B", "C", "D", "E")
# The BYOL notebook's defaults are for the embedded digits; with data=<the course's photos> it applies these:
# no polarity step (photos have no "background"), the paper's grayscale probability and wider crops.
PHOTO_RECIPE = {"polarity": False, "gray": False, "grayscale": 0.2, "crop_scale": 0.3}


@dataclass
class ClassificationConfig:
    """Model A (a CNN from scratch) and model B (ResNet18 adapted to small images) on one labelled set."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(copies=1, train_limit=192, steps_a=9, steps_b=3, widths=(8, 16), hidden=32, tsne_points=100),
        # cpu-lite: for a slower CPU (helpers.core.config.auto_choice), about 0.4x the cpu
        # profile's steps (model A 3 epochs of the embedded digits, model B 1)
        "cpu-lite": dict(steps_a=252, steps_b=84),
        "cpu": dict(),
        "gpu": dict(image_size=32, copies=4, steps_a=1260, steps_b=840, widths=(64, 128), hidden=256,
                    stem="cifar", batch_size=128, tsne_points=2500),
    }

    domain: str = "digits-m"  # embedded data set (with a course folder: its train_50/ and val_50/)
    image_size: int = field(default=28, metadata={"min": 16})
    copies: int = field(default=4, metadata={"min": 1})  # renderings of each embedded base digit
    train_limit: int = field(default=0, metadata={"min": 0})  # 0: every training image
    # model A: the suite's digit CNN, conv widths and the hidden width of its classifier (the features shown)
    widths: tuple[int, ...] = field(default=(32, 64), metadata={"min": 1, "each": True})
    hidden: int = field(default=128, metadata={"min": 2})
    steps_a: int = steps_field(672, epochs="epochs_a")  # 8 epochs of the embedded digits
    epochs_a: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    lr_a: float = field(default=2e-3, metadata={"min": 0.0})
    # model B: torchvision ResNet18; "maxpool" keeps the stem's max-pool (4x cheaper), "cifar" drops it
    stem: str = field(default="maxpool", metadata={"choices": ("maxpool", "cifar")})
    pretrained: str = "auto"
    steps_b: int = steps_field(168, epochs="epochs_b")  # 2 epochs of the embedded digits
    epochs_b: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    lr_b: float = field(default=1e-3, metadata={"min": 0.0})
    batch_size: int = field(default=64, metadata={"min": 2})
    weight_decay: float = field(default=5e-4, metadata={"min": 0.0})
    warmup_epochs: int = field(default=1, metadata={"min": 0})
    tsne_points: int = field(default=800, metadata={"min": 20})


@dataclass
class ByolConfig:
    """BYOL pretraining of a ResNet18 backbone, a supervised backbone, and the five fine-tuning settings."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(copies=1, limit=64, width=8, pretrain_steps=2, supervised_steps=2, finetune_steps=2,
                      pretrain_batch_size=32, hidden=64, projection=32, tsne_points=100),
        # cpu-lite: 0.4x BYOL's steps (10 epochs of the embedded digits), half the supervised and fine-tuning steps
        "cpu-lite": dict(pretrain_steps=420, supervised_steps=63, finetune_steps=60),
        "cpu": dict(),
        "gpu": dict(image_size=32, copies=4, width=64, pretrain_steps=2100, pretrain_batch_size=256,
                    supervised_steps=1260, finetune_steps=400, hidden=4096, projection=256, tau=0.996,
                    tsne_points=2500),
    }

    settings: tuple[str, ...] = field(default=SETTINGS, metadata={"choices": SETTINGS, "each": True})
    image_size: int = field(default=16, metadata={"min": 16})
    copies: int = field(default=2, metadata={"min": 1})
    # "cifar": no max-pool after the stride-1 stem, so 16x16 digits keep 2x2 at the last stage (docs/tuning.md)
    stem: str = field(default="cifar", metadata={"choices": ("maxpool", "cifar")})
    # ResNet18's layout with this many channels in its first stage (64: torchvision's own).
    width: int = field(default=16, metadata={"min": 1})
    limit: int = field(default=0, metadata={"min": 0})  # at most this many pretraining images (0: all)
    # 24 epochs of the embedded digits
    pretrain_steps: int = steps_field(1008, epochs="pretrain_epochs", batch="pretrain_batch_size")
    pretrain_epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    pretrain_batch_size: int = field(default=64, metadata={"min": 4})
    pretrain_lr: float = field(default=2e-3, metadata={"min": 0.0})
    hidden: int = field(default=512, metadata={"min": 2})  # projector and predictor MLPs
    projection: int = field(default=128, metadata={"min": 2})
    tau: float = field(default=0.97, metadata={"min": 0.0, "max": 1.0})  # EMA decay at the start (-> 1)
    # Digits: crops of at least 70% and gray views (the paper's views learnt nothing here: docs/tuning.md);
    # PHOTO_RECIPE holds the paper's values for photos.
    crop_scale: float = field(default=0.7, metadata={"min": 0.05, "max": 1.0})  # smallest random crop area
    grayscale: float = field(default=1.0, metadata={"min": 0.0, "max": 1.0})  # probability of a gray view
    hflip: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})  # digits: a flip changes the class
    supervised_steps: int = steps_field(126, epochs="supervised_epochs")  # 6 epochs of the embedded digits
    supervised_epochs: int | None = field(default=None, metadata={"min": 1})  # set: epochs instead of the steps
    label_fraction: float = field(default=0.1, metadata={"min": 0.001, "max": 1.0})
    finetune_steps: int = steps_field(120, epochs="finetune_epochs")  # 60 epochs of the 69 embedded labels
    finetune_epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    finetune_lr: float = field(default=1e-3, metadata={"min": 0.0})
    # settings D and E train a linear classifier alone, which underfits at finetune_lr (docs/tuning.md)
    frozen_lr: float = field(default=1e-2, metadata={"min": 0.0})
    # digits: negate an image whose border is brighter than its mean, so every digit is light on dark; off for photos
    polarity: bool = True
    # digits: every network reads gray images, as BYOL's views are; off for photos
    gray: bool = True
    batch_size: int = field(default=32, metadata={"min": 2})  # supervised and fine-tuning batches
    weight_decay: float = field(default=5e-4, metadata={"min": 0.0})
    warmup_epochs: int = field(default=1, metadata={"min": 0})
    tsne_points: int = field(default=800, metadata={"min": 20})

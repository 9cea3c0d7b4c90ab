"""Configuration of the representation-learning notebooks (classification, BYOL), a profile per machine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helpers.core.config import steps_field

# "auto": ImageNet weights when the file is in the torch cache, else from scratch (said in the table);
# "imagenet": the file must be there; "none": from scratch; anything else: the path of a weights file.
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
        "cpu": dict(),
        "gpu": dict(image_size=32, copies=4, width=64, pretrain_steps=2100, pretrain_batch_size=256,
                    supervised_steps=1260, finetune_steps=400, hidden=4096, projection=256, tau=0.996,
                    tsne_points=2500),
    }

    settings: tuple[str, ...] = field(default=SETTINGS, metadata={"choices": SETTINGS, "each": True})
    image_size: int = field(default=16, metadata={"min": 16})
    copies: int = field(default=2, metadata={"min": 1})
    # "cifar": no max-pool after the stride-1 stem, so the first stage sees 16x16 and the last 2x2 (with the
    # max-pool 8x8 and 1x1). With width 16 an epoch costs what the max-pool stem's did at width 32, and BYOL
    # keeps 24 epochs of batch 64. Frozen features of digits-s, logistic regression on its 69 labels (and on
    # all 672): random backbone 27% (42%) against 20% (43%) with the max-pool at width 32; after BYOL 34% (59%)
    # against 28% (50%). In the notebook: settings A-E 35/54/55/47/39% against 18/33/21/26/16% before the
    # change of stem, width and gray input.
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
    # Digits: crops of at least 70% of the image and every view gray. With the paper's colour views (grayscale
    # p = 0.2) and crops down to 30%, the features read digits-s no better than a random backbone's (random
    # 22%, BYOL 20%; gray views with crops of at least 60-80%: 37-38% in single runs; the same without the
    # blur: 24%). PHOTO_RECIPE holds the values for photos.
    crop_scale: float = field(default=0.7, metadata={"min": 0.05, "max": 1.0})  # smallest random crop area
    grayscale: float = field(default=1.0, metadata={"min": 0.0, "max": 1.0})  # probability of a gray view
    hflip: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})  # digits: a flip changes the class
    supervised_steps: int = steps_field(126, epochs="supervised_epochs")  # 6 epochs of the embedded digits
    supervised_epochs: int | None = field(default=None, metadata={"min": 1})  # set: epochs instead of the steps
    label_fraction: float = field(default=0.1, metadata={"min": 0.001, "max": 1.0})
    finetune_steps: int = steps_field(120, epochs="finetune_epochs")  # 60 epochs of the 69 embedded labels
    finetune_epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    finetune_lr: float = field(default=1e-3, metadata={"min": 0.0})
    # settings D and E train a linear classifier alone: at finetune_lr it was still underfitting the 69 labelled
    # images after 60 epochs (setting D 80% training accuracy, E 30%); 10x fits them
    frozen_lr: float = field(default=1e-2, metadata={"min": 0.0})
    # digits: negate a standardised image whose border is brighter than its mean (dark background). The
    # street-number digits are dark-on-light or light-on-dark at random; with 69 labels that doubles what a
    # classifier must learn (a linear classifier on the raw gray pixels of digits-s: 14% -> 50%). Turned off
    # for the course's photos.
    polarity: bool = True
    # digits: every network reads gray images (models.Gray), as BYOL's views are; a random backbone's frozen
    # features, logistic regression on the 69 labels: 12% from colour, 21% from gray images. Off for photos.
    gray: bool = True
    batch_size: int = field(default=32, metadata={"min": 2})  # supervised and fine-tuning batches
    weight_decay: float = field(default=5e-4, metadata={"min": 0.0})
    warmup_epochs: int = field(default=1, metadata={"min": 0})
    tsne_points: int = field(default=800, metadata={"min": 20})

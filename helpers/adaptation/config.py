"""Configuration of the domain-adaptation notebooks, with a profile per machine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helpers.adaptation.augment import CHOICES as AUGMENT_CHOICES
from helpers.core.config import steps_field

EMBEDDED_PAIRS = ("digits-m->digits-s", "digits-m->digits-u", "digits-s->digits-m")


@dataclass
class DannConfig:
    """Defaults of the DANN notebook; ``PROFILES`` overrides per profile."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(steps=7, copies=1, widths=(8, 16), hidden=32, tsne_points=150),
        # cpu-lite: for a slower CPU (helpers.core.config.auto_choice), 0.4x the cpu
        # profile's steps (18 epochs of the embedded pairs). At this budget the mixed batch-norm pass lost 2.6 points
        # on average to per-domain, up to 17 on mnistm->usps (docs/tuning.md, "One batch-norm pass for both domains")
        "cpu-lite": dict(steps=252, batch_norm="per-domain"),
        "cpu": dict(),
        "gpu": dict(steps=840, copies=6, widths=(64, 128, 256), padding=2, hidden=1024, batch_size=128),
    }

    pairs: tuple[str, ...] = EMBEDDED_PAIRS
    image_size: int = field(default=28, metadata={"min": 16})
    copies: int = field(default=4, metadata={"min": 1})  # renderings of each embedded base digit
    widths: tuple[int, ...] = field(default=(16, 64), metadata={"min": 1, "each": True})
    padding: int = field(default=0, metadata={"min": 0})
    hidden: int = field(default=100, metadata={"min": 1})
    # optimizer steps of each training (source-only, DANN, target-only): 44 epochs of the embedded pairs
    steps: int = steps_field(616)
    epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    # 128 as the course's reference script: with the augmentation below and batch 64, DANN gained under 1 point
    # over source-only on svhn->mnistm of our course-layout trees, with 128 6.6-6.7 (docs/tuning.md)
    batch_size: int = field(default=128, metadata={"min": 2})
    lr: float = field(default=2e-3, metadata={"min": 0.0})
    weight_decay: float = field(default=5e-4, metadata={"min": 0.0})
    domain_weight: float = field(default=1.0, metadata={"min": 0.0})
    gamma: float = field(default=10.0, metadata={"min": 0.0})  # GRL schedule steepness
    # DANN's batch normalisation: "mixed" passes the source and target batch through the feature extractor
    # together, "per-domain" each on its own (docs/tuning.md, "One batch-norm pass for both domains")
    batch_norm: str = field(default="mixed", metadata={"choices": ("mixed", "per-domain")})
    tsne_points: int = field(default=1000, metadata={"min": 20})  # per t-SNE plot, source + target
    # "image": each input image is contrast-normalised (zero mean, unit deviation) before the first layer
    input_norm: str = field(default="image", metadata={"choices": ("image", "none")})
    # training batches of every method: random rotation, zoom and shift, and a random polarity flip
    # (helpers.adaptation.augment); "none" trains on the images as they are
    augment: str = field(default="affine+invert", metadata={"choices": AUGMENT_CHOICES})
    # the channels a pair trains in: "fewer" averages the colour domain to gray where the other is gray (mnistm->usps:
    # the target has no colour for the source's to transfer to), "more" repeats the gray one to RGB. Gray against RGB
    # on mnistm->usps, 12 runs (two elastic trees x 4 seeds, the embedded pair x 4): source-only +2.5 points on
    # average, ADDA +3.6, DANN +1.4; at cpu-lite's steps (6 runs) +7.6, +4.4, +9.7 (docs/tuning.md, "A pair with a
    # gray domain trains in gray")
    pair_channels: str = field(default="fewer", metadata={"choices": ("fewer", "more")})


@dataclass
class AddaConfig(DannConfig):
    """The ADDA notebook: DANN's settings (same pairs, backbone and budget) plus the adaptation stage
    of ADDA and the entropy weight of DANN + entropy minimisation."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": {**DannConfig.PROFILES["smoke"], "adapt_steps": 7, "discriminator_hidden": 32},
        "cpu-lite": {**DannConfig.PROFILES["cpu-lite"], "adapt_steps": 112},  # 8 epochs of the embedded pairs
        "cpu": {**DannConfig.PROFILES["cpu"]},
        "gpu": {**DannConfig.PROFILES["gpu"], "adapt_steps": 630},
    }

    adapt_steps: int = steps_field(280, epochs="adapt_epochs")  # 20 epochs of the embedded pairs
    adapt_epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    # Adam with beta1 = 0.5 as in the paper (lr 2e-4 there). With the augmented batch-128 recipe, 1e-5 fell below
    # source-only in 5 of 18 runs (2 course-layout trees and the embedded pairs, 2 training seeds) where 1e-4 fell
    # below in 8, and gained 2.0 points on average against 0.8 (docs/tuning.md)
    adapt_lr: float = field(default=1e-5, metadata={"min": 0.0})
    discriminator_hidden: int = field(default=500, metadata={"min": 1})
    entropy_weight: float = field(default=0.1, metadata={"min": 0.0})

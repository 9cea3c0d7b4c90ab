"""What every adaptation method shares: pairs, the backbone, the classifier training step, evaluation."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from helpers.adaptation.config import DannConfig
from helpers.core.config import Budget, budget
from helpers.core.digit_cnn import DigitClassifier, FeatureExtractor, LabelPredictor
from helpers.core.images import Domain
from helpers.data import COURSE_DOMAINS, COURSE_NAME, EMBEDDED, EMBEDDED_DOMAINS, domain_names

ARROW = "->"


def parse_pair(pair: str, valid: tuple[str, ...] | list[str]) -> tuple[str, str]:
    """``'digits-m->digits-s'`` to ``('digits-m', 'digits-s')``, checking both names."""
    parts = pair.split(ARROW)
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"pair {pair!r} must look like 'source->target'")
    for name in parts:
        if name not in valid:
            raise ValueError(f"unknown domain {name!r} in pair {pair!r}; valid choices: {', '.join(valid)}")
    return parts[0], parts[1]


def resolve_pairs(pairs: tuple[str, ...] | list[str], data: str) -> list[tuple[str, str]]:
    """Parse the configured pairs; with course data, embedded names become the course's (digits-m -> mnistm)."""
    valid = EMBEDDED_DOMAINS if data == EMBEDDED else (*COURSE_DOMAINS, *COURSE_NAME)
    return [tuple(domain_names(data, parse_pair(p, valid))) for p in pairs]


@dataclass
class DomainPair:
    """Source and target of one adaptation task, with as many channels as the more colourful one."""

    source: Domain
    target: Domain

    @property
    def name(self) -> str:
        return f"{self.source.name}{ARROW}{self.target.name}"

    def budget(self, config: DannConfig, steps_field: str = "steps") -> Budget:
        """The budget of a training on this pair's paired batches: an epoch is a pass over the source, and the batch
        fits the smaller of the two training sets."""
        return budget(config, steps_field, len(self.source.train), batch_limit=len(self.target.train), label=self.name)

    @classmethod
    def of(cls, source: Domain, target: Domain, channels: str = "fewer") -> DomainPair:
        """The pair in the ``channels`` of its two domains: "fewer" (a colour domain beside a gray one averaged to
        gray) or "more" (the gray one repeated to RGB)."""
        if channels not in ("fewer", "more"):
            raise ValueError(f"channels={channels!r}; valid choices: fewer, more")
        count = (min if channels == "fewer" else max)(source.train.channels, target.train.channels)
        return cls(source.with_channels(count), target.with_channels(count))

    @property
    def channels(self) -> int:
        return self.source.train.channels


def model_settings(config: DannConfig, pair: DomainPair) -> dict:
    """The prediction record's settings (helpers.predict): the pair, what rebuilds the classifier, and
    how the notebook's loader prepares an image (decoded at ``image_size`` x ``image_size`` by
    helpers.data.course.decode, gray repeated to RGB or RGB averaged to gray to ``channels``, uint8 mapped
    to ``pixel_range``; ``input_norm`` "image" standardises each image inside the feature extractor)."""
    return {"pair": pair.name, "source": pair.source.name, "target": pair.target.name,
            "image_size": config.image_size, "channels": pair.channels, "pixel_range": [-1, 1],
            "input_norm": config.input_norm, "widths": list(config.widths), "padding": config.padding,
            "hidden": config.hidden}


def feature_extractor(config: DannConfig, channels: int) -> FeatureExtractor:
    return FeatureExtractor(channels, config.widths, config.padding, config.image_size,
                            standardize=config.input_norm == "image")


def digit_classifier(config: DannConfig, channels: int) -> DigitClassifier:
    features = feature_extractor(config, channels)
    return DigitClassifier(features, LabelPredictor(features.out_features, config.hidden))


def annealed_lr(optimizer: torch.optim.Optimizer, base_lr: float, progress: float) -> None:
    """Cosine annealing from lr0 to 0 over training, set from progress p: lr = lr0 (1 + cos(pi p)) / 2.
    (The DANN paper's lr0 / (1 + 10 p)^0.75 still has a sixth of lr0 at the end, and with these short
    runs the adversarial game then keeps moving: the last epochs' target accuracy jumps by 0.1-0.4.)"""
    for group in optimizer.param_groups:
        group["lr"] = base_lr * 0.5 * (1.0 + math.cos(math.pi * progress))


def classification_step(model: nn.Module, optimizer: torch.optim.Optimizer, base_lr: float):
    """A supervised step on ``(images, labels)`` batches: cross-entropy, Adam, annealed learning rate."""

    def step(batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        images, labels = batch
        annealed_lr(optimizer, base_lr, progress)
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"class": loss.detach()}

    return step

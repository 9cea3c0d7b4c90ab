"""DANN: Domain-Adversarial Training of Neural Networks (Ganin & Lempitsky 2015, Ganin et al. 2016).

The feature extractor learns to classify source digits while a domain classifier, behind a gradient
reversal layer, tries to tell source features from target features; the reversed gradient pushes the
features to be indistinguishable across domains. lambda ramps from 0 to 1 with the paper's schedule.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from helpers.adaptation.augment import training_augmentation
from helpers.adaptation.common import DomainPair, annealed_lr, feature_extractor, model_settings
from helpers.adaptation.config import DannConfig
from helpers.adaptation.networks import DANN, DomainClassifier, grl_lambda
from helpers.core.digit_cnn import LabelPredictor
from helpers.core.evaluation import accuracy
from helpers.core.runtime import place
from helpers.core.training import History, fit
from helpers.data.batches import PairedBatches
from helpers.deliverables.record import deliverable


def build_dann(config: DannConfig, channels: int) -> DANN:
    features = feature_extractor(config, channels)
    return DANN(features, LabelPredictor(features.out_features, config.hidden),
                DomainClassifier(features.out_features, config.hidden))


def prediction_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Mean Shannon entropy of the softmax predictions (nats)."""
    return -(F.softmax(logits, dim=1) * F.log_softmax(logits, dim=1)).sum(1).mean()


def dann_step(model: DANN, optimizer: torch.optim.Optimizer, config: DannConfig, entropy_weight: float = 0.0):
    """One step on a labelled source batch and an unlabelled target batch. With ``entropy_weight`` > 0
    the mean entropy of the target predictions is minimised too (DANN + entropy minimisation), ramped
    up with the same schedule as lambda so that the early, random predictions are not reinforced."""

    def step(batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        source, labels, target = batch
        lambda_ = model.domain_classifier.reversal.lambda_ = grl_lambda(progress, config.gamma)
        annealed_lr(optimizer, config.lr, progress)
        if config.batch_norm == "mixed":
            # One pass over a mixed batch of both domains: batch normalisation uses the mixture's
            # statistics while training, which is what its running statistics hold when the model is evaluated.
            features = model.feature_extractor(torch.cat([source, target]))
            source_features, target_features = features[:len(source)], features[len(source):]
        else:  # "per-domain": each domain its own batch statistics while training, the mixture's at evaluation
            source_features, target_features = model.feature_extractor(source), model.feature_extractor(target)
            features = torch.cat([source_features, target_features])
        class_loss = F.cross_entropy(model.label_predictor(source_features), labels)
        domains = torch.cat([torch.zeros(len(source), dtype=torch.long, device=source.device),  # made on the device:
                             torch.ones(len(target), dtype=torch.long, device=source.device)])  # no copy a step
        domain_loss = F.cross_entropy(model.domain_classifier(features), domains)
        loss = class_loss + config.domain_weight * domain_loss
        losses = {"class": class_loss.detach(), "domain": domain_loss.detach()}
        if entropy_weight > 0:
            entropy = prediction_entropy(model.label_predictor(target_features))
            loss = loss + entropy_weight * lambda_ * entropy
            losses["entropy"] = entropy.detach()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return losses

    return step


def train_dann(pair: DomainPair, config: DannConfig, *, name: str, checkpoint: Path | None, seed: int,
               device: torch.device, entropy_weight: float = 0.0) -> tuple[DANN, History]:
    torch.manual_seed(seed)
    model = place(build_dann(config, pair.channels), device)
    # beta1 = 0.5, as usual for adversarial games: with 0.9 the domain loss swings and the target
    # accuracy with it.
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                 betas=(0.5, 0.999))
    length = pair.budget(config)
    batches = PairedBatches(pair.source.train, pair.target.train, length.batch_size, device,
                            transform=training_augmentation(config.augment))
    # DANN is the course's deliverable; DANN + entropy minimisation (the ADDA notebook's extra row) is not.
    record = deliverable("dann", modules="model", **model_settings(config, pair)) if entropy_weight == 0 else None
    history = fit(dann_step(model, optimizer, config, entropy_weight), lambda: batches, name=name, epochs=length.epochs,
                  max_steps=length.max_steps, modules={"model": model}, optimizers={"adam": optimizer},
                  checkpoint=checkpoint, seed=seed,
                  on_epoch_end=lambda epoch: {"target accuracy": accuracy(model, pair.target.test, device)},
                  deliverable=record)
    return model, history

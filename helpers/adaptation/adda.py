"""ADDA: Adversarial Discriminative Domain Adaptation (Tzeng et al., CVPR 2017).

1. Pre-train a source encoder and classifier on the labelled source (the source-only model).
2. Initialise a target encoder from the source encoder. With the source encoder frozen, alternate:
   the discriminator learns to tell source features (label 1) from target features (label 0); the
   target encoder learns to fool it, trained with the *inverted* label (its features labelled source).
3. Classify target images with the target encoder and the source classifier.
"""
from __future__ import annotations

import copy
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from helpers.adaptation.augment import training_augmentation
from helpers.adaptation.common import DomainPair, model_settings
from helpers.adaptation.config import AddaConfig
from helpers.adaptation.source_only import train_source_only
from helpers.core.checkpoint import load_checkpoint, save_checkpoint
from helpers.core.digit_cnn import DigitClassifier
from helpers.core.evaluation import accuracy
from helpers.core.training import History, fit
from helpers.data.batches import PairedBatches
from helpers.deliverables.record import deliverable

SOURCE, TARGET = 1, 0


class AddaDiscriminator(nn.Sequential):
    """The paper's discriminator: two hidden layers of ``hidden`` units with ReLU, then source/target logits."""

    def __init__(self, in_features: int, hidden: int = 500) -> None:
        super().__init__(nn.Linear(in_features, hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 2))


def adda_step(source_encoder: nn.Module, target_encoder: nn.Module, discriminator: nn.Module,
              d_optimizer: torch.optim.Optimizer, t_optimizer: torch.optim.Optimizer):
    """One discriminator update, then one target-encoder update with inverted labels."""

    def step(batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        source, _, target = batch
        source_encoder.eval()  # frozen: no gradient, no batch-norm statistics update
        with torch.no_grad():
            source_features = source_encoder(source)
        target_features = target_encoder(target)

        source_labels = torch.full((len(source),), SOURCE, dtype=torch.long, device=source.device)
        target_labels = torch.full((len(target),), TARGET, dtype=torch.long, device=target.device)
        d_loss = (F.cross_entropy(discriminator(source_features), source_labels)
                  + F.cross_entropy(discriminator(target_features.detach()), target_labels))
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()

        inverted = torch.full((len(target),), SOURCE, dtype=torch.long, device=target.device)
        t_loss = F.cross_entropy(discriminator(target_features), inverted)
        t_optimizer.zero_grad(set_to_none=True)
        t_loss.backward()
        t_optimizer.step()
        return {"discriminator": d_loss.detach(), "target encoder": t_loss.detach()}

    return step


class AddaModel(DigitClassifier):
    """The adapted classifier: target encoder + source label predictor (what is evaluated), with the
    frozen source encoder and the discriminator kept beside it for inspection."""

    def __init__(self, source_encoder: nn.Module, target_encoder: nn.Module, label_predictor: nn.Module,
                 discriminator: nn.Module) -> None:
        super().__init__(target_encoder, label_predictor)
        self.source_encoder = source_encoder
        self.discriminator = discriminator


def keep_label_predictor(checkpoint: Path | None, label_predictor: nn.Module) -> None:
    """A checkpoint written before the label predictor was saved beside the target encoder gets it added
    (it is the frozen source classifier, so this is exactly what training used)."""
    if checkpoint is None or not checkpoint.exists():
        return
    state = load_checkpoint(checkpoint)
    if "label_predictor" not in state["modules"]:
        state["modules"]["label_predictor"] = label_predictor.state_dict()
        save_checkpoint(state, checkpoint)


def train_adda(pair: DomainPair, config: AddaConfig, *, name: str, checkpoint: Path | None, seed: int,
               device: torch.device, source_model: DigitClassifier | None = None) -> tuple[AddaModel, History]:
    """Step 1 is the source-only model: pass ``source_model`` when it is already trained with the same
    settings (the notebook's source-only row), else it is trained here."""
    source_history: History = {}
    if source_model is None:
        source_checkpoint = None if checkpoint is None else checkpoint.with_name(f"{checkpoint.stem}-source.pt")
        source_model, source_history = train_source_only(pair, config, name=f"{name} (source pre-training)",
                                                         checkpoint=source_checkpoint, seed=seed, device=device)
    source_model = copy.deepcopy(source_model)  # the caller's model stays as it was
    source_encoder = source_model.feature_extractor.requires_grad_(False).eval()
    target_encoder = copy.deepcopy(source_encoder).requires_grad_(True)
    label_predictor = source_model.label_predictor.requires_grad_(False).eval()
    torch.manual_seed(seed)
    discriminator = AddaDiscriminator(source_encoder.out_features, config.discriminator_hidden).to(device)
    model = AddaModel(source_encoder, target_encoder, label_predictor, discriminator)

    betas = (0.5, 0.999)
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=config.adapt_lr, betas=betas)
    t_optimizer = torch.optim.Adam(target_encoder.parameters(), lr=config.adapt_lr, betas=betas)
    length = pair.budget(config, "adapt_steps")
    batches = PairedBatches(pair.source.train, pair.target.train, length.batch_size, device,
                            transform=training_augmentation(config.augment))
    # The deliverable is the target encoder with the source classifier: both go into the checkpoint.
    keep_label_predictor(checkpoint, label_predictor)
    record = deliverable("adda", modules=["target_encoder", "label_predictor"], **model_settings(config, pair))
    history = fit(adda_step(source_encoder, target_encoder, discriminator, d_optimizer, t_optimizer),
                  lambda: batches, name=name, epochs=length.epochs, max_steps=length.max_steps,
                  modules={"target_encoder": target_encoder, "discriminator": discriminator,
                           "label_predictor": label_predictor},
                  optimizers={"discriminator": d_optimizer, "target_encoder": t_optimizer},
                  checkpoint=checkpoint, seed=seed,
                  on_epoch_end=lambda epoch: {"target accuracy": accuracy(model, pair.target.test, device)},
                  deliverable=record)
    source_encoder.eval()
    return model, {**{f"pre-training {k}": v for k, v in source_history.items()}, **history}

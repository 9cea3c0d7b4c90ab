"""ACGAN (Odena et al., 2017): the generator draws an image of a requested class; the discriminator
says real/fake and, with an auxiliary head, which class. Both networks also minimise the class loss."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.nn import functional as F

from helpers.core.checkpoint import checkpoint_path
from helpers.core.config import budget
from helpers.core.images import ImageSet, as_uint8, to_float
from helpers.core.runtime import derive_seed, place
from helpers.core.training import History, fit
from helpers.data.batches import Batches
from helpers.gans.config import AcganConfig
from helpers.gans.losses import dcgan_d_loss, dcgan_g_loss
from helpers.gans.methods import sample
from helpers.gans.networks import Discriminator, Generator, init_weights


@dataclass
class Acgan:
    generator: Generator
    discriminator: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    n_classes: int
    aux_weight: float = 1.0
    aux_on_generated: bool = False
    name: str = field(default="acgan")

    def step(self, batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        real, labels = batch
        z = torch.randn(len(real), self.generator.z_dim, device=real.device)
        wanted = torch.randint(0, self.n_classes, (len(real),), device=real.device)
        fake = self.generator(z, wanted)

        real_score, real_class = self.discriminator(real)
        fake_score, fake_class = self.discriminator(fake.detach())
        d_aux = F.cross_entropy(real_class, labels)
        if self.aux_on_generated:  # the paper's discriminator also learns the requested class of generated images
            d_aux = d_aux + F.cross_entropy(fake_class, wanted)
        d_loss = dcgan_d_loss(real_score, fake_score) + self.aux_weight * d_aux
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        fake_score, fake_class = self.discriminator(fake)
        g_aux = F.cross_entropy(fake_class, wanted)
        g_loss = dcgan_g_loss(fake_score) + self.aux_weight * g_aux
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(), "aux_loss_real": F.cross_entropy(
            real_class.detach(), labels), "aux_loss_generated": g_aux.detach()}

    @torch.no_grad()
    def aux_predictions(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """The auxiliary head's class for float images in [-1, 1]."""
        self.discriminator.eval()
        device = next(self.discriminator.parameters()).device
        return torch.cat([self.discriminator(images[i:i + batch_size].to(device))[1].argmax(1).cpu()
                          for i in range(0, len(images), batch_size)])


def build_acgan(config: AcganConfig, channels: int, n_classes: int, device: torch.device | str) -> Acgan:
    if n_classes < 2:
        raise ValueError(f"ACGAN needs at least two classes; the data have {n_classes}")
    generator = place(Generator(config.image_size, channels, config.width, config.z_dim, n_classes=n_classes), device)
    discriminator = place(Discriminator(config.image_size, channels, config.width, "batch", n_classes=n_classes), device)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    return Acgan(generator, discriminator,
                 torch.optim.Adam(generator.parameters(), lr=config.lr, betas=(0.5, 0.999)),
                 torch.optim.Adam(discriminator.parameters(), lr=config.lr, betas=(0.5, 0.999)),
                 n_classes, config.aux_weight, config.aux_on_generated)


def acgan_checkpoint(checkpoint_dir: Path | str, config: AcganConfig, seed: int, train: ImageSet, n_classes: int) -> Path:
    """Where :func:`run_acgan` saves and resumes, named by the settings and by the training images and their labels
    (``ImageSet.digest``): a face folder conditioned on another attribute has other labels, so it trains anew."""
    return checkpoint_path(checkpoint_dir, "acgan", config=config, seed=seed, data=train.name, contents=train.digest(),
                           n=len(train), classes=n_classes)


def run_acgan(acgan: Acgan, train: ImageSet, config: AcganConfig, *, device: torch.device | str, seed: int,
              checkpoint_dir: Path | str, deliverable: dict | None = None) -> tuple[History, Path]:
    """Train with the shared loop (checkpoints, resume); the loss history and the checkpoint, which
    carries ``deliverable`` (:func:`helpers.gans.deliverable.acgan_record`) for ``helpers.predict``."""
    checkpoint = acgan_checkpoint(checkpoint_dir, config, seed, train, acgan.n_classes)
    length = budget(config, "steps", len(train))
    batches = Batches(train, length.batch_size, device)
    history = fit(acgan.step, lambda: batches, name="acgan", epochs=length.epochs, max_steps=length.max_steps,
                  modules={"generator": acgan.generator, "discriminator": acgan.discriminator},
                  optimizers={"generator": acgan.opt_g, "discriminator": acgan.opt_d},
                  checkpoint=checkpoint, seed=derive_seed(seed, "acgan"), deliverable=deliverable)
    return history, checkpoint


@torch.no_grad()
def same_noise_grid(generator: Generator, n_classes: int, rows: int, seed: int) -> torch.Tensor:
    """``rows`` noise vectors, each drawn under every class: images ordered row by row, so that a grid with
    ``n_classes`` per row shows one noise vector per row and one class per column."""
    labels = torch.arange(n_classes).repeat(rows)
    noise = torch.randn(rows, generator.z_dim, generator=torch.Generator().manual_seed(seed))
    noise = noise.repeat_interleave(n_classes, 0)
    generator.eval()
    device = next(generator.parameters()).device
    return generator(noise.to(device), labels.to(device)).cpu()


def class_balanced_samples(generator: Generator, n_classes: int, per_class: int, seed: int, batch_size: int = 500
                           ) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` images of every class (float, [-1, 1], 8-bit as a written PNG holds them, so that the notebook
    grades what ``helpers.predict acgan`` writes) and the labels they were asked for."""
    labels = torch.arange(n_classes).repeat_interleave(per_class)
    return to_float(as_uint8(sample(generator, len(labels), seed=seed, labels=labels, batch_size=batch_size))), labels

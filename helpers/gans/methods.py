"""The four GAN methods: their networks, optimizers and one training step each, trained by
:func:`helpers.core.training.fit` (progress, loss history, atomic checkpoints, resume)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from helpers.core.ema import WeightAverage
from helpers.core.runtime import place
from helpers.core.training import History, fit
from helpers.data.batches import Batches
from helpers.gans import losses as losses
from helpers.gans.config import GAN_METHODS, GanConfig
from helpers.gans.networks import Discriminator, Generator, init_weights


def check_method(method: str) -> None:
    if method not in GAN_METHODS:
        raise ValueError(f"unknown GAN method {method!r}; valid choices: {', '.join(GAN_METHODS)}")


@dataclass
class Gan:
    """A GAN being trained: networks, their optimizers and the losses of its method."""

    method: str
    generator: Generator
    discriminator: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]
    n_critic: int = 1
    clip: float | None = None
    gp_weight: float = 0.0
    info_weight: float = 0.0  # InfoGAN's term; needs a generator with a code and a discriminator with its head
    ema: WeightAverage | None = None  # moving average of the generator's weights, updated after each of its steps
    bf16: bool = False  # forward passes under bfloat16 autocast (GanConfig.bf16); weights and losses stay float32
    steps: int = field(default=0, init=False)  # training steps so far: train_gan sets it to the step index each epoch

    @property
    def sampler(self) -> Generator:
        """The generator that draws the samples: the moving average when there is one."""
        return self.ema.module if self.ema is not None else self.generator

    def noise(self, n: int, device: torch.device | str | None = None) -> torch.Tensor:
        return torch.randn(n, self.generator.z_dim, device=device or next(self.generator.parameters()).device)

    def scores(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The discriminator's real/fake scores, and its logits of the latent code when the GAN has one, in float32
        (so the losses are computed in float32 under autocast too)."""
        out = self.discriminator(images)
        score, code_logits = out if isinstance(out, tuple) else (out, None)
        return score.float(), None if code_logits is None else code_logits.float()

    def autocast(self, device: torch.device) -> torch.autocast:
        """The forward passes' precision: bfloat16 autocast when ``bf16``, else float32."""
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def info(self, code_logits: torch.Tensor | None, z: torch.Tensor) -> torch.Tensor | float:
        """InfoGAN's weighted term for generated images from noise ``z`` (0 without a code)."""
        if not self.info_weight:
            return 0.0
        return self.info_weight * losses.info_loss(code_logits, self.generator.code_of(z))

    def step(self, batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        """One critic/discriminator step on a real batch; every ``n_critic``-th step a generator step too."""
        real, _ = batch
        z = self.noise(len(real))
        generator_step = (self.steps + 1) % self.n_critic == 0
        with self.autocast(real.device):
            # The generator step reuses these images (as the PyTorch DCGAN example does): one generator forward
            # pass a step instead of two, about a tenth of the step's cost at 32x32.
            with torch.set_grad_enabled(generator_step):
                fake = self.generator(z)
            (real_score, _), (fake_score, fake_code) = self.scores(real), self.scores(fake.detach())
            d_loss = self.d_loss(real_score, fake_score) + self.info(fake_code, z)
            if self.gp_weight:
                d_loss = d_loss + self.gp_weight * losses.gradient_penalty(lambda x: self.scores(x)[0], real,
                                                                           fake.detach())
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        if self.clip is not None:
            losses.clip_weights(self.discriminator, self.clip)
        self.steps += 1
        out = {"d_loss": d_loss.detach()}
        if generator_step:
            with self.autocast(real.device):
                fake_score, fake_code = self.scores(fake)
                g_loss = self.g_loss(fake_score) + self.info(fake_code, z)
            self.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            self.opt_g.step()
            if self.ema is not None:
                self.ema.update_parameters(self.generator)
            out["g_loss"] = g_loss.detach()
        return out


def build_gan(method: str, config: GanConfig, channels: int, device: torch.device | str) -> Gan:
    """Networks and optimizers of ``method`` with the settings of its paper, except where :class:`GanConfig`
    says why not (batch size, the generator's learning rate, WGAN-GP's critic steps, the weight average, the
    latent code)."""
    check_method(method)
    norm = {"dcgan": "batch", "wgan": "batch", "wgan-gp": "layer", "sngan": "spectral"}[method]
    code = config.latent_code
    layout = {"channels_last": not config.bf16}  # measured faster in float32 only (helpers.core.runtime.place)
    generator = place(Generator(config.image_size, channels, config.width, config.z_dim, code=code), device, **layout)
    discriminator = place(Discriminator(config.image_size, channels, config.width, norm, n_classes=code), device, **layout)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    # batch-norm statistics averaged too; the warm-up keeps the first epoch's average off the untrained weights
    ema = WeightAverage(generator, config.ema_decay, warmup=True, buffers=True) if config.ema_decay else None
    info_weight = config.info_weight if code else 0.0
    if method == "wgan":
        return Gan(method, generator, discriminator,
                   torch.optim.RMSprop(generator.parameters(), lr=config.wgan_lr),
                   torch.optim.RMSprop(discriminator.parameters(), lr=config.wgan_lr),
                   losses.wasserstein_d_loss, losses.wasserstein_g_loss, n_critic=config.n_critic, clip=config.wgan_clip,
                   info_weight=info_weight, ema=ema, bf16=config.bf16)
    if method == "wgan-gp":
        lr = config.wgan_gp_lr
        return Gan(method, generator, discriminator,
                   torch.optim.Adam(generator.parameters(), lr=lr * config.g_lr_ratio, betas=(0.5, 0.9)),
                   torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.9)),
                   losses.wasserstein_d_loss, losses.wasserstein_g_loss, n_critic=config.wgan_gp_n_critic,
                   gp_weight=config.gp_weight, info_weight=info_weight, ema=ema, bf16=config.bf16)
    lr = config.dcgan_lr if method == "dcgan" else config.sngan_lr
    d_loss = losses.dcgan_d_loss if method == "dcgan" else losses.hinge_d_loss
    g_loss = losses.dcgan_g_loss if method == "dcgan" else losses.wasserstein_g_loss  # SNGAN: -E[D(G(z))]
    return Gan(method, generator, discriminator,
               torch.optim.Adam(generator.parameters(), lr=lr * config.g_lr_ratio, betas=(0.5, 0.999)),
               torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999)), d_loss, g_loss,
               info_weight=info_weight, ema=ema, bf16=config.bf16)


def train_gan(gan: Gan, batches: Batches, *, epochs: int, checkpoint: Path | None, seed: int,
              on_epoch_end: Callable[[int], dict[str, float] | None] | None = None,
              deliverable: Mapping | None = None, progress: bool = True, max_steps: int | None = None) -> History:
    """Train ``gan`` with the shared loop; a killed run resumes from its last checkpoint. ``deliverable`` (the
    record of :func:`helpers.gans.deliverable.gan_record`) goes into every checkpoint; ``max_steps`` ends the last
    epoch early (:func:`helpers.core.training.fit`)."""
    modules = {"generator": gan.generator, "discriminator": gan.discriminator}
    if gan.ema is not None:
        modules["ema"] = gan.ema

    def start_epoch(epoch: int) -> None:
        # The step count (which steps train the generator under n_critic) is the step index, so that a run
        # resumed from epoch ``epoch`` takes the generator steps an uninterrupted run takes.
        gan.steps = epoch * len(batches)

    return fit(gan.step, lambda: batches, name=gan.method, epochs=epochs, modules=modules,
               optimizers={"generator": gan.opt_g, "discriminator": gan.opt_d},
               checkpoint=checkpoint, seed=seed, on_epoch_start=start_epoch, on_epoch_end=on_epoch_end,
               deliverable=deliverable, progress=progress, max_steps=max_steps)


@torch.no_grad()
def sample(generator: torch.nn.Module, n: int, *, seed: int, labels: torch.Tensor | None = None,
           batch_size: int = 500) -> torch.Tensor:
    """``n`` images in [-1, 1] from noise fixed by ``seed`` (the same noise for every method), in
    evaluation mode (batch norm uses its running statistics)."""
    device = next(generator.parameters()).device
    noise = torch.randn(n, generator.z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    generator.eval()
    chunks = []
    for start in range(0, n, batch_size):
        extra = () if labels is None else (labels[start:start + batch_size].to(device),)
        chunks.append(generator(noise[start:start + batch_size], *extra).cpu())
    return torch.cat(chunks)

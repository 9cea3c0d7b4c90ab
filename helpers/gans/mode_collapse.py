"""A GAN configuration that collapses, and its mitigation with the same networks, optimizer, learning
rates and steps."""
from __future__ import annotations

import torch

from helpers.core.runtime import place
from helpers.gans import losses as losses
from helpers.gans.config import GanConfig
from helpers.gans.methods import Gan
from helpers.gans.networks import Discriminator, Generator, init_weights

COLLAPSE_RUNS = ("collapsed", "mitigated")


def collapse_gan(name: str, config: GanConfig, channels: int, device: torch.device | str) -> Gan:
    """``collapsed``: the original minimax GAN (saturating generator loss log(1 - D(G(z)))) against a
    spectrally normalised discriminator that learns ``collapse_d_lr_ratio`` times faster than the
    generator. ``mitigated``: the same networks, Adam settings and steps with the WGAN-GP objective
    (Wasserstein loss + gradient penalty), whose generator gradient does not vanish when the critic wins."""
    if name not in COLLAPSE_RUNS:
        raise ValueError(f"unknown mode-collapse run {name!r}; valid choices: {', '.join(COLLAPSE_RUNS)}")
    torch.manual_seed(0)  # both start from the same networks
    layout = {"channels_last": not config.bf16}  # measured faster in float32 only (helpers.core.runtime.place)
    generator = place(Generator(config.image_size, channels, config.width, config.z_dim), device, **layout)
    discriminator = place(Discriminator(config.image_size, channels, config.width, "spectral"), device, **layout)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    optimizers = (torch.optim.Adam(generator.parameters(), lr=config.dcgan_lr, betas=(0.5, 0.999)),
                  torch.optim.Adam(discriminator.parameters(), lr=config.dcgan_lr * config.collapse_d_lr_ratio,
                                   betas=(0.5, 0.999)))
    if name == "collapsed":
        return Gan("dcgan", generator, discriminator, *optimizers, losses.dcgan_d_loss, losses.saturating_g_loss,
                   bf16=config.bf16)
    return Gan("wgan-gp", generator, discriminator, *optimizers, losses.wasserstein_d_loss,
               losses.wasserstein_g_loss, gp_weight=config.gp_weight, bf16=config.bf16)

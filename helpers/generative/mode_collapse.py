"""A GAN configuration that collapses onto a few modes, and its mitigation with the same optimizer,
learning rates and steps."""
from __future__ import annotations

import torch

from helpers.generative import gan_losses as losses
from helpers.generative.config import GanConfig
from helpers.generative.gan_methods import Gan
from helpers.generative.gan_models import Discriminator, Generator, init_weights


def collapse_gans(config: GanConfig, channels: int, device: torch.device | str) -> dict[str, Gan]:
    """``collapsed``: DCGAN whose generator learns ``collapse_g_lr_ratio`` times faster than its
    discriminator, so that it keeps jumping to whatever few images fool the current discriminator;
    ``mitigated``: the same with a minibatch standard-deviation channel in the discriminator."""
    gans = {}
    for name, minibatch_std in (("collapsed", False), ("mitigated", True)):
        torch.manual_seed(0)
        generator = Generator(config.image_size, channels, config.width, config.z_dim).to(device)
        discriminator = Discriminator(config.image_size, channels, config.width, "batch",
                                      minibatch_std=minibatch_std).to(device)
        generator.apply(init_weights)
        discriminator.apply(init_weights)
        gans[name] = Gan(
            "dcgan", generator, discriminator,
            torch.optim.Adam(generator.parameters(), lr=config.dcgan_lr * config.collapse_g_lr_ratio,
                             betas=(0.5, 0.999)),
            torch.optim.Adam(discriminator.parameters(), lr=config.dcgan_lr, betas=(0.5, 0.999)),
            losses.dcgan_d_loss, losses.dcgan_g_loss)
    return gans

"""The four GAN objectives as plain functions of discriminator scores, plus the WGAN-GP penalty and the
WGAN weight clipping: each is a few lines to read beside its paper."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def dcgan_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Goodfellow et al. 2014: binary cross-entropy, real -> 1, fake -> 0 (scores are logits)."""
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def dcgan_g_loss(fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss: -log D(G(z))."""
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def wasserstein_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Arjovsky et al. 2017: the critic maximises E[D(real)] - E[D(fake)]; we minimise its negative."""
    return fake.mean() - real.mean()


def wasserstein_g_loss(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def hinge_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Miyato et al. 2018 (SNGAN): E[relu(1 - D(real))] + E[relu(1 + D(fake))]."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Gulrajani et al. 2017: E[(||grad_x D(x)||_2 - 1)^2] at random points x between real and fake."""
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


@torch.no_grad()
def clip_weights(critic: nn.Module, bound: float) -> None:
    """WGAN's Lipschitz constraint: every critic parameter clamped to [-bound, bound] after each step."""
    for parameter in critic.parameters():
        parameter.clamp_(-bound, bound)


def info_loss(code_logits: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """InfoGAN (Chen et al. 2016): the cross-entropy of the Q head recovering the latent code of generated
    images, a lower bound (up to a constant) of minus their mutual information; both networks minimise it."""
    return F.cross_entropy(code_logits, code)


"""Configuration of the GAN notebooks, with a profile per machine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

GAN_METHODS = ("dcgan", "wgan", "wgan-gp", "sngan")


@dataclass
class GanConfig:
    """Defaults of the GAN notebook. Every method trains for the same number of epochs over the same
    images (the discriminator or critic sees each real image once per epoch; WGAN and WGAN-GP update the
    generator once every ``n_critic`` critic steps, as in their papers)."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(epochs=1, copies=1, width=8, eval_samples=200, collapse_epochs=1),
        "cpu": dict(),
        "gpu": dict(image_size=64, width=64, epochs=60, copies=8, eval_samples=1000, collapse_epochs=60),
    }

    methods: tuple[str, ...] = field(default=GAN_METHODS, metadata={"choices": GAN_METHODS, "each": True})
    image_size: int = field(default=32, metadata={"choices": (8, 16, 32, 64, 128)})
    width: int = field(default=32, metadata={"min": 1})  # channels of the generator's last / critic's first layer
    z_dim: int = field(default=100, metadata={"min": 1})
    copies: int = field(default=3, metadata={"min": 1})  # renderings of each embedded base digit
    epochs: int = field(default=14, metadata={"min": 1})
    batch_size: int = field(default=64, metadata={"min": 2})
    dcgan_lr: float = field(default=2e-4, metadata={"min": 0.0})    # Adam(0.5, 0.999), Radford et al.
    wgan_lr: float = field(default=5e-5, metadata={"min": 0.0})     # RMSProp, Arjovsky et al.
    wgan_clip: float = field(default=0.01, metadata={"min": 0.0})
    wgan_gp_lr: float = field(default=1e-4, metadata={"min": 0.0})  # Adam(0.5, 0.9), Gulrajani et al.
    gp_weight: float = field(default=10.0, metadata={"min": 0.0})
    sngan_lr: float = field(default=2e-4, metadata={"min": 0.0})    # Adam(0.5, 0.999), hinge loss
    n_critic: int = field(default=5, metadata={"min": 1})           # critic steps per generator step (WGANs)
    eval_samples: int = field(default=1000, metadata={"min": 10})   # generated images graded per method
    # Mode collapse: the saturating minimax loss against a spectrally normalised discriminator that learns
    # collapse_d_lr_ratio times faster; the mitigation swaps in the WGAN-GP objective (helpers/generative/mode_collapse.py).
    collapse_epochs: int = field(default=3, metadata={"min": 1})
    collapse_d_lr_ratio: float = field(default=5.0, metadata={"min": 0.0})


@dataclass
class AcganConfig:
    """Defaults of the ACGAN notebook (Odena et al., 2017): DCGAN-style networks, the generator
    conditioned on the class, the discriminator with an auxiliary classifier head."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(epochs=1, copies=1, width=8, per_class=20),
        "cpu": dict(),
        "gpu": dict(image_size=64, width=64, epochs=60, copies=8, per_class=100),
    }

    image_size: int = field(default=32, metadata={"choices": (8, 16, 32, 64, 128)})
    width: int = field(default=32, metadata={"min": 1})
    z_dim: int = field(default=100, metadata={"min": 1})
    copies: int = field(default=3, metadata={"min": 1})
    epochs: int = field(default=25, metadata={"min": 1})
    batch_size: int = field(default=64, metadata={"min": 2})
    lr: float = field(default=2e-4, metadata={"min": 0.0})           # Adam(0.5, 0.999) for both networks
    aux_weight: float = field(default=1.0, metadata={"min": 0.0})    # weight of the auxiliary class loss
    # The paper's auxiliary head learns the class of real AND generated images. Then the generator and the
    # head can agree on features no other classifier reads as that digit (cpu profile, 25 epochs: the
    # suite classifier agreed with the requested label on 75.9%); learnt from real images only, the head
    # is a plain digit classifier the generator must satisfy (93.1%). True restores the paper's loss.
    aux_on_generated: bool = False
    per_class: int = field(default=100, metadata={"min": 1})         # generated images graded per class

"""Configuration of the GAN notebooks, with a profile per machine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helpers.core.config import steps_field
from helpers.core.runtime import bfloat16_is_native

GAN_METHODS = ("dcgan", "wgan", "wgan-gp", "sngan")


@dataclass
class GanConfig:
    """Defaults of the GAN notebook. Every method trains for the same number of steps over the same
    images (the budget: the discriminator or critic sees one batch of real images per step; WGAN updates the
    generator once every ``n_critic`` critic steps as in its paper, WGAN-GP once every ``wgan_gp_n_critic``)."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(steps=84, copies=1, width=8, eval_samples=200, collapse_steps=20),
        # cpu-lite: for a slower CPU (helpers.core.config.auto_choice), about 0.4x the cpu
        # profile's steps (7 epochs of the embedded digits) and half the samples graded
        "cpu-lite": dict(steps=1764, eval_samples=500),
        "cpu": dict(),
        # A GPU's cost per image falls with the batch size: the papers' batch 64 there. One GPU: one process. The
        # papers' z alone, so that the DCGAN generator is the reference printout (Linear(100 -> 8192), 4 ConvTranspose).
        "gpu": dict(image_size=64, width=64, steps=10080, copies=8, batch_size=64, eval_samples=1000,
                    collapse_steps=5000, processes=1, latent_code=0),
    }

    methods: tuple[str, ...] = field(default=GAN_METHODS, metadata={"choices": GAN_METHODS, "each": True})
    image_size: int = field(default=32, metadata={"choices": (8, 16, 32, 64, 128)})
    width: int = field(default=32, metadata={"min": 1})  # channels of the generator's last / critic's first layer
    z_dim: int = field(default=100, metadata={"min": 1})
    copies: int = field(default=3, metadata={"min": 1})  # renderings of each embedded base digit
    # 17 epochs of the embedded digits, sized to the notebook's time budget (docs/tuning.md)
    steps: int = steps_field(4284)
    epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    batch_size: int = field(default=16, metadata={"min": 2})  # the papers' 64: a CPU gets 4x the updates at 1.4x the cost
    # The discriminator's (critic's) rates; with Adam the generator's is g_lr_ratio times larger (TTUR, Heusel et al.
    # 2017, the faster side swapped). WGAN keeps its paper's RMSProp rates.
    g_lr_ratio: float = field(default=5.0, metadata={"min": 0.0})
    dcgan_lr: float = field(default=2e-4, metadata={"min": 0.0})    # Adam(0.5, 0.999), Radford et al.
    wgan_lr: float = field(default=5e-5, metadata={"min": 0.0})     # RMSProp, Arjovsky et al.
    wgan_clip: float = field(default=0.01, metadata={"min": 0.0})
    # Adam(0.5, 0.9), Gulrajani et al.; their 1e-4 doubled so that, as in DCGAN and SNGAN, the generator learns at 1e-3.
    wgan_gp_lr: float = field(default=2e-4, metadata={"min": 0.0})
    gp_weight: float = field(default=10.0, metadata={"min": 0.0})
    sngan_lr: float = field(default=2e-4, metadata={"min": 0.0})    # Adam(0.5, 0.999), hinge loss
    n_critic: int = field(default=5, metadata={"min": 1})           # WGAN: critic steps per generator step
    wgan_gp_n_critic: int = field(default=1, metadata={"min": 1})   # the paper's 5 starve the generator in this budget
    # Samples come from a moving average of the generator's weights (0: off), with warm-up (helpers/core/ema.py).
    ema_decay: float = field(default=0.995, metadata={"min": 0.0, "max": 1.0})
    # A categorical latent code beside z and InfoGAN's term (Chen et al. 2016) for every method; 0: z alone, as in
    # the papers. It keeps samples off the in-between images of two digits.
    latent_code: int = field(default=10, metadata={"min": 0})
    info_weight: float = field(default=1.0, metadata={"min": 0.0})
    eval_samples: int = field(default=1000, metadata={"min": 10})   # generated images graded per method
    # Mode collapse, on the ring of eight Gaussians (helpers/gans/mode_collapse.py): the settings of Metz et al.'s
    # (2017) ring experiment, the generator learning collapse_g_lr_ratio times faster than the discriminator; the
    # mitigation packs collapse_pack points into each discriminator input (PacGAN), all else the same. Steps, not
    # epochs: the ring's points are drawn afresh at every step, whatever the notebook's images.
    # 3,000: PacGAN covers all eight modes with 67-76% of its samples high-quality (seeds 0-3); at 2,000, 24-40%
    collapse_steps: int = field(default=3000, metadata={"min": 5})
    collapse_batch_size: int = field(default=512, metadata={"min": 2})
    collapse_lr: float = field(default=1e-4, metadata={"min": 0.0})  # the discriminator's; Adam(0.5, 0.999)
    collapse_g_lr_ratio: float = field(default=10.0, metadata={"min": 0.0})
    collapse_pack: int = field(default=2, metadata={"min": 1})
    # Forward passes under bfloat16 autocast (weights, optimisers, losses, the average and sampling stay float32):
    # on only where bfloat16 is native, about 1.25x faster there for the same quality.
    bf16: bool = field(default_factory=lambda: bfloat16_is_native())  # looked up when a config is made
    # On a CPU the runs train this many at a time, each with its share of the threads (gan_experiment.run_gans).
    processes: int = field(default=2, metadata={"min": 1})

    def __post_init__(self) -> None:
        if self.collapse_pack < 1:
            raise ValueError(f"collapse_pack={self.collapse_pack} must be at least 1")
        if self.collapse_batch_size % self.collapse_pack:
            raise ValueError(f"collapse_batch_size={self.collapse_batch_size} must be a multiple of "
                             f"collapse_pack={self.collapse_pack}")


@dataclass
class AcganConfig:
    """Defaults of the ACGAN notebook (Odena et al., 2017): DCGAN-style networks, the generator
    conditioned on the class, the discriminator with an auxiliary classifier head."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(steps=21, copies=1, width=8, per_class=20),
        "cpu-lite": dict(steps=630, per_class=50),  # 10 epochs of the embedded digits
        "cpu": dict(),
        "gpu": dict(image_size=64, width=64, steps=10080, copies=8, per_class=100),
    }

    image_size: int = field(default=32, metadata={"choices": (8, 16, 32, 64, 128)})
    width: int = field(default=32, metadata={"min": 1})
    z_dim: int = field(default=100, metadata={"min": 1})
    copies: int = field(default=3, metadata={"min": 1})
    steps: int = steps_field(1575)  # 25 epochs of the embedded digits
    epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    batch_size: int = field(default=64, metadata={"min": 2})
    lr: float = field(default=2e-4, metadata={"min": 0.0})           # Adam(0.5, 0.999) for both networks
    aux_weight: float = field(default=1.0, metadata={"min": 0.0})    # weight of the auxiliary class loss
    # The paper's auxiliary head learns the class of real AND generated images. Then the generator and the
    # head can agree on features no other classifier reads as that digit (cpu profile, 25 epochs: the
    # suite classifier agreed with the requested label on 75.9%); learnt from real images only, the head
    # is a plain digit classifier the generator must satisfy (93.1%). True restores the paper's loss.
    aux_on_generated: bool = False
    per_class: int = field(default=100, metadata={"min": 1})         # generated images graded per class

"""Configuration of the GAN notebooks, with a profile per machine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helpers.runtime import bfloat16_is_native

GAN_METHODS = ("dcgan", "wgan", "wgan-gp", "sngan")


@dataclass
class GanConfig:
    """Defaults of the GAN notebook. Every method trains for the same number of epochs over the same
    images (the budget: the discriminator or critic sees each real image once per epoch, one batch per
    step; WGAN updates the generator once every ``n_critic`` critic steps as in its paper, WGAN-GP once
    every ``wgan_gp_n_critic``)."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(epochs=1, copies=1, width=8, eval_samples=200, collapse_epochs=1),
        "cpu": dict(),
        # A GPU's cost per image falls with the batch size: the papers' batch 64 there. One GPU: one process. The
        # papers' z alone, so that the DCGAN generator is the reference printout (Linear(100 -> 8192), 4 ConvTranspose).
        "gpu": dict(image_size=64, width=64, epochs=60, copies=8, batch_size=64, eval_samples=1000, collapse_epochs=60,
                    processes=1, latent_code=0),
    }

    methods: tuple[str, ...] = field(default=GAN_METHODS, metadata={"choices": GAN_METHODS, "each": True})
    image_size: int = field(default=32, metadata={"choices": (8, 16, 32, 64, 128)})
    width: int = field(default=32, metadata={"min": 1})  # channels of the generator's last / critic's first layer
    z_dim: int = field(default=100, metadata={"min": 1})
    copies: int = field(default=3, metadata={"min": 1})  # renderings of each embedded base digit
    # Sized to ~325 s for the whole notebook on 2 idle cores (two training processes, see ``processes``, and
    # ``bf16``; 18 epochs took 340-351 s). DCGAN's classifier FID still falls with the epochs here: 17 at 8, 7-12
    # at 14, 6-11 at 18 (1.7x and 2.1x the floor, seeds 0 and 1), 7-8 at 20-24.
    epochs: int = field(default=17, metadata={"min": 1})
    # The papers use 64. On a CPU an epoch at batch 16 costs only ~1.4x one at batch 64 for four times the
    # updates (cpu profile, DCGAN with TTUR and weight average: batch 64, 14 epochs: 59-61% recognised,
    # classifier FID 24-27; batch 16, 10 epochs: 64%, 17).
    batch_size: int = field(default=16, metadata={"min": 2})
    # The learning rates below are the discriminator's (critic's); with Adam (DCGAN, WGAN-GP, SNGAN) the
    # generator's is g_lr_ratio times larger: the two time-scale update rule (TTUR, Heusel et al. 2017) with
    # the faster side swapped. At the papers' equal rates (batch 64, 14 epochs) the cpu profile reached 55%
    # (DCGAN) and 39% (SNGAN) recognised samples; with 10x 61% and 53%. WGAN keeps its paper's RMSProp rates.
    g_lr_ratio: float = field(default=5.0, metadata={"min": 0.0})
    dcgan_lr: float = field(default=2e-4, metadata={"min": 0.0})    # Adam(0.5, 0.999), Radford et al.
    wgan_lr: float = field(default=5e-5, metadata={"min": 0.0})     # RMSProp, Arjovsky et al.
    wgan_clip: float = field(default=0.01, metadata={"min": 0.0})
    # Adam(0.5, 0.9), Gulrajani et al.; their 1e-4 doubled so that, as in DCGAN and SNGAN, the generator learns at 1e-3.
    wgan_gp_lr: float = field(default=2e-4, metadata={"min": 0.0})
    gp_weight: float = field(default=10.0, metadata={"min": 0.0})
    sngan_lr: float = field(default=2e-4, metadata={"min": 0.0})    # Adam(0.5, 0.999), hinge loss
    n_critic: int = field(default=5, metadata={"min": 1})           # WGAN: critic steps per generator step
    # WGAN-GP's paper takes 5 critic steps per generator step; within this budget that leaves its generator
    # 1/5 of the updates of DCGAN's and its samples unrecognisable (3.6% recognised, classifier FID 707). With
    # one step and TTUR (batch 32, 14 epochs) the cpu profile reached 63% (46).
    wgan_gp_n_critic: int = field(default=1, metadata={"min": 1})
    # Samples (and the deliverable) come from an exponential moving average of the generator's weights
    # (0 turns it off): classifier FID 26 -> 19 (DCGAN), 46 -> 23 (WGAN-GP) in the cpu profile (batch 32,
    # 14 epochs), recognised share +1 to +3 points.
    ema_decay: float = field(default=0.995, metadata={"min": 0.0, "max": 1.0})
    # A categorical latent code beside z and InfoGAN's term (Chen et al. 2016) for every method; 0: z alone, as
    # in the papers. A generator is a continuous map of z, so between the images of two digits it also draws
    # images in between: with z alone (8 epochs, DCGAN) 26% of the samples were read as a mix of two digits
    # (the judge's top two classes >= 0.9 together, the top one < 0.9), 61-65% recognised whatever the width,
    # epochs, learning rates or regulariser (R1, label smoothing, DiffAugment) tried; with a 10-way code 77%
    # (8 epochs; 84% at 14).
    latent_code: int = field(default=10, metadata={"min": 0})
    info_weight: float = field(default=1.0, metadata={"min": 0.0})
    eval_samples: int = field(default=1000, metadata={"min": 10})   # generated images graded per method
    # Mode collapse: the saturating minimax loss against a spectrally normalised discriminator that learns
    # collapse_d_lr_ratio times faster; the mitigation swaps in the WGAN-GP objective (helpers/generative/mode_collapse.py).
    collapse_epochs: int = field(default=3, metadata={"min": 1})  # capped at ``epochs`` (see collapse_budget)
    collapse_d_lr_ratio: float = field(default=5.0, metadata={"min": 0.0})
    # Mixed precision: the networks' forward passes run under torch.autocast(bfloat16) (weights, optimisers, losses,
    # the weight average and sampling stay float32). On this CPU (AVX-512 BF16) a run is about 1.25x faster (two
    # notebook runs whose float32 digit classifier took the same 41 s: DCGAN 6.7 vs 8.1 s an epoch, WGAN-GP 9.7 vs
    # 12.5) for the same quality (DCGAN, 14 epochs, two seeds: classifier FID 11.7 and 9.8 against 7.4 and 11.9
    # in float32). On only where bfloat16 is native; elsewhere it is emulated, slowly.
    bf16: bool = field(default_factory=lambda: bfloat16_is_native())  # looked up when a config is made
    # On a CPU the runs train this many at a time, each process with its share of the threads
    # (helpers.generative.gan_experiment.run_gans): on 2 cores, 1.7x the steps per second of one process.
    processes: int = field(default=2, metadata={"min": 1})

    @property
    def collapse_budget(self) -> int:
        """Epochs of each mode-collapse run: ``collapse_epochs``, but never more than the methods' ``epochs``, so
        that a shorter run (``epochs=5`` on a GPU) shortens these two as well."""
        return min(self.collapse_epochs, self.epochs)


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

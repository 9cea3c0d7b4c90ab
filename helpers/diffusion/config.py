"""Configuration of the diffusion notebooks (ddpm, conditional_diffusion), with a profile per machine.

The cpu profile's UNet works at 16x16 (the embedded digits are 8x8 glyphs): four times cheaper than 28x28.
conditional_diffusion renders its data at 16x16 too, so the digit classifier that grades it reads what the
UNet learns; ddpm takes the GAN notebook's 32x32 data and grades its upsampled samples there (with a row
showing what the 16x16 round trip alone costs). The gpu profile works at 28x28 / 32x32.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helpers.core.config import steps_field
from helpers.core.runtime import bfloat16_is_native
from helpers.diffusion.process import LOSS_WEIGHTINGS, parse_sampler

SAMPLER_ROWS = ("ddpm-1000", "ddim-100", "ddim-50", "ddim-20")


@dataclass
class DiffusionConfig:
    """What both notebooks share: data, UNet, schedule, training, EMA."""

    image_size: int = field(default=16, metadata={"min": 8})  # the resolution the UNet sees
    base_channels: int = field(default=32, metadata={"min": 4})
    channel_mults: tuple[int, ...] = field(default=(1, 2, 2), metadata={"min": 1, "each": True})
    attention_resolution: int = field(default=4, metadata={"min": 1})  # self-attention at sizes <= this
    T: int = field(default=1000, metadata={"min": 2})
    schedule: str = field(default="linear", metadata={"choices": ("linear", "cosine")})
    steps: int = steps_field(1890)  # optimizer steps (30 epochs of the embedded digits)
    epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    batch_size: int = field(default=64, metadata={"min": 2})
    lr: float = field(default=2e-3, metadata={"min": 0.0})
    warmup_steps: int = field(default=100, metadata={"min": 0})
    ema_decay: float = field(default=0.995, metadata={"min": 0.0, "max": 1.0})
    # "simple": Ho et al.'s loss; "min-snr": each step weighted by min(SNR_t, min_snr_gamma) / SNR_t (Hang et al.).
    # Min-SNR-5 at the same steps: conditional samples of course-layout trees read right 81 -> 92% and 78 -> 90%,
    # the DDPM's classifier FID 136 -> 120 (docs/tuning.md)
    loss_weighting: str = field(default="min-snr", metadata={"choices": LOSS_WEIGHTINGS})
    min_snr_gamma: float = field(default=5.0, metadata={"min": 0.01})  # the paper's gamma; used by "min-snr" only
    sample_batch: int = field(default=500, metadata={"min": 1})  # images per sampling batch

    def __post_init__(self) -> None:
        for name in ("sampler", "grid_sampler", "fid_sampler"):
            if hasattr(self, name):
                parse_sampler(getattr(self, name), self.T)
        for sampler in getattr(self, "samplers", ()):
            parse_sampler(sampler, self.T)

    def data_settings(self) -> dict:
        """The settings the training images were made with, beside their name and number: part of the
        checkpoint's name (:func:`helpers.diffusion.experiment.diffusion_checkpoint`)."""
        return {}


@dataclass
class DdpmConfig(DiffusionConfig):
    """The unconditional DDPM notebook (gray `digits`). Its data (image size, renderings per digit), and so its
    digit classifier, are the GAN notebook's, so the DCGAN vs DDPM table compares numbers from the same
    classifier on the same held-out images."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(image_size=12, base_channels=8, channel_mults=(1, 2), attention_resolution=6, steps=21,
                      grid_sampler="ddim-20", data_copies=1, eval_samples=200),
        # cpu-lite: for a slower CPU (helpers.core.config.auto_choice), 2/3 of the cpu
        # profile's steps (10 epochs of the embedded digits; at 0.4x the classifier FID was 345) and half the
        # samples graded
        "cpu-lite": dict(steps=630, eval_samples=500),
        "cpu": dict(),
        "gpu": dict(image_size=32, base_channels=64, attention_resolution=8, steps=16800, fid_sampler="ddpm-1000",
                    data_image_size=64, data_copies=8),
    }

    steps: int = steps_field(945)  # 15 epochs of the embedded digits
    grid_sampler: str = "ddpm-1000"  # the 16 samples shown
    fid_sampler: str = "ddim-50"  # the eval_samples images that FID and diversity are measured on
    # The GAN notebook's data and grading (its GanConfig values per profile), so that its DCGAN row is comparable:
    data_image_size: int = field(default=32, metadata={"choices": (8, 16, 32, 64, 128)})
    data_copies: int = field(default=3, metadata={"min": 1})  # renderings of each embedded base digit
    eval_samples: int = field(default=1000, metadata={"min": 10})  # generated images graded per model

    def data_settings(self) -> dict:
        # the renderings per digit are left out, as the checkpoints were first named (so that they still resume)
        return {"size": self.data_image_size}


@dataclass
class ConditionalDiffusionConfig(DiffusionConfig):
    """The conditional DDPM with classifier-free guidance (colour `digits-m`)."""

    PROFILES: ClassVar[dict[str, dict]] = {
        # smoke: a 100-step schedule (rescaled to end as noisy), so the DDPM row and the reverse process take 100
        # steps, not 1,000 (13 of the notebook's 26 s in the tests)
        "smoke": dict(image_size=12, judge_size=12, base_channels=8, channel_mults=(1, 2), attention_resolution=6,
                      steps=21, copies=1, per_digit=4, sweep_per_digit=2, ddpm_per_digit=1, T=100,
                      samplers=("ddpm-100", "ddim-100", "ddim-50", "ddim-20")),
        # cpu-lite: 0.7x the steps (28 epochs of the embedded digits; at 0.4x 58% per digit), half the samples
        # graded and swept
        "cpu-lite": dict(steps=1764, per_digit=50, sweep_per_digit=5, ddpm_per_digit=2),
        "cpu": dict(),
        "gpu": dict(image_size=28, judge_size=28, base_channels=64, attention_resolution=7, steps=12600, copies=6,
                    sweep_per_digit=100, ddpm_per_digit=100, sample_batch=500),  # a GPU wants large batches
    }

    # 2,520 steps (40 epochs of the embedded digits): more than 30 epochs lifted DDIM-50 accuracy (docs/tuning.md)
    steps: int = steps_field(2520)
    judge_size: int = field(default=16, metadata={"min": 8})  # the data's size, at which the classifier grades
    copies: int = field(default=3, metadata={"min": 1})  # renderings of each embedded base digit
    p_uncond: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})  # label dropped in training
    w: float = field(default=2.0, metadata={"min": 0.0})  # guidance of the 10x10 grid and the per-digit grading
    sampler: str = "ddim-50"  # of the grid and the per-digit grading
    per_digit: int = field(default=100, metadata={"min": 1})  # samples graded per digit (grid, per-digit table)
    guidance: tuple[float, ...] = field(default=(0.0, 1.0, 2.0, 4.0), metadata={"min": 0.0, "each": True})
    samplers: tuple[str, ...] = SAMPLER_ROWS
    # per digit in the sweeps' DDIM rows (10: 100 samples a row, to keep the notebook inside its 8 minutes; every
    # row starts from the grid's noise, so rows differ by their setting, not by the draw)
    sweep_per_digit: int = field(default=10, metadata={"min": 1})
    ddpm_per_digit: int = field(default=5, metadata={"min": 1})  # per digit in the 1000-step DDPM row
    # 50 images per sampling batch (100 per UNet call with guidance): the cheapest per image on a CPU; every row
    # samples in batches of this size, so seconds per 100 images compare samplers (docs/tuning.md)
    sample_batch: int = field(default=50, metadata={"min": 1})
    # bfloat16 autocast for the UNet (weights, EMA and noise math float32): on only where bfloat16 is native
    bf16: bool = field(default_factory=lambda: bfloat16_is_native())  # looked up when a config is made

    def data_settings(self) -> dict:
        return {"size": self.judge_size, "copies": self.copies}

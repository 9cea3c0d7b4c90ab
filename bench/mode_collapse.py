"""Mode collapse: which GAN configurations draw only a few digits (docs/tuning.md, "Looking for a collapse onto a few
digits").

Measures, per configuration, budget and training seed: diversity (entropy of the digits the suite's classifier reads,
nats), the recognised share, the mean RMS pixel distance between two of 200 samples (images in [-1, 1]: near 0 when
every noise vector gives the same image) and the digits' counts. The networks are the DCGAN generator and
discriminator of helpers/gans/networks.py at the cpu-lite profile's widths (the image pair the gan notebook's
mode-collapse section used before it moved to the ring: bench/ring_collapse.py), Adam, no weight average, embedded
digits.
With ``--warmup N --then-d-lr LR`` each run trains its first N steps as configured, then the rest with the
discriminator's learning rate set to LR (0: frozen): a generator that outpaces its discriminator.
Run: .venv/bin/python bench/mode_collapse.py [--configs NAME,...] [--steps 252,756] [--seeds 0,1]
     [--warmup 252 --then-d-lr 0]
Got (2026-12-01, 2-core Zen 4): docs/tuning.md. A run's batch order follows its name (helpers.gans.experiment.run_gan),
which holds the configuration's, so the same settings under another name give other numbers: the spread to expect.
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time

import torch
from torch.nn import functional as F

from helpers.core.runtime import place
from helpers.gans import losses
from helpers.gans.config import GanConfig
from helpers.gans.data import load_gan_data
from helpers.gans.experiment import run_gan
from helpers.gans.methods import Gan
from helpers.gans.networks import Discriminator, Generator, init_weights
from helpers.grading.judge import judge_if_labelled, recognised
from helpers.grading.measures import diversity

CONFIG = GanConfig(**GanConfig.PROFILES["cpu-lite"])


def saturating_g_loss(fake: torch.Tensor) -> torch.Tensor:
    """The original minimax generator loss: minimise log(1 - D(G(z))). Its gradient vanishes when the
    discriminator confidently rejects the samples."""
    return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


SATURATING, NON_SATURATING = saturating_g_loss, losses.dcgan_g_loss
# name: (generator loss, discriminator normalisation, generator lr, discriminator lr, z size, Adam beta1)
CONFIGURATIONS = {
    "sat-sn-2e-4-1e-3": (SATURATING, "spectral", 2e-4, 1e-3, 100, 0.5),  # the notebook's collapsed run until 12-01
    "ns-sn-2e-4-1e-3": (NON_SATURATING, "spectral", 2e-4, 1e-3, 100, 0.5),
    "ns-bn-1e-3-2e-4": (NON_SATURATING, "batch", 1e-3, 2e-4, 100, 0.5),
    "ns-bn-4e-3-2e-4": (NON_SATURATING, "batch", 4e-3, 2e-4, 100, 0.5),
    "ns-bn-1e-3-2e-4-z2": (NON_SATURATING, "batch", 1e-3, 2e-4, 2, 0.5),
    "ns-none-2e-3-2e-3": (NON_SATURATING, "none", 2e-3, 2e-3, 100, 0.5),
    "ns-bn-2e-3-2e-3-beta0.9": (NON_SATURATING, "batch", 2e-3, 2e-3, 100, 0.9),
    "sat-bn-2e-4-1e-3": (SATURATING, "batch", 2e-4, 1e-3, 100, 0.5),
    "ns-bn-1e-3-1e-5": (NON_SATURATING, "batch", 1e-3, 1e-5, 100, 0.5),  # a slow discriminator
    "ns-bn-1e-3-2e-6": (NON_SATURATING, "batch", 1e-3, 2e-6, 100, 0.5),
    "ns-sn-1e-3-1e-5": (NON_SATURATING, "spectral", 1e-3, 1e-5, 100, 0.5),
    "ns-sn-1e-3-3e-5": (NON_SATURATING, "spectral", 1e-3, 3e-5, 100, 0.5),
}


def build(name: str, channels: int) -> Gan:
    g_loss, norm, g_lr, d_lr, z_dim, beta1 = CONFIGURATIONS[name]
    torch.manual_seed(0)
    generator = place(Generator(CONFIG.image_size, channels, CONFIG.width, z_dim), "cpu",
                      channels_last=not CONFIG.bf16)
    discriminator = place(Discriminator(CONFIG.image_size, channels, CONFIG.width, norm), "cpu",
                          channels_last=not CONFIG.bf16)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    optimizers = (torch.optim.Adam(generator.parameters(), lr=g_lr, betas=(beta1, 0.999)),
                  torch.optim.Adam(discriminator.parameters(), lr=d_lr, betas=(beta1, 0.999)))
    return Gan("dcgan", generator, discriminator, *optimizers, losses.dcgan_d_loss, g_loss, bf16=CONFIG.bf16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGURATIONS))
    parser.add_argument("--steps", default="252,756")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--warmup", type=int, default=0, help="steps at the configured rates before --then-d-lr")
    parser.add_argument("--then-d-lr", type=float, default=None, help="the discriminator's rate after --warmup")
    args = parser.parse_args()
    domain = load_gan_data("embedded", size=CONFIG.image_size, copies=CONFIG.copies, seed=0)
    with tempfile.TemporaryDirectory() as scratch:
        judge = judge_if_labelled(domain.train, domain.test, cache_dir=f"{scratch}/judge", device="cpu", seed=0,
                                  profile="cpu-lite")
        print("configuration | steps | seed | diversity | recognised | pixel distance | digits' counts | seconds")
        for name in args.configs.split(","):
            for steps in map(int, args.steps.split(",")):
                for seed in map(int, args.seeds.split(",")):
                    started = time.perf_counter()
                    gan, phases = build(name, domain.train.channels), [(steps, None)]
                    if args.warmup and args.then_d_lr is not None:
                        phases = [(args.warmup, None), (steps - args.warmup, args.then_d_lr)]
                    for phase, (phase_steps, d_lr) in enumerate(phases):
                        for group in gan.opt_d.param_groups if d_lr is not None else []:
                            group["lr"] = d_lr
                        run = run_gan("dcgan", domain.train, dataclasses.replace(CONFIG, steps=phase_steps),
                                      device="cpu", seed=seed, checkpoint_dir=scratch,
                                      name=f"{name}-{steps}-{seed}-{phase}", gan=gan, progress=False)
                    samples = run.samples
                    pixel = torch.pdist(samples[:200].flatten(1)).mean().item() / samples[0].numel() ** 0.5
                    counts = torch.bincount(judge.probabilities(samples).argmax(1), minlength=10).tolist()
                    print(f"{name} | {steps} | {seed} | {diversity(judge, samples)['diversity']:.2f} | "
                          f"{recognised(judge, samples):.1%} | {pixel:.3f} | {counts} | "
                          f"{time.perf_counter() - started:.0f}", flush=True)


if __name__ == "__main__":
    main()

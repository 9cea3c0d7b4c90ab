"""Sampling cost and quality per sampler of the conditional DDPM (classifier-free guidance, digits-m).

Measures: for each sampler (1000-step DDPM, DDIM 100 / 50 / 20 steps), the wall seconds per 100 images and
the share of samples that the suite's digit classifier reads as the requested digit, plus the speed-up of
each sampler over the first one.
Model: the conditional_diffusion notebook's (its checkpoint under reports/conditional_diffusion/checkpoints is
reused when it was trained with the same profile and seed; otherwise the model is trained first).
Hardware: the 2-core CPU machine of docs/design.md (torch 2.14.1), cpu profile.
Run: .venv/bin/python bench/sampling.py [--profile cpu] [--per-digit 10] [--w 2] [--threads N]
Got (2026-11-24, 2 cores shared with other jobs, see the closing note of issue 5): see README "Results".
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from helpers.core.config import make_config
from helpers.core.images import to_float
from helpers.core.runtime import derive_seed
from helpers.data import load_domains
from helpers.diffusion.analysis import grade_conditional
from helpers.diffusion.config import ConditionalDiffusionConfig, SAMPLER_ROWS
from helpers.diffusion.experiment import digit_labels, generate, train_diffusion
from helpers.grading.judge import load_judge

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu", choices=("smoke", "cpu-lite", "cpu", "gpu"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-digit", type=int, default=10, help="samples per digit and sampler")
    parser.add_argument("--w", type=float, default=None, help="guidance scale (default: the profile's)")
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLER_ROWS))
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    config = make_config(ConditionalDiffusionConfig, args.profile, {"samplers": tuple(args.samplers), "w": args.w})
    domain = load_domains("embedded", ["digits-m"], seed=args.seed, size=config.judge_size, copies=config.copies)["digits-m"]
    judge = load_judge(domain.train, cache_dir=args.reports / "_judge", seed=args.seed, profile=args.profile,
                       held_out=domain.test)
    trained = train_diffusion(config, domain.train, conditional=True, name="conditional DDPM", seed=args.seed,
                              checkpoint_dir=args.reports / "conditional_diffusion" / "checkpoints", data="embedded")
    reference = to_float(domain.test.images)
    labels = digit_labels(args.per_digit)
    print(f"profile {args.profile}, {torch.get_num_threads()} threads, w = {config.w:g}, {len(labels)} images per sampler")
    print(f"{'sampler':>10} {'s / 100 images':>15} {'speed-up':>9} {'accuracy':>9} {'classifier FID':>15}")
    first = None
    for sampler in config.samplers:
        images, seconds, _ = generate(trained, len(labels), sampler=sampler, labels=labels, w=config.w,
                                      batch_size=config.sample_batch, seed=derive_seed(args.seed, "bench", sampler))
        row = grade_conditional(judge, images, labels, reference, seconds)
        first = first or row["seconds_per_100"]
        print(f"{sampler:>10} {row['seconds_per_100']:>15.2f} {first / row['seconds_per_100']:>8.1f}x "
              f"{row['accuracy']:>9.1%} {row['fid_classifier']:>15.2f}")


if __name__ == "__main__":
    main()

"""Training-step cost of the segmentation notebook's two models (FCN32s, DeepLabV3) in a profile.

Measures: seconds per training step (forward, loss, backward, Adam) and images per second, median of
``--steps`` steps after one warm-up step, for each model, with the profile's batch size and image size,
at the given number of torch threads; also the multiply-accumulates per image (forward).
Hardware: the 2-core CPU machine of docs/design.md (torch 2.14.1).
Run: .venv/bin/python bench/segmentation_step.py [--profile cpu] [--threads 2] [--steps 8]
Got (2026-11-24, cpu profile, batch 32, 64x64, machine shared, load ~5-8): see the closing note of issue 8.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from helpers.core.config import make_config
from helpers.segmentation.config import MODELS, SegmentationConfig
from helpers.segmentation.experiment import segmentation_loss
from helpers.segmentation.networks import build_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = make_config(SegmentationConfig, args.profile)
    size = config.canvas_size
    images = torch.randn(config.batch_size, 3, size, size)
    masks = torch.randint(0, 11, (config.batch_size, size, size))
    for name in MODELS:
        torch.manual_seed(0)
        model = build_model(name, 11, config)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model.eval()(images[:1])
        model.train()
        times = []
        for _ in range(args.steps + 1):
            begin = time.perf_counter()
            loss = segmentation_loss(model(images), masks, config.aux_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            times.append(time.perf_counter() - begin)
        step = statistics.median(times[1:])
        print(f"{name:10s} {counter.get_total_flops() / 2e6:7.0f} M MACs/image  batch {config.batch_size} {size}x{size}  "
              f"{step:.3f} s/step  {config.batch_size / step:6.0f} images/s  ({args.threads} threads)")


if __name__ == "__main__":
    main()

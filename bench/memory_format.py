"""channels_last against the default (contiguous) memory format: one training step of each cpu-profile network.

Measures: milliseconds per step (forward, a mean-square loss, backward, an SGD step) at the cpu profile's image
sizes and batches, with the notebook's bfloat16 setting, of: the DCGAN generator + discriminator (gan), the
conditional UNet (conditional_diffusion), the DANN network (dann, adda), classification's models A and B, BYOL's
ResNet18 backbone (byol), the narrow FCN32s and DeepLabV3 (segmentation). Each with its weights contiguous, with
its weights channels_last (the input as the data loaders give it) and with the input converted too; the median
of ``--repeats`` timings of ``--steps`` steps after two warm-up steps, the layouts alternating. #19 item 7 asks
for channels_last to be measured, not assumed.
Hardware: the 2-core CPU machines of docs/design.md (torch 2.14.1). For the path of a CPU without AVX-512, run
it again with ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 (bf16 is then off).
Run: .venv/bin/python bench/memory_format.py [--steps 10] [--repeats 3] [--only NAME ...]
Got (2026-11-29, 2-core AMD EPYC Zen 4): docs/tuning.md, section "channels_last".
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch
from torch import nn

from helpers.adaptation.config import DannConfig
from helpers.adaptation.dann import build_dann
from helpers.core.config import make_config
from helpers.core.runtime import bfloat16_is_native
from helpers.diffusion.config import ConditionalDiffusionConfig
from helpers.diffusion.experiment import build_unet
from helpers.gans.config import GanConfig
from helpers.gans.networks import Discriminator, Generator
from helpers.representation.config import ByolConfig, ClassificationConfig
from helpers.representation.networks import model_a, resnet18_small, resnet_backbone
from helpers.segmentation.config import SegmentationConfig
from helpers.segmentation.networks import build_model

Case = tuple[nn.Module, Callable[[nn.Module, torch.Tensor], torch.Tensor], torch.Tensor, bool]


class GanPair(nn.Module):
    """The generator's images through the discriminator: one pass through both networks."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        self.generator = Generator(config.image_size, 1, config.width, config.z_dim)
        self.discriminator = Discriminator(config.image_size, 1, config.width, "batch")
        self.z_dim = config.z_dim

    def forward(self, real: torch.Tensor) -> torch.Tensor:
        z = torch.randn(len(real), self.z_dim)
        return torch.cat([self.discriminator(self.generator(z)), self.discriminator(real)])


def segmentation_logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = model(x)
    return out["out"] if isinstance(out, dict) else out


def cases() -> dict[str, Case]:
    gan = make_config(GanConfig, "cpu")
    unet_config = make_config(ConditionalDiffusionConfig, "cpu")
    dann = make_config(DannConfig, "cpu")
    byol = make_config(ByolConfig, "cpu")
    seg = make_config(SegmentationConfig, "cpu")
    cls = make_config(ClassificationConfig, "cpu")
    unet = build_unet(unet_config, 3, num_classes=10)
    size = unet_config.image_size
    labels = torch.arange(unet_config.batch_size) % 10
    steps_t = torch.randint(0, unet_config.T, (unet_config.batch_size,))
    return {
        "gan (DCGAN G + D)": (GanPair(gan), lambda m, x: m(x), torch.randn(gan.batch_size, 1, gan.image_size,
                                                                           gan.image_size), gan.bf16),
        "conditional UNet": (unet, lambda m, x: m(x, steps_t, labels),
                             torch.randn(unet_config.batch_size, 3, size, size), unet_config.bf16),
        "DANN": (build_dann(dann, 3), lambda m, x: m.label_predictor(m.feature_extractor(x)),
                 torch.randn(2 * dann.batch_size, 3, dann.image_size, dann.image_size), False),
        "classification A": (model_a(3, 10, list(cls.widths), cls.hidden, cls.image_size), lambda m, x: m(x),
                             torch.randn(cls.batch_size, 3, cls.image_size, cls.image_size), False),
        "classification B": (resnet18_small(3, 10, stem=cls.stem), lambda m, x: m(x),
                             torch.randn(cls.batch_size, 3, cls.image_size, cls.image_size), False),
        "BYOL backbone": (resnet_backbone(byol.stem, width=byol.width), lambda m, x: m(x),
                          torch.randn(byol.pretrain_batch_size, 3, byol.image_size, byol.image_size), False),
        "FCN32s (narrow)": (build_model("fcn32s", 7, seg), segmentation_logits,
                            torch.randn(seg.batch_size, 3, seg.image_size, seg.image_size), False),
        "DeepLabV3 (narrow)": (build_model("deeplabv3", 7, seg), segmentation_logits,
                               torch.randn(seg.batch_size, 3, seg.image_size, seg.image_size), False),
    }


def time_steps(model: nn.Module, forward, x: torch.Tensor, bf16: bool, steps: int) -> float:
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = forward(model, x).float().square().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", help="names (or the start of names) of the networks to time")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, bf16 native: {bfloat16_is_native()}")
    print(f"{'network':<20} {'bf16':>5} {'contiguous ms':>14} {'channels_last ms':>17} {'ratio':>6} "
          f"{'+ input ms':>11} {'ratio':>6}")
    for name, (model, forward, x, bf16) in cases().items():
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        model.train()
        # the model's weights in each format, the input as the data loaders give it (contiguous); last, the input
        # converted too
        runs = {"contiguous": (torch.contiguous_format, x), "channels_last": (torch.channels_last, x),
                "input too": (torch.channels_last, x.contiguous(memory_format=torch.channels_last))}
        times: dict[str, list[float]] = {run: [] for run in runs}
        for _ in range(args.repeats):
            for run, (memory_format, inputs) in runs.items():
                model.to(memory_format=memory_format)
                times[run].append(time_steps(model, forward, inputs, bf16, args.steps))
        plain, last, both = (statistics.median(times[run]) for run in runs)
        print(f"{name:<20} {str(bf16):>5} {plain:>14.1f} {last:>17.1f} {last / plain:>6.2f} {both:>11.1f} "
              f"{both / plain:>6.2f}", flush=True)


if __name__ == "__main__":
    main()

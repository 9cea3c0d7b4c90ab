"""Training throughput: the helpers' loop (helpers.training.fit + PairedBatches + dann_step) against a
bare PyTorch loop of the same DANN model, batch and data.

Measures: images per second (source + target images) of each, and their ratio (goal >= 0.97).
Hardware: the 2-core CPU machine of DESIGN.md (torch 2.14.1), cpu profile of DannConfig.
Run: .venv/bin/python bench/train_throughput.py [--steps 120] [--repeats 3]
Got (2026-11-23, 2 cores, cpu profile, batch 64+64): see the closing note of the foundation issue.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from helpers.adaptation.common import DomainPair
from helpers.adaptation.config import DannConfig
from helpers.adaptation.dann import build_dann, dann_step
from helpers.config import make_config
from helpers.data import load_domains, to_float
from helpers.data.batches import PairedBatches
from helpers.models.domain import grl_lambda
from helpers.training import fit


class FirstSteps:
    """The first ``steps`` batches of an epoch: the same amount of work for both loops."""

    def __init__(self, batches: PairedBatches, steps: int) -> None:
        self.batches, self.steps = batches, steps

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        for i, batch in enumerate(self.batches):
            if i == self.steps:
                return
            yield batch


def helpers_loop(pair: DomainPair, config: DannConfig, steps: int) -> float:
    torch.manual_seed(0)
    model = build_dann(config, pair.channels)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    batches = FirstSteps(PairedBatches(pair.source.train, pair.target.train, config.batch_size), steps)
    start = time.perf_counter()
    fit(dann_step(model, optimizer, config), lambda: batches, name="bench", epochs=1, modules={"model": model},
        optimizers={"adam": optimizer})
    return 2 * config.batch_size * steps / (time.perf_counter() - start)


def bare_loop(pair: DomainPair, config: DannConfig, steps: int) -> float:
    torch.manual_seed(0)
    model = build_dann(config, pair.channels).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    xs_all, ys_all, xt_all = pair.source.train.images, pair.source.train.labels, pair.target.train.images
    b = config.batch_size
    start = time.perf_counter()
    order_s, order_t = torch.randperm(len(xs_all)), torch.randperm(len(xt_all))
    for i in range(steps):
        index_s = order_s[(i * b) % (len(xs_all) - b):][:b]
        index_t = order_t[(i * b) % (len(xt_all) - b):][:b]
        xs, ys, xt = to_float(xs_all[index_s]), ys_all[index_s], to_float(xt_all[index_t])
        model.domain_classifier.reversal.lambda_ = grl_lambda(i / steps, config.gamma)
        for group in optimizer.param_groups:
            group["lr"] = config.lr / (1 + 10 * i / steps) ** 0.75
        fs, ft = model.feature_extractor(xs), model.feature_extractor(xt)
        class_loss = F.cross_entropy(model.label_predictor(fs), ys)
        domains = torch.cat([torch.zeros(b), torch.ones(b)]).long()
        domain_loss = F.cross_entropy(model.domain_classifier(torch.cat([fs, ft])), domains)
        optimizer.zero_grad(set_to_none=True)
        (class_loss + config.domain_weight * domain_loss).backward()
        optimizer.step()
    return 2 * b * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = make_config(DannConfig, "cpu")
    domains = load_domains("embedded", ["digits-m", "digits-s"], copies=config.copies)
    pair = DomainPair.of(domains["digits-m"], domains["digits-s"])
    steps = min(args.steps, len(pair.source.train) // config.batch_size)
    helpers_loop(pair, config, 10), bare_loop(pair, config, 10)  # warm-up
    ours, bare = [], []
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both alike
        ours.append(helpers_loop(pair, config, steps))
        bare.append(bare_loop(pair, config, steps))
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    print(f"DANN step, batch {config.batch_size}+{config.batch_size}, {steps} steps x {args.repeats}, "
          f"{torch.get_num_threads()} threads")
    print(f"  helpers loop : {ours_median:8.0f} images/s  (runs: {', '.join(f'{v:.0f}' for v in ours)})")
    print(f"  bare PyTorch : {bare_median:8.0f} images/s  (runs: {', '.join(f'{v:.0f}' for v in bare)})")
    print(f"  ratio        : {ours_median / bare_median:8.3f}  (goal >= 0.97)")


if __name__ == "__main__":
    main()

"""The public reference DANN script's recipe on the same pairs as the dann notebook: the bar of #21 item 2.

#21 measured a plain PyTorch DANN at 44.2 / 94.2 / 80.0% on the issue's trees (mnistm->svhn, mnistm->usps,
svhn->mnistm): its own CNN, Adam 1e-3, batch 128, 100 epochs. This re-implements that recipe, as the widely
copied public script writes it (Ganin & Lempitsky's MNIST network: conv 5x5 64, conv 5x5 50 with
Dropout2d, max-pooling, batch norm; a 100-100-10 label head and a 100-2 domain head, both with batch norm;
images 28x28 in three channels scaled to [-1, 1]; source and target in separate passes; the loss is the
source label loss plus the domain loss of both batches; GRL lambda 2 / (1 + exp(-10 p)) - 1; constant lr;
an epoch is as many batches as the smaller domain gives, the last one partial; no augmentation). It loads
the pairs with the suite's own loader (helpers.adaptation.pairs), so the train and test splits are the
notebook's, and prints per pair the target test accuracy after the last epoch and the best over the epochs:
the script prints the best, which it picks with the target's test labels (a choice no real adaptation run
can make, so the notebooks report the last). ``--source-only`` trains the same network without the domain
head's loss.

Measures: target test accuracy (final epoch, best epoch) and seconds per pair. No asserts.
Hardware: the 2-core CPU machine of docs/design.md (about 1 minute per pair and method on a course-layout tree).
Run: python bench/reference_dann.py /tmp/trees/seed0 [/tmp/trees/seed1 embedded] [--source-only] [--seed 1]
Got (2026-11-29): docs/tuning.md, "The public reference script on the same data".
"""
from __future__ import annotations

import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from helpers.adaptation.common import DomainPair
from helpers.adaptation.config import DannConfig
from helpers.adaptation.networks import GradientReversal, grl_lambda
from helpers.adaptation.pairs import load_pairs
from helpers.core.evaluation import accuracy
from helpers.core.images import ImageSet, to_float


class ReferenceDANN(nn.Module):
    """The reference script's network, for 3 x 28 x 28 inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 5), nn.BatchNorm2d(64), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(64, 50, 5), nn.BatchNorm2d(50), nn.Dropout2d(), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten())
        self.label_head = nn.Sequential(
            nn.Linear(800, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Dropout(),
            nn.Linear(100, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Linear(100, 10))
        self.reversal = GradientReversal()
        self.domain_head = nn.Sequential(nn.Linear(800, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Linear(100, 2))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits, so that helpers.core.evaluation.accuracy evaluates it like any classifier."""
        return self.label_head(self.features(images))

    def heads(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class and domain logits, as the script's training pass computes both for either domain."""
        features = self.features(images)
        return self.label_head(features), self.domain_head(self.reversal(features))


def batches(images: ImageSet, batch_size: int, generator: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    order = torch.randperm(len(images), generator=generator)
    return [(to_float(images.images[i]), images.labels[i]) for i in order.split(batch_size)]


def train(pair: DomainPair, *, epochs: int, batch_size: int, lr: float, seed: int, adapt: bool) -> list[float]:
    """The reference recipe on one pair; the target test accuracy after each epoch."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = ReferenceDANN()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    per_epoch = min(math.ceil(len(pair.source.train) / batch_size), math.ceil(len(pair.target.train) / batch_size))
    accuracies = []
    for epoch in range(epochs):
        pairs = zip(batches(pair.source.train, batch_size, generator), batches(pair.target.train, batch_size, generator))
        for i, ((source, labels), (target, _)) in enumerate(pairs):
            progress = (i + epoch * per_epoch) / (epochs * per_epoch)
            model.reversal.lambda_ = grl_lambda(progress)
            class_logits, source_domain = model.heads(source)
            loss = F.cross_entropy(class_logits, labels)
            if adapt:
                _, target_domain = model.heads(target)
                loss = loss + F.cross_entropy(source_domain, torch.zeros(len(source), dtype=torch.long)) \
                    + F.cross_entropy(target_domain, torch.ones(len(target), dtype=torch.long))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        accuracies.append(accuracy(model, pair.target.test))
    return accuracies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", help="course-layout trees, or 'embedded'")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0, help="the training seed (and the embedded data's draw)")
    parser.add_argument("--source-only", action="store_true", help="also train without the domain loss")
    args = parser.parse_args()
    methods = ("source-only", "dann") if args.source_only else ("dann",)
    print("| data | pair | method | final epoch | best epoch (picked with target labels) | seconds |")
    print("|---|---|---|---|---|---|")
    for data in args.data:
        _, pairs = load_pairs(DannConfig(image_size=28), data, args.seed)
        for name, pair in pairs.items():
            pair = DomainPair.of(pair.source.with_channels(3), pair.target.with_channels(3))
            for method in methods:
                start = time.perf_counter()
                accuracies = train(pair, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                                   adapt=method == "dann")
                print(f"| {data} | {name} | {method} | {100 * accuracies[-1]:.1f} | {100 * max(accuracies):.1f} "
                      f"(epoch {accuracies.index(max(accuracies)) + 1}) | {time.perf_counter() - start:.0f} |",
                      flush=True)


if __name__ == "__main__":
    main()

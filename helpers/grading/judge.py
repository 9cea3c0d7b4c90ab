"""The suite's digit classifier: the judge of every generative notebook.

Trained once per data set on real images and cached under ``reports/_judge/``, it supplies the feature
space of the classifier FID, recognisability (confident predictions), label agreement of conditional
samples, and the diversity of predicted classes. It is a small CNN, so its FID numbers are comparable only
with other numbers from the same judge (the tables say "classifier FID"), never with Inception FID.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from helpers.core.checkpoint import load_checkpoint, save_checkpoint
from helpers.core.digit_cnn import FeatureExtractor
from helpers.core.evaluation import apply
from helpers.core.images import ImageSet
from helpers.core.runtime import place
from helpers.core.training import fit
from helpers.data.batches import Batches

FEATURES = 64
JUDGE_VERSION = 2  # part of the cache key: bump it when the network or its training changes


class JudgeNet(nn.Module):
    """Conv(5x5)-BN-ReLU-Pool x2 (16, 32 channels) on the contrast-normalised image, a 64-unit feature layer, 10 logits."""

    def __init__(self, channels: int, image_size: int, n_classes: int = 10) -> None:
        super().__init__()
        self.extractor = FeatureExtractor(channels, widths=(16, 32), padding=2, image_size=image_size, dropout=0.1)
        self.embed = nn.Sequential(nn.Linear(self.extractor.out_features, FEATURES), nn.ReLU(inplace=True))
        self.head = nn.Sequential(nn.Dropout(0.1), nn.Linear(FEATURES, n_classes))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.embed(self.extractor(images))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


@dataclass
class Judge:
    """A trained judge: its network, the size of image it reads and its held-out accuracy."""

    net: JudgeNet
    channels: int
    image_size: int
    accuracy: float
    device: torch.device

    def _check(self, images: torch.Tensor) -> None:
        if images.ndim != 4 or tuple(images.shape[1:]) != (self.channels, self.image_size, self.image_size):
            raise ValueError(f"the judge reads [N, {self.channels}, {self.image_size}, {self.image_size}] images in "
                             f"[-1, 1]; got {tuple(images.shape)}")

    @torch.no_grad()
    def _batched(self, fn, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        self._check(images)
        self.net.eval()
        return torch.cat([fn(images[i:i + batch_size].to(self.device)).float().cpu()
                          for i in range(0, len(images), batch_size)])

    def features(self, images: torch.Tensor) -> np.ndarray:
        """The 64-d feature layer for float images in [-1, 1]: the space of the classifier FID."""
        return self._batched(self.net.features, images).double().numpy()

    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        return self._batched(lambda x: F.softmax(self.net(x), 1), images)


def recognised(judge: Judge, images: torch.Tensor, threshold: float = 0.9) -> float:
    """Fraction of images the judge classifies with confidence >= ``threshold``."""
    return (judge.probabilities(images).max(1).values >= threshold).float().mean().item()


def between_digits(judge: Judge, images: torch.Tensor, threshold: float = 0.9) -> float:
    """Fraction of images the judge reads as a mix of two classes: its top class below ``threshold``, its top
    two together at least ``threshold`` (a generator's images between two digits)."""
    top = judge.probabilities(images).topk(2, dim=1).values
    return ((top[:, 0] < threshold) & (top.sum(1) >= threshold)).float().mean().item()


def label_agreement(judge: Judge, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of images whose predicted class is the requested label."""
    return (judge.probabilities(images).argmax(1) == labels.cpu()).float().mean().item()


def per_digit_accuracy(predicted: torch.Tensor, labels: torch.Tensor, classes: int = 10) -> dict[str, float]:
    """The fraction of each digit's (class's) samples that the classifier reads as that digit, and ``overall``."""
    table = {str(c): float((predicted[labels == c] == c).float().mean()) for c in range(classes) if (labels == c).any()}
    table["overall"] = float((predicted == labels).float().mean())
    return table


def class_entropy(judge: Judge, images: torch.Tensor, n_classes: int = 10) -> float:
    """Entropy (nats) of the histogram of predicted classes: log(10) = 2.30 when every digit is equally
    common, 0 when every sample is the same digit (mode collapse)."""
    counts = torch.bincount(judge.probabilities(images).argmax(1), minlength=n_classes).double()
    p = counts[counts > 0] / counts.sum()
    return max(0.0, float(-(p * p.log()).sum()))  # never -0.0


def not_digits(images: torch.Tensor) -> torch.Tensor:
    """Images with a digit's colours and texture but no digit: real images cut into 4x4-pixel tiles that are
    shuffled, and blurred noise. The judge's outlier-exposure examples."""
    n, c, h, w = images.shape
    half = n // 2
    tiles = images[:half].unfold(2, 4, 4).unfold(3, 4, 4)  # [half, C, h/4, w/4, 4, 4]
    grid = tiles.shape[2] * tiles.shape[3]
    order = torch.argsort(torch.rand(half, grid, device=images.device), 1)
    flat = tiles.reshape(half, c, grid, 4, 4)
    shuffled = torch.gather(flat, 2, order[:, None, :, None, None].expand_as(flat))
    shuffled = shuffled.reshape(half, c, tiles.shape[2], tiles.shape[3], 4, 4).permute(0, 1, 2, 4, 3, 5).reshape(half, c, h, w)
    noise = F.avg_pool2d(torch.rand(n - half, c, h, w, device=images.device) * 2 - 1, 5, 1, 2)
    noise = noise / noise.abs().amax((1, 2, 3), keepdim=True).clamp_min(1e-6)
    return torch.cat([shuffled, noise])


def _held_out_split(data: ImageSet, fraction: float, seed: int) -> tuple[ImageSet, ImageSet]:
    """Split by base digit when the set records one (copies of a digit stay together), else by image."""
    groups = data.origin if data.origin is not None else torch.arange(len(data))
    unique = groups.unique()
    gen = torch.Generator().manual_seed(seed)
    held = unique[torch.randperm(len(unique), generator=gen)[:max(1, math.ceil(fraction * len(unique)))]]
    mask = torch.isin(groups, held)
    return data.subset((~mask).nonzero().flatten()), data.subset(mask.nonzero().flatten())


def _cache_key(data: ImageSet, steps: int, seed: int) -> str:
    digest = hashlib.sha256()
    digest.update(data.images.contiguous().numpy().tobytes())
    digest.update(data.labels.contiguous().numpy().tobytes())
    digest.update(f"{JUDGE_VERSION}|{FEATURES}|{steps}|{seed}".encode())
    return digest.hexdigest()[:12]


# optimisation steps of batch 128; cpu-lite grades with the cpu profile's judge, so that their figures compare
JUDGE_STEPS = {"smoke": 40, "cpu-lite": 600, "cpu": 600, "gpu": 1500}


def load_judge(train: ImageSet, *, cache_dir: Path | str, device: torch.device | str = "cpu", seed: int = 0,
               profile: str = "cpu", held_out: ImageSet | None = None) -> Judge:
    """The judge for ``train``'s images: loaded from ``cache_dir`` when one was trained on exactly these
    images before, else trained (Adam, a few epochs) and saved there atomically.

    Its accuracy is measured on ``held_out`` when given, else on 10% of ``train`` set aside by base digit."""
    if profile not in JUDGE_STEPS:
        raise ValueError(f"unknown profile {profile!r} for the judge; valid choices: {', '.join(JUDGE_STEPS)}")
    if len(train.labels.unique()) < 2:
        raise ValueError(f"{train.name}: the judge needs labelled images of several classes")
    device = torch.device(device)
    steps = JUDGE_STEPS[profile]
    channels, image_size = train.images.shape[1], train.images.shape[2]
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", train.name)
    path = Path(cache_dir) / f"judge-{label}-{channels}x{image_size}-{_cache_key(train, steps, seed)}.pt"
    net = place(JudgeNet(channels, image_size), device)
    if path.exists():
        state = load_checkpoint(path)
        net.load_state_dict(state["model"])
        return Judge(net.eval(), channels, image_size, state["accuracy"], device)

    fit_set, check_set = (train, held_out) if held_out is not None else _held_out_split(train, 0.1, seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    batches = Batches(fit_set, min(128, len(fit_set)), device)
    epochs = math.ceil(steps / len(batches))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * len(batches))

    def step(batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        images, labels = batch
        # Small shifts make the judge read digits by shape, not by exact position.
        shift = torch.randint(-2, 3, (2,)).tolist()
        logits = net(torch.cat([torch.roll(images, shifts=shift, dims=(2, 3)), not_digits(images)]))
        n = len(images)
        # Outlier exposure (Hendrycks et al., 2019): on images that are no digit the judge learns to be unsure
        # (cross-entropy to the uniform distribution), so "recognised with confidence" means a digit.
        loss = F.cross_entropy(logits[:n], labels) - 0.5 * F.log_softmax(logits[n:], 1).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return {"loss": loss.detach()}

    fit(step, lambda: batches, name="judge", epochs=epochs, modules={"judge": net}, optimizers={"adam": optimizer},
        seed=seed)
    net.eval()
    accuracy = (apply(net, check_set, device).argmax(1) == check_set.labels).float().mean().item()
    save_checkpoint({"model": net.state_dict(), "accuracy": accuracy, "trained_on": train.name}, path)
    return Judge(net, channels, image_size, accuracy, device)


def judge_if_labelled(train: ImageSet, held_out: ImageSet, *, cache_dir: Path | str, device: torch.device | str,
                      seed: int, profile: str) -> Judge | None:
    """The notebooks' grading set-up: the judge of ``train`` when its images have class labels (its held-out
    accuracy printed), else None with a note that the classifier measures are left out."""
    if train.labels.unique().numel() < 2:
        print("these images have no class labels: no digit classifier, so no classifier FID, recognised share "
              "or diversity")
        return None
    judge = load_judge(train, cache_dir=cache_dir, device=device, seed=seed, profile=profile, held_out=held_out)
    print(f"digit classifier: {judge.accuracy:.1%} accuracy on the held-out real images")
    return judge

"""The diffusion notebooks' pipeline: build the UNet, train it with an EMA copy of the weights, sample
from the EMA model in timed batches, and grade samples with the suite's digit classifier.

The noise math is in :mod:`helpers.diffusion.process`, the network in :mod:`helpers.diffusion.networks`.
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from helpers.core.checkpoint import checkpoint_path
from helpers.core.config import as_dict, budget
from helpers.core.ema import WeightAverage
from helpers.core.images import ImageSet, resize
from helpers.core.training import History, fit
from helpers.data.batches import Batches
from helpers.diffusion.config import DiffusionConfig
from helpers.diffusion.networks import UNet
from helpers.diffusion.process import Schedule, diffusion_loss, drop_labels, make_schedule, sample_steps


@dataclass
class TrainedDiffusion:
    """The trained UNet, its EMA copy (the one that samples) and the noise schedule."""

    model: UNet
    ema: WeightAverage
    schedule: Schedule
    history: History
    seconds: float  # training wall time of this run (0 when a finished checkpoint was reused)
    bf16: bool = False  # the UNet runs under bfloat16 autocast (as it was trained): see :func:`autocast_bf16`
    checkpoint: Path | None = None  # the file training saved to and resumes from (None: not saved)

    @property
    def sampler_model(self) -> UNet:
        return self.ema.module

    @property
    def null_label(self) -> int | None:
        return self.model.null_label


def resized_set(data: ImageSet, size: int) -> ImageSet:
    return ImageSet(resize(data.images, size), data.labels, data.name, data.origin)


def unet_settings(config: DiffusionConfig, channels: int, num_classes: int | None = None) -> dict:
    """The UNet's constructor arguments as plain values (what a checkpoint's record keeps to rebuild it)."""
    return {"in_channels": channels, "size": config.image_size, "base_channels": config.base_channels,
            "channel_mults": list(config.channel_mults), "num_classes": num_classes,
            "attention_resolution": config.attention_resolution}


def unet_from_settings(settings: Mapping) -> UNet:
    """The UNet that :func:`unet_settings` describes."""
    return UNet(**{**settings, "channel_mults": tuple(settings["channel_mults"])})


def build_unet(config: DiffusionConfig, channels: int, num_classes: int | None = None) -> UNet:
    return unet_from_settings(unet_settings(config, channels, num_classes))


def autocast_bf16(model: UNet, device: torch.device | str, enabled: bool = True):
    """``model`` as a noise model ``(x_t, t, labels) -> eps`` whose layers run under bfloat16 autocast (mixed
    precision: the weights and the sampler's arithmetic stay float32, eps comes back as float32)."""
    if not enabled:
        return model
    device_type = torch.device(device).type

    def eps(x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        with torch.autocast(device_type, dtype=torch.bfloat16):
            return model(x, t, labels).float()

    return eps


def training_fields(config: DiffusionConfig) -> dict:
    """The fields that shape the trained weights (those of :class:`DiffusionConfig`, plus ``p_uncond`` and
    ``bf16`` where the config has them): the sampling and grading settings can change without retraining."""
    names = {f.name for f in dataclasses.fields(DiffusionConfig)} | {"p_uncond", "bf16"}
    fields = {k: v for k, v in as_dict(config).items() if k in names}
    if fields["loss_weighting"] == "simple":  # named only when used: checkpoints made before it existed resume
        del fields["loss_weighting"], fields["min_snr_gamma"]
    return fields


def diffusion_checkpoint(folder: Path | str, config: DiffusionConfig, train: ImageSet, *, conditional: bool, data: str,
                         seed: int) -> Path:
    """Where :func:`train_diffusion` saves and resumes: ``<folder>/{ddpm|conditional}_<fingerprint>.pt``, named by
    the fields that shape the weights (:func:`training_fields`), the data the notebook was given (``data``), the
    number of training images and the settings they were made with (``config.data_settings()``), and the seed."""
    return checkpoint_path(folder, "conditional" if conditional else "ddpm", config=training_fields(config), data=data,
                           seed=seed, images=len(train), **config.data_settings())


def train_diffusion(config: DiffusionConfig, train: ImageSet, *, conditional: bool, name: str,
                    device: torch.device | str = "cpu", seed: int = 0, checkpoint_dir: Path | str | None = None,
                    data: str | None = None, num_classes: int = 10, deliverable: Mapping | None = None
                    ) -> TrainedDiffusion:
    """Train eps_theta with the loss ``config.loss_weighting`` names (AdamW, linear warm-up then cosine decay of
    the learning rate) and keep an exponential moving average of the weights
    (:class:`helpers.core.ema.WeightAverage`). Conditional training drops each label with probability
    ``config.p_uncond`` (the null label), as classifier-free guidance needs.
    A config whose ``bf16`` is true trains the UNet under bfloat16 autocast (mixed precision), and the result
    samples that way too. With a ``checkpoint_dir`` the training is saved (:func:`helpers.core.training.fit`) to
    :func:`diffusion_checkpoint` there (which names ``data``, the data the notebook was given), and a run with the
    same settings resumes from it.
    ``deliverable`` is the checkpoint's record for ``helpers.predict``."""
    checkpoint = None
    if checkpoint_dir is not None:
        if data is None:
            raise ValueError(f"checkpoint_dir={str(checkpoint_dir)!r} needs data= (e.g. 'embedded' or the course "
                             f"folder), which names the checkpoint")
        checkpoint = diffusion_checkpoint(checkpoint_dir, config, train, conditional=conditional, data=data, seed=seed)
    train = resized_set(train, config.image_size)
    bf16 = bool(getattr(config, "bf16", False))
    device_type = torch.device(device).type
    torch.manual_seed(seed)
    model = build_unet(config, train.channels, num_classes if conditional else None).to(device)
    ema = WeightAverage(model, config.ema_decay)  # the copy that samples
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    schedule = make_schedule(config.T, config.schedule)
    length = budget(config, "steps", len(train))
    batches = lambda: Batches(train, length.batch_size, device)  # noqa: E731
    total_steps = length.total_steps

    def step(batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        x, y = batch
        done = progress * total_steps
        warm = min(1.0, (done + 1) / config.warmup_steps) if config.warmup_steps else 1.0
        for group in optimizer.param_groups:
            group["lr"] = config.lr * warm * 0.5 * (1 + math.cos(math.pi * progress))
        labels = drop_labels(y, config.p_uncond, model.null_label) if conditional else None  # type: ignore[attr-defined]
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=bf16):
            loss = diffusion_loss(model, schedule, x, labels, weighting=config.loss_weighting,
                                  min_snr_gamma=config.min_snr_gamma)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        ema.update_parameters(model)
        return {"loss": loss.detach()}

    start = time.perf_counter()
    history = fit(step, batches, name=name, epochs=length.epochs, max_steps=length.max_steps,
                  modules={"unet": model, "ema": ema},
                  optimizers={"adamw": optimizer}, checkpoint=checkpoint, seed=seed, deliverable=deliverable)
    return TrainedDiffusion(model, ema, schedule, history, time.perf_counter() - start, bf16, checkpoint)


def generate(trained: TrainedDiffusion, n: int, *, sampler: str, labels: torch.Tensor | None = None, w: float = 0.0,
             batch_size: int = 500, device: torch.device | str = "cpu", seed: int = 0,
             snapshots: Sequence[int] = (), x_T: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, float, dict[int, torch.Tensor]]:
    """``n`` samples of the EMA model in [-1, 1] (on the CPU), the wall seconds they took, and the first
    sample's x_t at each paper time t in ``snapshots`` (e.g. 1000, 800, ..., 0) that the sampler visits.
    ``x_T`` (``n`` noise images) fixes the starting noise, e.g. to compare samplers from the same points; without
    it the starting noise is drawn from ``seed``, batch after batch (the same numbers as one draw of ``n``)."""
    if x_T is not None and len(x_T) != n:
        raise ValueError(f"x_T holds {len(x_T)} noise images for n={n} samples")
    model = trained.sampler_model.eval()
    channels, size = model.in_channels, model.size
    eps_model = autocast_bf16(model, device, trained.bf16)
    gen = torch.Generator().manual_seed(seed)
    out, kept = [], {}
    start = time.perf_counter()
    for first in tqdm(range(0, n, batch_size), desc=f"sampling {sampler}", leave=False, disable=n <= batch_size):
        count = min(batch_size, n - first)
        batch_labels = None if labels is None else labels[first:first + count]
        x = None
        for t, x in sample_steps(eps_model, trained.schedule, (count, channels, size, size), sampler=sampler,
                                 labels=batch_labels, w=w, null_label=trained.null_label, generator=gen, device=device,
                                 x_T=None if x_T is None else x_T[first:first + count]):
            if first == 0 and t in snapshots:
                kept[t] = x[0].detach().clamp(-1, 1).cpu()
        out.append(x.clamp(-1, 1).cpu())
    return torch.cat(out), time.perf_counter() - start, kept


def digit_labels(per_digit: int, classes: int = 10) -> torch.Tensor:
    """0, 0, ..., 1, 1, ...: ``per_digit`` of each class, in class order."""
    return torch.arange(classes).repeat_interleave(per_digit)

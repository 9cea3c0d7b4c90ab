"""Deliverables of the diffusion notebooks (ddpm, conditional_diffusion): the records their checkpoints carry,
image generation from a checkpoint, and grading of image folders.

- ddpm: ``--n`` images (default 1000) ``0000.png ...`` (at least 4 digits), its samples resized to its data's size (as
  the notebook grades them), 8-bit. Graded as the gan notebook's images
  (:func:`helpers.gans.deliverable.evaluate_images`).
- conditional_diffusion: ``--n`` images per digit (default 100) ``<digit>_<idx:03d>.png`` from 001 (4 digits from
  1000), sampled with the notebook's sampler and guidance scale (``--steps`` picks DDIM with that many steps,
  ``--guidance`` the scale). Graded by label agreement: the share the suite's digit classifier reads as the digit in
  the name.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from helpers.core.config import make_config, resolve_profile
from helpers.core.ema import WeightAverage
from helpers.core.images import Domain, as_uint8, native_size, resize
from helpers.data import EMBEDDED
from helpers.data.course import DataLayoutError, course_domain, domain_folder
from helpers.deliverables.files import numbered, write_images
from helpers.deliverables.record import DeliverableError, deliverable, load_weights, written_size
from helpers.diffusion.config import ConditionalDiffusionConfig
from helpers.diffusion.experiment import (TrainedDiffusion, digit_labels, generate,
                                          unet_from_settings, unet_settings)
from helpers.diffusion.process import check_guidance, make_schedule, parse_sampler
from helpers.grading.folders import (JUDGE_SEED, agreement_scores, labels_in_names, notebook_judge, read_folder,
                                     real_digits)


N_IMAGES = 1000      # ddpm: images written by default
PER_DIGIT = 100      # conditional_diffusion: images per digit by default


def ddpm_record(config: Any, channels: int, *, data: str) -> dict[str, Any]:
    """The record of the DDPM notebook's checkpoint: the EMA UNet, its schedule, the sampler of the FID table
    and the size the notebook grades at (its data's size); with a folder of images, their own size, which predict
    writes (:func:`helpers.deliverables.record.written_size`)."""
    return deliverable("ddpm", modules="ema", unet=unet_settings(config, channels), T=config.T,
                       schedule=config.schedule, sampler=config.fid_sampler, output_size=config.data_image_size,
                       data=data, course_size=None if data == EMBEDDED else native_size(data))


def conditional_record(config: Any, channels: int, *, data: str) -> dict[str, Any]:
    """The record of the conditional notebook's checkpoint: the EMA UNet, its schedule, and the sampler and
    guidance scale of the notebook's 10x10 grid and per-digit table; with a course folder, the size of its
    MNIST-M images, which predict writes (:func:`helpers.deliverables.record.written_size`)."""
    return deliverable("conditional_diffusion", modules="ema", unet=unet_settings(config, channels, 10), T=config.T,
                       schedule=config.schedule, sampler=config.sampler, w=config.w, output_size=config.judge_size,
                       bf16=config.bf16, data=data,
                       course_size=None if data == EMBEDDED else native_size(domain_folder(data, "mnistm") / "data"))


def trained_from_record(record: Mapping[str, Any], weights: Mapping[str, Any], device: torch.device | str):
    """The notebook's trained diffusion model (the EMA weights sample) from a checkpoint's record."""
    s = record["settings"]
    model = unet_from_settings(s["unet"])
    ema = WeightAverage(model, 0.0)
    load_weights(ema, weights["ema"], "EMA")
    return TrainedDiffusion(model, ema.to(device), make_schedule(s["T"], s["schedule"]), {}, 0.0,
                            bf16=bool(s.get("bf16", False)))


def sampler_for(record: Mapping[str, Any], steps: int | None) -> str:
    """The record's sampler, or DDIM with ``steps`` steps."""
    sampler = record["settings"]["sampler"] if steps is None else f"ddim-{steps}"
    try:
        parse_sampler(sampler, record["settings"]["T"])
    except ValueError as error:
        raise DeliverableError(f"--steps {steps}: {error}") from None
    return sampler


def predict_ddpm(record: Mapping[str, Any], weights: Mapping[str, Any], *, output: Path, n: int | None = None,
                 steps: int | None = None, size: int | None = None, seed: int = 0, batch_size: int = 256,
                 device: torch.device | str = "cpu", overwrite: bool = False, **unused: Any) -> Path:
    """``n`` DDPM samples, at :func:`helpers.deliverables.record.written_size`."""
    trained = trained_from_record(record, weights, device)
    sampler, n = sampler_for(record, steps), n or N_IMAGES
    images, _, _ = generate(trained, n, sampler=sampler, batch_size=batch_size, device=device, seed=seed)
    images = as_uint8(resize(images, written_size(record["settings"], size, record["settings"]["output_size"])))
    return write_images(images, [f"{numbered(i, n - 1, 4)}.png" for i in range(n)], output, overwrite)


def predict_conditional(record: Mapping[str, Any], weights: Mapping[str, Any], *, output: Path, n: int | None = None,
                        steps: int | None = None, guidance: float | None = None, size: int | None = None, seed: int = 0,
                        batch_size: int = 256, device: torch.device | str = "cpu", overwrite: bool = False,
                        **unused: Any) -> Path:
    """``n`` samples of each digit 0-9, named ``<digit>_<idx:03d>.png`` (idx from 001), with classifier-free
    guidance, at :func:`helpers.deliverables.record.written_size`."""
    trained = trained_from_record(record, weights, device)
    sampler, n = sampler_for(record, steps), n or PER_DIGIT
    w = record["settings"]["w"] if guidance is None else guidance
    try:
        check_guidance(w)
    except ValueError as error:
        raise DeliverableError(f"--guidance {guidance}: {error}") from None
    labels = digit_labels(n)
    images, _, _ = generate(trained, len(labels), sampler=sampler, labels=labels, w=w, batch_size=batch_size,
                            device=device, seed=seed)
    images = as_uint8(resize(images, written_size(record["settings"], size, record["settings"]["output_size"])))
    # from 0_001.png, as the course
    names = [f"{digit}_{numbered(i + 1, n, 3)}.png" for digit in range(10) for i in range(n)]
    return write_images(images, names, output, overwrite)


def conditional_truth(truth: Path | str, size: int, profile: str, seed: int = JUDGE_SEED) -> Domain:
    """The labelled real digits the judge learns: the embedded ``digits-m``, or the course's MNIST-M
    (TRUTH the digits folder that holds ``mnistm/``, or ``mnistm/`` itself)."""
    if str(truth) == EMBEDDED:
        return real_digits("digits-m", size, make_config(ConditionalDiffusionConfig, profile).copies, seed)
    try:
        return course_domain(truth, "mnistm", size=size)
    except DataLayoutError as error:
        raise DeliverableError(f"TRUTH {truth}: 'embedded' or the course's digits folder with mnistm/ ({error})") from None


def evaluate_conditional(pred: Path, truth: Path | str, *, device: torch.device | str = "cpu",
                         reports: Path | str = "reports", profile: str = "auto", seed: int = JUDGE_SEED,
                         **unused: Any) -> dict[str, float | None]:
    """conditional_diffusion: label agreement (overall and per digit) of PRED's ``<digit>_<idx>.png`` images,
    read by the suite's digit classifier of TRUTH's real digits."""
    pred = Path(pred)
    files, images = read_folder(pred, "PRED", mode="RGB")
    labels = labels_in_names(files, pred)
    profile = resolve_profile(profile)
    judge = notebook_judge(conditional_truth(truth, images.shape[-1], profile, seed), profile, device, reports, seed)
    return agreement_scores(judge, images, labels)

"""Deliverables of the generative notebooks (gan, ddpm, conditional_diffusion): the records their
checkpoints carry, image generation from a checkpoint, and grading of image folders.

- gan, ddpm: ``--n`` images (default 1000) ``0000.png ...`` at the size the notebook grades (the GAN's
  image size; the DDPM's samples resized to its data's size, as the notebook does), 8-bit as the notebook
  quantises them. Graded by the classifier FID (and Inception FID when its weights exist) against TRUTH.
- conditional_diffusion: ``--n`` images per digit (default 100) ``<digit>_<idx:03d>.png``, sampled with the
  notebook's sampler and guidance scale (``--steps`` picks DDIM with that many steps, ``--guidance`` the
  scale). Graded by label agreement: the share the suite's digit classifier reads as the digit in the name.

TRUTH ``embedded`` is the real images the notebook grades against (the held-out embedded digits, seed 0),
and the digit classifier is the notebook's: the same data, the same profile (``auto``: ``$DLCV_PROFILE``,
else gpu with CUDA, else cpu), loaded from ``<reports>/_judge/`` (``--reports``, default ``reports`` under
the current folder) when a notebook trained it there, else trained once and cached there.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from helpers.core.config import make_config, resolve_profile
from helpers.data import EMBEDDED, DataLayoutError, course_domain, embedded_domains, to_float
from helpers.data.images import Domain
from helpers.deliverables.files import image_files, read_images, save_image, staged_folder
from helpers.deliverables.record import DeliverableError, deliverable

N_IMAGES = 1000      # gan, ddpm: images written by default
PER_DIGIT = 100      # conditional_diffusion: images per digit by default
JUDGE_SEED = 0       # the notebooks' default seed, which fixes the embedded split and the judge
JUDGE_CACHE = Path("reports") / "_judge"  # where the notebooks cache the judge, from the repository root


# ---------------------------------------------------------------- records (what the notebooks store)

def gan_record(method: str, gan: Any, *, data: str) -> dict[str, Any]:
    """The record of a GAN notebook checkpoint, read off the built ``gan``: its generator's constructor arguments,
    and whether its samples come from the generator's weight average (when the GAN keeps one)."""
    g = gan.generator
    return deliverable("gan", modules="ema" if gan.ema is not None else "generator", method=method,
                       image_size=g.image_size, channels=g.channels, width=g.width, z_dim=g.z_dim, code=g.code,
                       data=data)


def ddpm_record(config: Any, channels: int, *, data: str) -> dict[str, Any]:
    """The record of the DDPM notebook's checkpoint: the EMA UNet, its schedule, the sampler of the FID table
    and the size the notebook grades at (its data's size)."""
    from helpers.diffusion.experiment import unet_settings

    return deliverable("ddpm", modules="ema", unet=unet_settings(config, channels), T=config.T,
                       schedule=config.schedule, sampler=config.fid_sampler, output_size=config.data_image_size,
                       data=data)


def conditional_record(config: Any, channels: int, *, data: str) -> dict[str, Any]:
    """The record of the conditional notebook's checkpoint: the EMA UNet, its schedule, and the sampler and
    guidance scale of the notebook's 10x10 grid and per-digit table."""
    from helpers.diffusion.experiment import unet_settings

    return deliverable("conditional_diffusion", modules="ema", unet=unet_settings(config, channels, 10), T=config.T,
                       schedule=config.schedule, sampler=config.sampler, w=config.w, output_size=config.judge_size,
                       bf16=config.bf16, data=data)


# ---------------------------------------------------------------- predict

def write_images(images: torch.Tensor, names: Sequence[str], output: Path, overwrite: bool) -> Path:
    """uint8 images ``[N, C, H, W]`` as PNG files ``names`` in the folder ``output``, whole or not at all."""
    with staged_folder(output, overwrite=overwrite) as stage:
        for image, name in zip(images, names):
            save_image(image, stage / name)
    return Path(output)


def load_weights(module: torch.nn.Module, state: Mapping[str, Any], what: str) -> None:
    try:
        module.load_state_dict(state)
    except RuntimeError as error:
        raise DeliverableError(f"the checkpoint's {what} weights do not fit the model its record describes "
                               f"({str(error).splitlines()[0]})") from None


def predict_gan(record: Mapping[str, Any], weights: Mapping[str, Any], *, output: Path, n: int | None = None,
                seed: int = 0, batch_size: int = 256, device: torch.device | str = "cpu", overwrite: bool = False,
                **unused: Any) -> Path:
    """``n`` images of the GAN's generator, from the noise that ``seed`` fixes."""
    from helpers.core.images import as_uint8
    from helpers.gans.experiment import sample
    from helpers.gans.networks import Generator

    s = record["settings"]
    generator = Generator(s["image_size"], s["channels"], s["width"], s["z_dim"], code=s.get("code", 0))
    if "ema" in weights:  # the notebook samples the generator's weight average: an AveragedModel's state,
        # the generator's weights under "module." and the count of updates under "n_averaged"
        average = {k.removeprefix("module."): v for k, v in weights["ema"].items() if k != "n_averaged"}
        load_weights(generator, average, "generator's weight average")
    else:
        load_weights(generator, weights["generator"], "generator")
    n = n or N_IMAGES
    images = as_uint8(sample(generator.to(device), n, seed=seed, batch_size=batch_size))
    return write_images(images, [f"{i:04d}.png" for i in range(n)], output, overwrite)


def trained_from_record(record: Mapping[str, Any], weights: Mapping[str, Any], device: torch.device | str):
    """The notebook's trained diffusion model (the EMA weights sample) from a checkpoint's record."""
    from helpers.diffusion.process import make_schedule
    from helpers.diffusion.experiment import TrainedDiffusion, ema_copy, unet_from_settings

    s = record["settings"]
    model = unet_from_settings(s["unet"])
    ema = ema_copy(model, 0.0)
    load_weights(ema, weights["ema"], "EMA")
    return TrainedDiffusion(model, ema.to(device), make_schedule(s["T"], s["schedule"]), {}, 0.0,
                            bf16=bool(s.get("bf16", False)))


def sampler_for(record: Mapping[str, Any], steps: int | None) -> str:
    """The record's sampler, or DDIM with ``steps`` steps."""
    from helpers.diffusion.process import parse_sampler

    sampler = record["settings"]["sampler"] if steps is None else f"ddim-{steps}"
    try:
        parse_sampler(sampler, record["settings"]["T"])
    except ValueError as error:
        raise DeliverableError(f"--steps {steps}: {error}") from None
    return sampler


def predict_ddpm(record: Mapping[str, Any], weights: Mapping[str, Any], *, output: Path, n: int | None = None,
                 steps: int | None = None, seed: int = 0, batch_size: int = 256, device: torch.device | str = "cpu",
                 overwrite: bool = False, **unused: Any) -> Path:
    """``n`` DDPM samples, at the data's size as the notebook grades them."""
    from helpers.diffusion.experiment import generate, resize
    from helpers.core.images import as_uint8

    trained = trained_from_record(record, weights, device)
    sampler, n = sampler_for(record, steps), n or N_IMAGES
    images, _, _ = generate(trained, n, sampler=sampler, batch_size=batch_size, device=device, seed=seed)
    images = as_uint8(resize(images, record["settings"]["output_size"]))
    return write_images(images, [f"{i:04d}.png" for i in range(n)], output, overwrite)


def predict_conditional(record: Mapping[str, Any], weights: Mapping[str, Any], *, output: Path, n: int | None = None,
                        steps: int | None = None, guidance: float | None = None, seed: int = 0, batch_size: int = 256,
                        device: torch.device | str = "cpu", overwrite: bool = False, **unused: Any) -> Path:
    """``n`` samples of each digit 0-9, named ``<digit>_<idx:03d>.png``, with classifier-free guidance."""
    from helpers.diffusion.process import check_guidance
    from helpers.diffusion.experiment import digit_labels, generate, resize
    from helpers.core.images import as_uint8

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
    images = as_uint8(resize(images, record["settings"]["output_size"]))
    names = [f"{digit}_{i:03d}.png" for digit in range(10) for i in range(n)]
    return write_images(images, names, output, overwrite)


# ---------------------------------------------------------------- the judge and the real images

def note(message: str) -> None:
    """What the grading used or left out, on stderr (stdout may carry ``--json``)."""
    print(message, file=sys.stderr)


def real_digits(name: str, size: int, profile: str) -> Domain:
    """The embedded data set ``name`` as the notebooks render it at ``size`` for ``profile`` (seed 0)."""
    if name == "digits":  # gan and ddpm: the GAN notebook's data (the DDPM notebook's data_copies are the same)
        from helpers.gans.config import GanConfig
        copies = make_config(GanConfig, profile).copies
    else:
        from helpers.diffusion.config import ConditionalDiffusionConfig
        copies = make_config(ConditionalDiffusionConfig, profile).copies
    return embedded_domains([name], seed=JUDGE_SEED, size=size, copies=copies)[name]


def notebook_judge(domain: Domain, profile: str, device: torch.device | str, reports: Path | str = "reports"):
    """The suite's digit classifier of ``domain``, as the notebooks load it (trained once, then cached
    under ``reports/_judge``)."""
    from helpers.grading.judge import load_judge

    cache = Path(reports) / JUDGE_CACHE.name
    judge = load_judge(domain.train, cache_dir=cache, device=device, seed=JUDGE_SEED, profile=profile,
                       held_out=domain.test)
    note(f"digit classifier of {domain.train.name} ({profile} profile, {cache}): "
         f"{judge.accuracy:.1%} on its held-out real images")
    return judge


def read_folder(folder: Path, parameter: str, *, mode: str | None = None, size: int | None = None,
                pattern: str = "*") -> tuple[list[Path], torch.Tensor]:
    files = image_files(folder, pattern=pattern, parameter=parameter)
    images = read_images(files, mode=mode, size=size)
    if images.shape[-1] != images.shape[-2]:
        raise DeliverableError(f"{parameter} {folder}: the images are {images.shape[-1]}x{images.shape[-2]}; "
                               f"square images expected")
    return files, images


# ---------------------------------------------------------------- evaluate

def evaluate_images(pred: Path, truth: Path | str, *, device: torch.device | str = "cpu",
                    reports: Path | str = "reports", **unused: Any) -> dict[str, float | None]:
    """gan, ddpm: classifier FID (and recognised share) with the suite's digit classifier, and Inception FID
    when its weights exist, of PRED's images against TRUTH's (``embedded``: the notebooks' held-out digits;
    or a folder of real images, read at PRED's size)."""
    from helpers.grading.fid import MissingWeightsError, classifier_fid, inception_fid
    from helpers.grading.judge import recognised

    _, fake = read_folder(Path(pred), "PRED")
    if len(fake) < 2:
        raise DeliverableError(f"PRED {pred}: FID needs at least 2 images, found {len(fake)}")
    channels, size = fake.shape[1], fake.shape[-1]
    profile = resolve_profile("auto")
    judge = None
    if str(truth) == EMBEDDED:
        if channels != 1:
            raise DeliverableError(f"PRED {pred} holds colour images; TRUTH 'embedded' is the gray embedded digits: "
                                   f"pass a folder of real images as TRUTH")
        domain = real_digits("digits", size, profile)
        real = domain.test.images
        judge = notebook_judge(domain, profile, device, reports)
    else:
        _, real = read_folder(Path(truth), "TRUTH", mode="L" if channels == 1 else "RGB", size=size)
        if channels == 1:
            judge = notebook_judge(real_digits("digits", size, profile), profile, device, reports)
        else:
            note("no classifier FID: the suite's digit classifier reads gray digits and these images are colour")
    real, fake = to_float(real), to_float(fake)
    scores: dict[str, float | None] = {"fid_classifier": None, "recognised": None}
    if judge is not None:
        scores["fid_classifier"] = classifier_fid(judge, real, fake)
        scores["recognised"] = recognised(judge, fake)
    try:
        scores["fid_inception"] = inception_fid(real, fake, device)
    except MissingWeightsError as missing:
        scores["fid_inception"] = None
        note(f"no Inception FID: {missing}")
    scores["images"] = float(len(fake))
    return scores


NAME = re.compile(r"^(\d)_(\d+)$")


def digits_in_names(files: Sequence[Path], folder: Path) -> torch.Tensor:
    """The digit each ``<digit>_<idx>.png`` names; any other name is an error."""
    labels = []
    for path in files:
        match = NAME.match(path.stem)
        if match is None:
            raise DeliverableError(f"PRED {folder}: {path.name} is not named <digit>_<idx>.png (e.g. 3_017.png)")
        labels.append(int(match.group(1)))
    return torch.tensor(labels)


def conditional_truth(truth: Path | str, size: int, profile: str) -> Domain:
    """The labelled real digits the judge learns: the embedded ``digits-m``, or the course's MNIST-M
    (TRUTH the digits folder that holds ``mnistm/``, or ``mnistm/`` itself)."""
    if str(truth) == EMBEDDED:
        return real_digits("digits-m", size, profile)
    root = Path(truth)
    if root.name == "mnistm" and (root / "data").is_dir():
        root = root.parent
    try:
        return course_domain(root, "mnistm", size=size)
    except DataLayoutError as error:
        raise DeliverableError(f"TRUTH {truth}: 'embedded' or the course's digits folder with mnistm/ ({error})") from None


def evaluate_conditional(pred: Path, truth: Path | str, *, device: torch.device | str = "cpu",
                         reports: Path | str = "reports", **unused: Any) -> dict[str, float | None]:
    """conditional_diffusion: label agreement (overall and per digit) of PRED's ``<digit>_<idx>.png`` images,
    read by the suite's digit classifier of TRUTH's real digits."""
    from helpers.diffusion.experiment import per_digit_accuracy

    pred = Path(pred)
    files, images = read_folder(pred, "PRED", mode="RGB")
    labels = digits_in_names(files, pred)
    profile = resolve_profile("auto")
    judge = notebook_judge(conditional_truth(truth, images.shape[-1], profile), profile, device, reports)
    predicted = judge.probabilities(to_float(images)).argmax(1)
    table = per_digit_accuracy(predicted, labels)
    return {"label_agreement": table.pop("overall"), **{f"digit_{d}": v for d, v in table.items()},
            "images": float(len(images))}

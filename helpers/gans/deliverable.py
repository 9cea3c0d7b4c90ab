"""Deliverables of the gan notebook: the record its checkpoints carry, images from a checkpoint, and grading of
image folders (the ddpm notebook's images are graded alike).

- predict: ``--n`` images (default 1000) ``0000.png ...`` (as many digits as ``--n`` needs, at least 4) at the GAN's
  image size, 8-bit as the notebook quantises them, from the generator's weight average when it keeps one.
- acgan: ``--n`` images per class (default 100) ``<class>_<idx:03d>.png`` from 001 (4 digits from 1000; digits: the
  digit; faces: 0 without the attribute, 1 with it); with the notebook's ``per_class`` and seed, the images it grades.
  Graded against TRUTH ``embedded`` by label agreement with the suite's digit classifier; against a folder of real
  faces by the gan's measures (face share, random-feature FID), which cannot read the attribute.
- evaluate: classifier FID (and Inception FID when its weights exist) against TRUTH, the random-feature FID with its
  floor (two halves of TRUTH), and on colour images the face share of PRED and of TRUTH. TRUTH ``embedded`` is the
  real images the notebook grades against (the held-out embedded digits, seed 0), and the digit classifier is the
  notebook's: the same data, the same profile (``auto``: ``$DLCV_PROFILE``, else gpu with CUDA, else cpu), loaded from
  ``<reports>/_judge/`` (``--reports``, default ``reports`` under the current folder) when a notebook trained it
  there, else trained once and cached there.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from helpers.core.config import make_config, resolve_profile
from helpers.core.images import as_uint8, native_size, resize, to_float
from helpers.data import EMBEDDED
from helpers.deliverables.files import numbered, write_images
from helpers.deliverables.record import DeliverableError, deliverable, load_weights, written_size
from helpers.gans.config import AcganConfig, GanConfig
from helpers.gans.methods import sample
from helpers.gans.networks import Generator
from helpers.grading.faces import face_share
from helpers.grading.fid import MissingWeightsError, classifier_fid, inception_fid
from helpers.grading.folders import (JUDGE_SEED, agreement_scores, labels_in_names, note, notebook_judge, read_folder,
                                     real_digits)
from helpers.grading.judge import recognised
from helpers.grading.random_features import random_fid

N_IMAGES = 1000  # images written by default
PER_CLASS = 100  # acgan: images per class written by default


# ---------------------------------------------------------------- records (what the notebooks store)

def gan_record(method: str, gan: Any, *, data: str) -> dict[str, Any]:
    """The record of a GAN notebook checkpoint, read off the built ``gan``: its generator's constructor arguments,
    whether its samples come from the generator's weight average (when the GAN keeps one), and with a folder of
    images their own size, which predict writes (:func:`helpers.deliverables.record.written_size`)."""
    g = gan.generator
    return deliverable("gan", modules="ema" if gan.ema is not None else "generator", method=method,
                       image_size=g.image_size, channels=g.channels, width=g.width, z_dim=g.z_dim, code=g.code,
                       data=data, course_size=None if data == EMBEDDED else native_size(data))


def acgan_record(acgan: Any, *, data: str, class_names: list[str]) -> dict[str, Any]:
    """The record of the acgan notebook's checkpoint: its class-conditional generator's constructor arguments,
    the class names (index = the label asked for), and with a folder of images their own size."""
    g = acgan.generator
    return deliverable("acgan", modules="generator", image_size=g.image_size, channels=g.channels, width=g.width,
                       z_dim=g.z_dim, n_classes=g.n_classes, class_names=class_names, data=data,
                       course_size=None if data == EMBEDDED else native_size(data))


# ---------------------------------------------------------------- predict


def generator_from(record: Mapping[str, Any], weights: Mapping[str, Any]) -> Generator:
    """The generator of a gan checkpoint (:func:`gan_record`), with the weights the notebook samples: its weight
    average where it kept one."""
    s = record["settings"]
    generator = Generator(s["image_size"], s["channels"], s["width"], s["z_dim"], code=s.get("code", 0))
    if "ema" in weights:  # an AveragedModel's state: the generator's weights under "module." and the count of
        # updates under "n_averaged"
        average = {k.removeprefix("module."): v for k, v in weights["ema"].items() if k != "n_averaged"}
        load_weights(generator, average, "generator's weight average")
    else:
        load_weights(generator, weights["generator"], "generator")
    return generator


def predict_gan(record: Mapping[str, Any], weights: Mapping[str, Any], *, output: Path, n: int | None = None,
                size: int | None = None, seed: int = 0, batch_size: int = 256, device: torch.device | str = "cpu",
                overwrite: bool = False, **unused: Any) -> Path:
    """``n`` images of the GAN's generator, from the noise that ``seed`` fixes, at
    :func:`helpers.deliverables.record.written_size`."""
    s = record["settings"]
    generator = generator_from(record, weights)
    n = n or N_IMAGES
    images = as_uint8(sample(generator.to(device), n, seed=seed, batch_size=batch_size))
    images = resize(images, written_size(s, size, s["image_size"]))
    return write_images(images, [f"{numbered(i, n - 1, 4)}.png" for i in range(n)], output, overwrite)


def predict_acgan(record: Mapping[str, Any], weights: Mapping[str, Any], *, output: Path, n: int | None = None,
                  size: int | None = None, seed: int = 0, batch_size: int = 256, device: torch.device | str = "cpu",
                  overwrite: bool = False, **unused: Any) -> Path:
    """``n`` images of every class, ``<class>_<idx:03d>.png`` (idx from 001), at
    :func:`helpers.deliverables.record.written_size`.
    With ``n`` the notebook's ``per_class`` and ``seed`` its seed, the images its label agreement grades
    (:func:`helpers.gans.acgan.class_balanced_samples`; on a course folder resized to the data's own size)."""
    from helpers.gans.acgan import class_balanced_samples

    s = record["settings"]
    generator = Generator(s["image_size"], s["channels"], s["width"], s["z_dim"], n_classes=s["n_classes"])
    load_weights(generator, weights["generator"], "generator")
    n = n or PER_CLASS
    images, labels = class_balanced_samples(generator.to(device), s["n_classes"], n, seed, batch_size)
    images = resize(as_uint8(images), written_size(s, size, s["image_size"]))
    names = [f"{label}_{numbered(i % n + 1, n, 3)}.png" for i, label in enumerate(labels.tolist())]  # 0_001.png ...
    return write_images(images, names, output, overwrite)


# ---------------------------------------------------------------- the judge and the real images


# ---------------------------------------------------------------- evaluate

def evaluate_images(pred: Path, truth: Path | str, *, device: torch.device | str = "cpu",
                    reports: Path | str = "reports", profile: str = "auto", seed: int = JUDGE_SEED,
                    **unused: Any) -> dict[str, float | None]:
    """gan, ddpm: classifier FID (and recognised share) with the suite's digit classifier, and Inception FID
    when its weights exist, of PRED's images against TRUTH's (``embedded``: the notebooks' held-out digits;
    or a folder of real images, read at PRED's size). Whatever the images: the random-feature FID and its
    real-vs-real floor (``fid_random_floor``: one half of TRUTH against the other). Colour images: the face share
    of PRED (``face_share``) and of TRUTH (``face_share_real``, the ceiling)."""

    _, fake = read_folder(Path(pred), "PRED")
    if len(fake) < 2:
        raise DeliverableError(f"PRED {pred}: FID needs at least 2 images, found {len(fake)}")
    channels, size = fake.shape[1], fake.shape[-1]
    profile = resolve_profile(profile)
    judge = None
    if str(truth) == EMBEDDED:
        if channels != 1:
            raise DeliverableError(f"PRED {pred} holds colour images; TRUTH 'embedded' is the gray embedded digits: "
                                   f"pass a folder of real images as TRUTH")
        domain = real_digits("digits", size, make_config(GanConfig, profile).copies, seed)
        real = domain.test.images
        judge = notebook_judge(domain, profile, device, reports, seed)
    else:
        _, real = read_folder(Path(truth), "TRUTH", mode="L" if channels == 1 else "RGB", size=size)
        if channels == 1:
            # the notebook has no digit classifier for a folder without labels: the embedded digits' of seed 0
            domain = real_digits("digits", size, make_config(GanConfig, profile).copies)
            judge = notebook_judge(domain, profile, device, reports)
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
    scores["fid_random"] = random_fid(real, fake, device)
    # two halves of TRUTH, interleaved so that a folder sorted by kind puts some of each in both
    scores["fid_random_floor"] = random_fid(real[0::2], real[1::2], device) if len(real) >= 4 else None
    if channels == 3:
        scores["face_share"], scores["face_share_real"] = face_share(fake), face_share(real)
    scores["images"] = float(len(fake))
    return scores


def evaluate_acgan(pred: Path, truth: Path | str, *, device: torch.device | str = "cpu",
                   reports: Path | str = "reports", profile: str = "auto", seed: int = JUDGE_SEED,
                   **unused: Any) -> dict[str, float | None]:
    """acgan, by TRUTH. ``embedded`` (the notebook's digits; PRED gray ``<digit>_<idx>.png``): label agreement,
    overall and per digit, by the notebook's digit classifier. A folder of real images (the course's faces): the
    gan's measures (:func:`evaluate_images`) of the whole folder; no classifier here reads a face attribute."""
    pred = Path(pred)
    files, images = read_folder(pred, "PRED")
    labels = labels_in_names(files, pred, word="class")
    if str(truth) != EMBEDDED:
        note("TRUTH is a folder of real images: the gan's measures of the whole folder (no classifier here reads "
             "the attribute, so no label agreement)")
        return evaluate_images(pred, truth, device=device, reports=reports, profile=profile, seed=seed)
    if images.shape[1] != 1:
        raise DeliverableError(f"PRED {pred} holds colour images; TRUTH 'embedded' is the gray embedded digits: "
                               f"pass the folder of real images the notebook trained on as TRUTH")
    profile = resolve_profile(profile)
    domain = real_digits("digits", images.shape[-1], make_config(AcganConfig, profile).copies, seed)
    return agreement_scores(notebook_judge(domain, profile, device, reports, seed), images, labels)

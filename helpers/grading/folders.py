"""Grading a folder of images as the notebooks grade their samples: the embedded real digits and the suite's digit
classifier of them, as the notebooks render and cache them (seed 0, ``reports/_judge``), and a folder read whole."""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from helpers.core.images import Domain, label_in_name, to_float
from helpers.data.embedded import embedded_domains
from helpers.deliverables.files import image_files, read_images
from helpers.deliverables.record import DeliverableError
from helpers.grading.judge import Judge, load_judge, per_digit_accuracy


JUDGE_SEED = 0  # the notebooks' default seed, which fixes the embedded split and the judge
JUDGE_CACHE = Path("reports") / "_judge"  # where the notebooks cache the judge, from the repository root


def note(message: str) -> None:
    """What the grading used or left out, on stderr (stdout may carry ``--json``)."""
    print(message, file=sys.stderr)


def real_digits(name: str, size: int, copies: int, seed: int = JUDGE_SEED) -> Domain:
    """The embedded data set ``name`` as the notebooks render it at ``size`` with ``copies`` renderings, for a notebook
    run with ``seed``."""
    return embedded_domains([name], seed=seed, size=size, copies=copies)[name]


def notebook_judge(domain: Domain, profile: str, device: torch.device | str, reports: Path | str = "reports",
                   seed: int = JUDGE_SEED):
    """The suite's digit classifier of ``domain``, as a notebook run with ``seed`` loads it (trained once, then
    cached under ``reports/_judge``)."""
    cache = Path(reports) / JUDGE_CACHE.name
    judge = load_judge(domain.train, cache_dir=cache, device=device, seed=seed, profile=profile, held_out=domain.test)
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


def labels_in_names(files: Sequence[Path], folder: Path, word: str = "digit") -> torch.Tensor:
    """The digit (or class, ``word``) each ``<digit>_<idx>.png`` names; any other name is an error."""
    labels = []
    for path in files:
        label = label_in_name(path)
        if label is None or label > 9:
            raise DeliverableError(f"PRED {folder}: {path.name} is not named <{word}>_<idx>.png (e.g. 3_017.png)")
        labels.append(label)
    return torch.tensor(labels)


def agreement_scores(judge: Judge, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """How often ``judge`` reads 8-bit ``images`` as the labels their names ask for: overall (``label_agreement``),
    per digit or class (``digit_<d>``), and the number of images, as helpers.evaluate reports them."""
    table = per_digit_accuracy(judge.probabilities(to_float(images)).argmax(1), labels)
    return {"label_agreement": table.pop("overall"), **{f"digit_{d}": v for d, v in table.items()},
            "images": float(len(images))}

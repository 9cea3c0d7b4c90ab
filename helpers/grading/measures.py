"""The columns of the generative notebooks' sample tables: classifier FID, recognised share, share between two
digits, random-feature FID (every run: no labels or download needed), face share (face folders), Inception FID,
diversity; and the real-vs-real floor they are read against."""
from __future__ import annotations

import torch

from helpers.core.images import ImageSet, to_float
from helpers.core.runtime import derive_seed
from helpers.grading.faces import face_share
from helpers.grading.fid import MissingWeightsError, classifier_fid, inception_fid
from helpers.grading.judge import Judge, between_digits, class_entropy, recognised
from helpers.grading.random_features import random_fid


def grade(samples: torch.Tensor, reference: torch.Tensor, judge: Judge | None, *, device: torch.device | str,
          inception_weights: str | None = None, faces: bool = False) -> dict[str, float]:
    """One row of a generative notebook's samples table (gan, ddpm, and the DCGAN row ddpm reuses or trains, so
    their columns match): classifier FID, recognised share, share between two digits and the diversity of the
    digits it reads (with a judge), the random-feature FID (always), the face share (``faces``), and the
    Inception FID when its weights are present (else the column is left out; the notebook says why)."""
    row: dict[str, float] = {}
    if judge is not None:
        row["fid_classifier"] = classifier_fid(judge, reference, samples)
        row["recognised"] = recognised(judge, samples)
        row["between_digits"] = between_digits(judge, samples)
        row["diversity"] = class_entropy(judge, samples)
    row["fid_random"] = random_fid(reference, samples, device)
    if faces:
        row["face_share"] = face_share(samples)
    try:
        row["fid_inception"] = inception_fid(reference, samples, device, inception_weights)
    except MissingWeightsError:
        if inception_weights is not None:  # asked for by path: not left out quietly
            raise
    return row


def real_floor(train: ImageSet, n: int, seed: int) -> torch.Tensor:
    """``n`` real training images: graded against the held-out reference they give the FID floor that
    finite samples of the true distribution reach."""
    index = torch.randperm(len(train), generator=torch.Generator().manual_seed(derive_seed(seed, "floor")))[:n]
    return to_float(train.images[index])


def diversity(judge: Judge, samples: torch.Tensor) -> dict[str, float]:
    """Mode-collapse measures: entropy of the predicted-digit histogram (log 10 = 2.30 is all ten equally
    often, 0 is one digit) and the mean pairwise distance of the judge's features."""
    features = torch.from_numpy(judge.features(samples[:500]))
    return {"diversity": class_entropy(judge, samples), "feature_spread": torch.pdist(features).mean().item()}

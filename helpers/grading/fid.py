"""Frechet Inception Distance and its classifier-feature variant.

The Frechet distance is computed here (symmetric eigendecompositions, as TF-GAN's ``trace_sqrt_product``):
pytorch-fid's ``calculate_frechet_distance`` passes ``disp=`` to ``scipy.linalg.sqrtm``, which SciPy 1.18
removed. pytorch-fid still provides the InceptionV3 network and its weights file's name.

The Inception network's weights cannot be downloaded at run time: :func:`inception_fid` looks for
pytorch-fid's weights file in torch's cache (or at ``weights``) and otherwise raises
:class:`MissingWeightsError` saying which file, where to put it, and what is reported instead.
"""
from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import torch
from pytorch_fid import inception as pytorch_fid_inception

from helpers.core.weights import torch_cache
from helpers.grading.judge import Judge

INCEPTION_WEIGHTS = Path(pytorch_fid_inception.FID_WEIGHTS_URL).name  # pt_inception-2015-12-05-6726825d.pth


class MissingWeightsError(FileNotFoundError):
    """A pretrained weights file the suite may not download is absent."""


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets ``[N, D]``:
    ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr sqrt(S_a^1/2 S_b S_a^1/2), in float64, real and >= 0."""
    features_a, features_b = np.asarray(features_a, dtype=np.float64), np.asarray(features_b, dtype=np.float64)
    for name, features in (("first", features_a), ("second", features_b)):
        if features.ndim != 2 or len(features) < 2:
            raise ValueError(f"the {name} feature set must be [N >= 2, D]; got shape {features.shape}")
        if not np.isfinite(features).all():
            raise ValueError(f"the {name} feature set holds {np.count_nonzero(~np.isfinite(features))} "
                             f"non-finite values; expected finite features")
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(f"the feature sets must have the same width D; got {features_a.shape} and {features_b.shape}")
    mu_a, mu_b = features_a.mean(0), features_b.mean(0)
    sigma_a, sigma_b = (np.atleast_2d(np.cov(f, rowvar=False)) for f in (features_a, features_b))
    distance = (np.sum((mu_a - mu_b) ** 2) + np.trace(sigma_a) + np.trace(sigma_b)
                - 2 * trace_sqrt_product(sigma_a, sigma_b))
    return max(float(distance), 0.0)  # rounding can leave a tiny negative for equal statistics


def trace_sqrt_product(sigma_a: np.ndarray, sigma_b: np.ndarray) -> float:
    """tr sqrt(S_a S_b) for symmetric positive semi-definite ``S_a``, ``S_b``, singular ones included.

    S_a S_b is not symmetric, but it is similar to S_a^1/2 S_b S_a^1/2, which is, so both square roots
    come from ``eigh``; eigenvalues that rounding pushed below zero are clipped to zero.
    """
    sqrt_a = _sqrt_psd(sigma_a)
    inner = sqrt_a @ sigma_b @ sqrt_a
    eigenvalues = np.linalg.eigvalsh((inner + inner.T) / 2)
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def classifier_fid(judge: Judge, real: torch.Tensor, fake: torch.Tensor) -> float:
    """FID in the feature space of the suite's digit classifier (not comparable with Inception FID)."""
    return frechet_distance(judge.features(real), judge.features(fake))


def inception_weights_path(weights: Path | str | None = None) -> Path:
    """The Inception weights file: ``weights`` if given, else pytorch-fid's file in torch's hub cache."""
    path = Path(weights) if weights is not None else torch_cache() / INCEPTION_WEIGHTS
    if not path.is_file():
        where = f"at weights={str(weights)!r}" if weights is not None else f"in torch's cache {path.parent}"
        raise MissingWeightsError(
            f"Inception FID needs pytorch-fid's weights file {INCEPTION_WEIGHTS}, not found {where}. "
            f"Download it on a machine with internet from {pytorch_fid_inception.FID_WEIGHTS_URL} and put it at "
            f"{torch_cache() / INCEPTION_WEIGHTS} (or pass its path)"
            + ("." if weights is not None else "; until then the tables leave the Inception FID out."))
    return path


@torch.no_grad()
def inception_features(images: torch.Tensor, device: torch.device | str, weights: Path | str | None = None,
                       batch_size: int = 50) -> np.ndarray:
    """2048-d pool features of pytorch-fid's Inception for float images in [-1, 1] (gray is repeated)."""
    path = inception_weights_path(weights)
    # pytorch-fid fetches its weights by URL; hand it the local file instead, so nothing is downloaded.
    with mock.patch.object(pytorch_fid_inception, "load_state_dict_from_url",
                           lambda *args, **kwargs: torch.load(path, map_location="cpu", weights_only=True)):
        model = pytorch_fid_inception.InceptionV3([3]).to(device).eval()
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size].to(device)
        if batch.shape[1] == 1:
            batch = batch.repeat(1, 3, 1, 1)
        outputs.append(model((batch + 1) / 2)[0].squeeze(-1).squeeze(-1).double().cpu())
    return torch.cat(outputs).numpy()


def inception_fid(real: torch.Tensor, fake: torch.Tensor, device: torch.device | str = "cpu",
                  weights: Path | str | None = None) -> float:
    """FID with pytorch-fid's Inception network; raises :class:`MissingWeightsError` without its weights."""
    return frechet_distance(inception_features(real, device, weights), inception_features(fake, device, weights))


def inception_status(weights: Path | str | None = None) -> str:
    """One line for the notebooks, printed before any training: where the Inception weights are, or why there is
    no Inception FID. Only the cache is optional: a ``weights`` path given but missing stops the run here."""
    try:
        return f"Inception weights: {inception_weights_path(weights)} (Inception FID is computed)"
    except MissingWeightsError as missing:
        if weights is not None:
            raise
        return f"No Inception FID: {missing}"

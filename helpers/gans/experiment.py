"""One GAN notebook run: train each method, sample, grade the samples, and say what the numbers show."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

import torch

from helpers.core.checkpoint import checkpoint_path
from helpers.core.images import as_uint8
from helpers.data.batches import Batches
from helpers.data.images import ImageSet, to_float
from helpers.gans.deliverable import gan_record
from helpers.gans.config import GanConfig
from helpers.grading.fid import MissingWeightsError, classifier_fid, inception_fid
from helpers.gans.methods import Gan, build_gan, train_gan
from helpers.grading.judge import Judge, between_digits, class_entropy, recognised
from helpers.core.runtime import derive_seed, seed_everything
from helpers.core.training import History

N_SHOWN = 32  # samples shown per method, from one fixed noise batch


@torch.no_grad()
def sample(generator: torch.nn.Module, n: int, *, seed: int, labels: torch.Tensor | None = None,
           batch_size: int = 500) -> torch.Tensor:
    """``n`` images in [-1, 1] from noise fixed by ``seed`` (the same noise for every method), in
    evaluation mode (batch norm uses its running statistics)."""
    device = next(generator.parameters()).device
    noise = torch.randn(n, generator.z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    generator.eval()
    chunks = []
    for start in range(0, n, batch_size):
        extra = () if labels is None else (labels[start:start + batch_size].to(device),)
        chunks.append(generator(noise[start:start + batch_size], *extra).cpu())
    return torch.cat(chunks)


@dataclass
class GanRun:
    """A trained method: its GAN, loss history, samples and how long it trained."""

    name: str
    gan: Gan
    history: History
    shown: torch.Tensor      # the first N_SHOWN samples of the fixed noise, uint8
    samples: torch.Tensor    # the graded samples, float in [-1, 1], quantised to 8 bits
    seconds: float
    checkpoint: Path


def run_gan(method: str, train: ImageSet, config: GanConfig, *, device: torch.device | str, seed: int,
            checkpoint_dir: Path | str, judge: Judge | None = None, name: str | None = None,
            gan: Gan | None = None, epochs: int | None = None, deliverable: Mapping | None = None,
            progress: bool = True) -> GanRun:
    """Train ``method`` (or a prepared ``gan``) on ``train``, resuming from its checkpoint; then sample (from
    the generator's weight average when it keeps one).
    With a ``judge``, the share of recognised samples is recorded after every epoch (stability). The graded
    samples are 8-bit, as PNG files hold them, so ``helpers.evaluate`` on files that ``helpers.predict``
    wrote gives the same numbers. ``deliverable`` is the checkpoint's record for ``helpers.predict``."""
    name = name or method
    epochs = epochs or config.epochs
    gan = gan or build_gan(method, config, train.channels, device)
    checkpoint = checkpoint_path(checkpoint_dir, name, config=config, epochs=epochs, seed=seed, data=train.name,
                                 n=len(train), print=str(gan.generator) + str(gan.discriminator))
    probe_seed = derive_seed(seed, "probe")

    def probe(epoch: int) -> dict[str, float] | None:
        if judge is None:
            return None
        return {"recognised": recognised(judge, sample(gan.sampler, 256, seed=probe_seed))}

    started = time.perf_counter()
    history = train_gan(gan, Batches(train, config.batch_size, device), epochs=epochs, checkpoint=checkpoint,
                        seed=derive_seed(seed, name), on_epoch_end=probe, deliverable=deliverable, progress=progress)
    samples = to_float(as_uint8(sample(gan.sampler, config.eval_samples, seed=derive_seed(seed, "samples"))))
    return GanRun(name, gan, history, as_uint8(samples[:N_SHOWN]), samples, time.perf_counter() - started, checkpoint)


@dataclass(frozen=True)
class GanJob:
    """One training run for :func:`run_gans`: ``build()`` makes its GAN (a ``functools.partial`` of a builder
    such as :func:`helpers.gans.methods.build_gan`, so that a worker process can receive it), trained
    for ``epochs`` epochs on the images of ``data`` (named in its checkpoint's record for ``helpers.predict``)."""

    build: Callable[[], Gan]
    epochs: int
    data: str


def run_gans(jobs: Mapping[str, GanJob], train: ImageSet, config: GanConfig, *, device: torch.device | str,
             seed: int, checkpoint_dir: Path | str, judge: Judge | None = None, processes: int = 1) -> dict[str, GanRun]:
    """:func:`run_gan` for every named job, each GAN built from a seed of its own name (so a run does not depend
    on which runs came before it).

    With ``processes`` > 1 on a CPU the jobs first train in that many worker processes, the threads split
    between them, and write their checkpoints; the runs are then read back from those checkpoints here, as a
    re-run of the notebook would. Networks this small do not spread well over threads: on 2 cores two
    processes of one thread each train 1.7 times as many steps per second as one process of two threads."""
    seconds: dict[str, float] = {}
    if processes > 1 and len(jobs) > 1 and torch.device(device).type == "cpu":
        threads = max(1, torch.get_num_threads() // processes)
        pool = ProcessPoolExecutor(min(processes, len(jobs)), mp_context=get_context("spawn"))
        try:
            futures = {name: pool.submit(_train_job, name, job, train, config, seed=seed, checkpoint_dir=checkpoint_dir,
                                         judge=judge, threads=threads)
                       for name, job in jobs.items()}
            seconds = {name: future.result() for name, future in futures.items()}  # a worker's error is raised here
        finally:  # on an error or an interrupt, jobs not started are dropped and nothing waits for the running ones
            pool.shutdown(wait=False, cancel_futures=True)
    runs = {}
    for name, job in jobs.items():
        seed_everything(derive_seed(seed, name, "build"))
        gan = job.build()
        run = run_gan(gan.method, train, config, device=device, seed=seed, checkpoint_dir=checkpoint_dir, judge=judge,
                      name=name, gan=gan, epochs=job.epochs, deliverable=gan_record(name, gan, data=job.data))
        runs[name] = replace(run, seconds=run.seconds + seconds.get(name, 0.0))
    return runs


def _train_job(name: str, job: GanJob, train: ImageSet, config: GanConfig, *, seed: int, checkpoint_dir: Path | str,
               judge: Judge | None, threads: int) -> float:
    """A worker process of :func:`run_gans`: train one job on the CPU to its checkpoint; its seconds."""
    torch.set_num_threads(threads)
    seed_everything(derive_seed(seed, name, "build"))
    gan = job.build()
    return run_gan(gan.method, train, config, device="cpu", seed=seed, checkpoint_dir=checkpoint_dir, judge=judge,
                   name=name, gan=gan, epochs=job.epochs, deliverable=gan_record(name, gan, data=job.data),
                   progress=False).seconds


def grade(samples: torch.Tensor, reference: torch.Tensor, judge: Judge | None, *, device: torch.device | str,
          inception_weights: str | None = None) -> dict[str, float]:
    """The FID table's columns for one row: classifier FID, recognised share and share between two digits
    (with a judge), and the Inception FID when its weights are present (else the column is left out; the
    notebook says why)."""
    row: dict[str, float] = {}
    if judge is not None:
        row["fid_classifier"] = classifier_fid(judge, reference, samples)
        row["recognised"] = recognised(judge, samples)
        row["between_digits"] = between_digits(judge, samples)
    try:
        row["fid_inception"] = inception_fid(reference, samples, device, inception_weights)
    except MissingWeightsError:
        pass
    return row


def real_floor(train: ImageSet, reference: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """``n`` real training images: graded against the held-out reference they give the FID floor that
    finite samples of the true distribution reach."""
    index = torch.randperm(len(train), generator=torch.Generator().manual_seed(derive_seed(seed, "floor")))[:n]
    return to_float(train.images[index])


def diversity(judge: Judge, samples: torch.Tensor) -> dict[str, float]:
    """Mode-collapse measures: entropy of the predicted-digit histogram (log 10 = 2.30 is all ten equally
    often, 0 is one digit) and the mean pairwise distance of the judge's features."""
    features = torch.from_numpy(judge.features(samples[:500]))
    return {"diversity": class_entropy(judge, samples), "feature_spread": torch.pdist(features).mean().item()}


def best_method(table: Mapping[str, Mapping[str, float]]) -> str:
    """The method the notebook names best (its deliverable): the lowest classifier FID, else the lowest
    Inception FID (images without class labels), else the first method trained."""
    methods = [m for m in table if m != "real"]
    for column in ("fid_classifier", "fid_inception"):
        if all(column in table[m] for m in methods):
            return min(methods, key=lambda m: table[m][column])
    return methods[0]


def gan_observations(table: Mapping[str, Mapping[str, float]], collapse: Mapping[str, Mapping[str, float]] | None,
                     histories: Mapping[str, History]) -> str:
    """Observations written from the measured numbers."""
    methods = [m for m in table if m != "real"]
    lines = []
    if methods and "fid_classifier" in table[methods[0]]:
        ranked = sorted(methods, key=lambda m: table[m]["fid_classifier"])
        best, worst = best_method(table), ranked[-1]
        floor = table["real"]["fid_classifier"]
        lines.append(f"- **Best method: {best}**, classifier FID {table[best]['fid_classifier']:.2f} "
                     f"({table[best]['fid_classifier'] / floor:.1f}x the real-vs-real floor of {floor:.2f}); "
                     f"worst {worst} at {table[worst]['fid_classifier']:.2f}. Ranking: {' < '.join(ranked)}.")
        lines.append("- **Recognisable samples** (judge confidence >= 0.9): " + ", ".join(
            f"{m} {table[m]['recognised']:.0%}" for m in methods) + f"; real images {table['real']['recognised']:.0%}.")
    for name, history in histories.items():
        curve = history.get("recognised")
        if curve and len(curve) >= 3:
            drops = sum(1 for a, b in zip(curve, curve[1:]) if b < a - 0.1)
            lines.append(f"- **{name} over training:** recognised share {curve[0]:.0%} after the first epoch, "
                         f"{max(curve):.0%} at best, {curve[-1]:.0%} at the end"
                         + (f"; it fell by more than 10 points {drops} time(s), a sign of unstable training." if drops
                            else "; no drop of more than 10 points between epochs."))
    if collapse:
        c, m = collapse["collapsed"], collapse["mitigated"]
        lines.append(f"- **Mode collapse:** the collapsing configuration's samples cover digit classes with entropy "
                     f"{c['diversity']:.2f} nats (uniform over ten digits: 2.30); the mitigation reaches "
                     f"{m['diversity']:.2f}, and the mean feature distance between samples goes from "
                     f"{c['feature_spread']:.2f} to {m['feature_spread']:.2f}.")
    return "\n".join(lines)

"""One GAN notebook run: train each method, sample, grade the samples, and say what the numbers show."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import torch

from helpers.core.checkpoint import checkpoint_path
from helpers.core.config import as_dict, budget, make_config
from helpers.core.images import ImageSet, as_uint8, to_float
from helpers.core.processes import in_processes, usable_processes
from helpers.core.runtime import derive_seed, seed_everything
from helpers.core.training import History
from helpers.data.batches import Batches
from helpers.deliverables.record import DeliverableError, read_deliverable
from helpers.gans.analysis import PROBE_SAMPLES
from helpers.gans.config import GanConfig
from helpers.gans.deliverable import gan_record, generator_from
from helpers.gans.methods import Gan, build_gan, sample, train_gan
from helpers.grading.judge import Judge, recognised
from helpers.grading.measures import grade, real_floor
from helpers.report.metrics import earlier_results, read_metrics

N_SHOWN = 32  # samples shown per method, from one fixed noise batch


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


def gan_checkpoint(checkpoint_dir: Path | str, name: str, config: GanConfig, epochs: int, seed: int, train: ImageSet,
                   gan: Gan) -> Path:
    """Where :func:`run_gan` saves and resumes, named by the settings, the networks and the training images
    (``ImageSet.digest``: every folder of the course's faces is called ``train``)."""
    return checkpoint_path(checkpoint_dir, name, config=config, epochs=epochs, seed=seed, data=train.name,
                           contents=train.digest(), n=len(train), print=str(gan.generator) + str(gan.discriminator))


def run_gan(method: str, train: ImageSet, config: GanConfig, *, device: torch.device | str, seed: int,
            checkpoint_dir: Path | str, judge: Judge | None = None, name: str | None = None,
            gan: Gan | None = None, epochs: int | None = None, deliverable: Mapping | None = None,
            progress: bool = True, max_steps: int | None = None) -> GanRun:
    """Train ``method`` (or a prepared ``gan``) on ``train``, resuming from its checkpoint; then sample (from
    the generator's weight average when it keeps one).
    With a ``judge``, the share of recognised samples is recorded after every epoch (stability). The graded
    samples are 8-bit, as PNG files hold them, so ``helpers.evaluate`` on files that ``helpers.predict``
    wrote gives the same numbers. ``deliverable`` is the checkpoint's record for ``helpers.predict``. Without
    ``epochs`` the run takes the profile's step budget; with them, ``max_steps`` ends the last one early."""
    name = name or method
    length = budget(config, "steps", len(train))
    if epochs is None:
        epochs, max_steps = length.epochs, length.max_steps
    gan = gan or build_gan(method, config, train.channels, device)
    checkpoint = gan_checkpoint(checkpoint_dir, name, config, epochs, seed, train, gan)
    probe_seed = derive_seed(seed, "probe")

    def probe(epoch: int) -> dict[str, float] | None:
        if judge is None:
            return None
        return {"recognised": recognised(judge, sample(gan.sampler, PROBE_SAMPLES, seed=probe_seed))}

    started = time.perf_counter()
    history = train_gan(gan, Batches(train, length.batch_size, device), epochs=epochs, checkpoint=checkpoint,
                        seed=derive_seed(seed, name), on_epoch_end=probe, deliverable=deliverable, progress=progress,
                        max_steps=max_steps)
    samples = to_float(as_uint8(sample(gan.sampler, config.eval_samples, seed=derive_seed(seed, "samples"))))
    return GanRun(name, gan, history, as_uint8(samples[:N_SHOWN]), samples, time.perf_counter() - started, checkpoint)


@dataclass(frozen=True)
class GanJob:
    """One training run for :func:`run_gans`: ``build()`` makes its GAN (a ``functools.partial`` of a builder
    such as :func:`helpers.gans.methods.build_gan`, so that a worker process can receive it), trained
    for ``epochs`` epochs on the images of ``data`` (named in its checkpoint's record for ``helpers.predict``), the
    last one ended after ``max_steps`` steps in all when given (:attr:`helpers.core.config.Budget.max_steps`)."""

    build: Callable[[], Gan]
    epochs: int
    data: str
    max_steps: int | None = None


def run_gans(jobs: Mapping[str, GanJob], train: ImageSet, config: GanConfig, *, device: torch.device | str,
             seed: int, checkpoint_dir: Path | str, judge: Judge | None = None, processes: int = 1) -> dict[str, GanRun]:
    """:func:`run_gan` for every named job, each GAN built from a seed of its own name (so a run does not depend
    on which runs came before it).

    With ``processes`` > 1 on a CPU (and as many torch threads, :func:`helpers.core.processes.usable_processes`)
    the jobs first train in that many worker processes, the threads split between them
    (:func:`helpers.core.processes.in_processes`), and write their checkpoints; the runs are then read back from
    those checkpoints here, as a re-run of the notebook would."""
    seconds: dict[str, float] = {}
    processes = usable_processes(processes)
    if processes > 1 and len(jobs) > 1 and torch.device(device).type == "cpu":
        seconds = in_processes({name: partial(_train_job, name, job, train, config, seed=seed,
                                              checkpoint_dir=checkpoint_dir, judge=judge)
                                for name, job in jobs.items()}, processes)
    runs = {}
    for name, job in jobs.items():
        seed_everything(derive_seed(seed, name, "build"))
        gan = job.build()
        run = run_gan(gan.method, train, config, device=device, seed=seed, checkpoint_dir=checkpoint_dir, judge=judge,
                      name=name, gan=gan, epochs=job.epochs, deliverable=gan_record(name, gan, data=job.data),
                      max_steps=job.max_steps)
        runs[name] = replace(run, seconds=run.seconds + seconds.get(name, 0.0))
    return runs


def _train_job(name: str, job: GanJob, train: ImageSet, config: GanConfig, *, seed: int, checkpoint_dir: Path | str,
               judge: Judge | None) -> float:
    """A worker process of :func:`run_gans`: train one job on the CPU to its checkpoint; its seconds."""
    seed_everything(derive_seed(seed, name, "build"))
    gan = job.build()
    return run_gan(gan.method, train, config, device="cpu", seed=seed, checkpoint_dir=checkpoint_dir, judge=judge,
                   name=name, gan=gan, epochs=job.epochs, deliverable=gan_record(name, gan, data=job.data),
                   progress=False, max_steps=job.max_steps).seconds


def grade_samples(samples: Mapping[str, torch.Tensor], train: ImageSet, reference: torch.Tensor, judge: Judge | None, *,
                  eval_samples: int, seed: int, device: torch.device | str, inception_weights: str | None = None,
                  faces: bool = False) -> dict[str, dict[str, float]]:
    """The gan notebook's FID table: a :func:`helpers.grading.measures.grade` row per name in ``samples``, and
    ``real``, the real-vs-real floor (``eval_samples`` real training images graded against the same held-out
    ``reference``)."""
    grade_row = partial(grade, reference=reference, judge=judge, device=device, inception_weights=inception_weights,
                        faces=faces)
    table = {name: grade_row(images) for name, images in samples.items()}
    table["real"] = grade_row(real_floor(train, eval_samples, seed))
    return table


def reused_samples(gan_metrics: Path | str, seed: int, n: int = 16) -> torch.Tensor | None:
    """``n`` samples of the gan notebook's DCGAN, for a figure beside another model's, from the checkpoint its
    metrics.json names (looked for in the checkpoints/ folder beside it); None when it is gone or unreadable."""
    name = read_metrics(gan_metrics).get("checkpoints", {}).get("dcgan")
    if not name:
        return None
    try:
        record, weights = read_deliverable(Path(gan_metrics).parent / "checkpoints" / Path(name).name, "gan")
    except DeliverableError:
        return None
    return to_float(as_uint8(sample(generator_from(record, weights), n, seed=derive_seed(seed, "samples"))))


def dcgan_row(train: ImageSet, reference: torch.Tensor, judge: Judge | None, *, profile: str, data: str, seed: int,
              copies: int, eval_samples: int, device: torch.device | str, gan_metrics: Path | str,
              checkpoint_dir: Path | str, inception_weights: str | None = None, faces: bool = False,
              gan_epochs: int | None = None) -> tuple[dict[str, float], torch.Tensor | None, str]:
    """The DCGAN row of another notebook's comparison (the DDPM notebook's), its samples (when reused, 16 from the gan
    notebook's checkpoint, None if that is gone) and where it comes from: the gan notebook's row when its metrics.json
    was made with the same profile, data, seed and GanConfig (image size and renderings included; the methods aside;
    ``gan_epochs`` is its ``epochs``), and has the diversity column (with a judge; a run from before the gan
    notebook graded it has not); else the gan notebook's DCGAN (its profile's :class:`GanConfig`, built and trained as
    :func:`run_gans` does) trained here and graded alike (:func:`helpers.grading.measures.grade`; ``faces``: with
    their face share)."""
    size = train.images.shape[-1]
    config = make_config(GanConfig, profile, {"methods": ("dcgan",), "image_size": size, "copies": copies,
                                              "eval_samples": eval_samples, "epochs": gan_epochs})
    settings = {key: value for key, value in as_dict(config).items() if key != "methods"}
    same = {"profile": profile, "data": data, "seed": seed, **settings}
    row = earlier_results(gan_metrics, table="samples", row="dcgan", same=same)
    if row is not None and (judge is None or "diversity" in row):
        return dict(row), reused_samples(gan_metrics, seed), f"reused from {gan_metrics}"
    length = budget(config, "steps", len(train))
    job = GanJob(partial(build_gan, "dcgan", config, train.channels, device), length.epochs, data, length.max_steps)
    run = run_gans({"dcgan": job}, train, config, device=device, seed=seed, checkpoint_dir=checkpoint_dir, judge=judge)
    started = time.perf_counter()
    sample(run["dcgan"].gan.sampler, config.eval_samples, seed=derive_seed(seed, "samples"))
    samples = run["dcgan"].samples
    row = {**grade(samples, reference, judge, device=device, inception_weights=inception_weights, faces=faces),
           "seconds_per_100": 100 * (time.perf_counter() - started) / len(samples)}
    return row, samples, (f"the gan notebook's DCGAN trained here ({length.epochs} epochs: {length.total_steps} steps, "
                          f"width {config.width}; no gan notebook metrics made alike at {gan_metrics})")

"""How fast this CPU trains the notebooks' networks, and so which profile keeps `make report` within 45 minutes.

The cpu profile's report took 35-37 minutes on one 2-core CPU with native bfloat16 and 57 on another of the same
kind (docs/tuning.md): the instruction set alone does not bound the time. :func:`calibrate` times training rounds
of two small networks standing for the notebooks' two kinds of work: a float32 digit CNN, channels_last (the DANN
network of ``digit_cnn``; adaptation, classification, BYOL and segmentation train float32 CNNs) and a
GroupNorm + SiLU convolution stack under bfloat16 autocast where it is native (the diffusion UNets and the GANs).
It scales the cpu profile's notebook seconds measured on the reference machine by this machine's round time against
that machine's. The result is kept per machine in ``calibration.json`` of the folder ``$DLCV_CACHE`` (default
``$XDG_CACHE_HOME/dlcv-report``, that is ``~/.cache/dlcv-report``), so every notebook of a report, papermill's or
JupyterLab's, sees the same choice; delete the file, or run ``python -m helpers.report profile --recalibrate``, to
measure again.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.checkpoint import atomic_write_text
from helpers.core.digit_cnn import DigitClassifier, FeatureExtractor, LabelPredictor
from helpers.core.runtime import bfloat16_is_native, place

# The reference: a 2-core Intel Xeon at 2.1 GHz (family 6 model 207, AVX-512 BF16 and AMX, KVM), torch 2.14.1,
# two threads, 2026-11-30. round_ms() there: about 100 ms (20 calibrations of 8 s gave 79-118 ms: the machine's
# speed drifts over tens of seconds). The cpu profile's nine notebooks there: 2,899 s (a fresh clone's
# `make report`, 2026-11-29, with adda at the 257 s it takes since it copies dann's rows; docs/tuning.md,
# "Whole-report time on a 2-core Intel Xeon").
REFERENCE_ROUND_MS = 100.0
REFERENCE_NOTEBOOK_SECONDS = 2899.0
BUDGET_MINUTES = 45.0  # what `make report` on a 2-core CPU must stay within (#19)
SETUP_MINUTES = 5.0  # a fresh clone's set-up of .venv before the notebooks (5.0 minutes on the reference machine)
# One calibration is accurate to about +-20% on a shared virtual machine (the spread above), so the cpu profile
# is chosen only where its prediction fits with this much to spare: a round of at most 72 ms
MARGIN = 0.15
CALIBRATION_SECONDS = 8.0


@dataclass(frozen=True)
class Calibration:
    """One machine's measurement: ``round_ms`` against the reference's, and the cpu profile's predicted minutes."""

    machine: str
    round_ms: float
    predicted_minutes: float  # the cpu profile's nine notebooks, without the set-up
    measured: str

    @property
    def fits(self) -> bool:
        """Whether the cpu profile's whole report, set-up included, is predicted within :data:`BUDGET_MINUTES`
        with :data:`MARGIN` to spare."""
        return self.predicted_minutes * (1 + MARGIN) + SETUP_MINUTES <= BUDGET_MINUTES

    def describe(self) -> str:
        total = self.predicted_minutes + SETUP_MINUTES
        limit = (BUDGET_MINUTES - SETUP_MINUTES) / (1 + MARGIN) + SETUP_MINUTES
        return (f"a training round took {self.round_ms:.0f} ms on this CPU against {REFERENCE_ROUND_MS:.0f} ms on the "
                f"reference one, so the cpu profile's report would take about {total:.0f} minutes with the set-up; "
                f"auto picks cpu up to {limit:.0f} (the {BUDGET_MINUTES:.0f}-minute budget less a {MARGIN:.0%} "
                f"margin for the measurement's spread); calibrated {self.measured}")


def machine_key() -> str:
    """What the cached calibration belongs to: the CPU's model, the thread count and the torch build."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}; {os.cpu_count()} cpus; {torch.get_num_threads()} threads; torch {torch.__version__}"


class ConvStack(nn.Sequential):
    """Two resolutions of 3x3 convolutions with GroupNorm and SiLU, the UNet's building blocks."""

    def __init__(self, width: int = 64) -> None:
        super().__init__(
            nn.Conv2d(3, width, 3, padding=1), nn.GroupNorm(8, width), nn.SiLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.GroupNorm(8, width), nn.SiLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.GroupNorm(8, 2 * width), nn.SiLU(),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.GroupNorm(8, 2 * width), nn.SiLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, 10))


def round_ms(seconds: float = CALIBRATION_SECONDS, min_rounds: int = 10, warmup: int = 2) -> float:
    """Median milliseconds of one training round on this CPU: a step of the DANN digit CNN (float32,
    channels_last, 2 x 128 images of 28x28) and a step of :class:`ConvStack` (64 images of 16x16, under bfloat16
    autocast where the CPU has it natively). Rounds run for ``seconds`` (at least ``min_rounds``). The caller's
    random state is left as it was."""
    bf16 = bfloat16_is_native()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        features = FeatureExtractor(3, (16, 64), standardize=True)
        cnn = place(DigitClassifier(features, LabelPredictor(features.out_features, 100)), "cpu").train()
        stack = ConvStack().train()
        digits, digit_labels = torch.rand(256, 3, 28, 28) * 2 - 1, torch.randint(0, 10, (256,))
        patches, patch_labels = torch.randn(64, 3, 16, 16), torch.randint(0, 10, (64,))
        optimizers = [torch.optim.Adam(cnn.parameters(), lr=1e-4), torch.optim.Adam(stack.parameters(), lr=1e-4)]

        def one_round() -> None:
            losses = [F.cross_entropy(cnn(digits), digit_labels)]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                losses.append(F.cross_entropy(stack(patches).float(), patch_labels))
            for loss, optimizer in zip(losses, optimizers):
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()

        for _ in range(warmup):
            one_round()
        times: list[float] = []
        start = time.perf_counter()
        while len(times) < min_rounds or time.perf_counter() - start < seconds:
            begin = time.perf_counter()
            one_round()
            times.append(time.perf_counter() - begin)
    return 1000 * statistics.median(times)


def predicted_minutes(measured_ms: float) -> float:
    """The cpu profile's nine notebooks on a CPU whose round takes ``measured_ms``, in minutes."""
    return REFERENCE_NOTEBOOK_SECONDS / 60 * measured_ms / REFERENCE_ROUND_MS


CACHE_ENV = "DLCV_CACHE"


def cache_path() -> Path:
    """``$DLCV_CACHE/calibration.json``; by default under ``$XDG_CACHE_HOME`` (``~/.cache``) in dlcv-report/."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlcv-report"
    return Path(os.environ.get(CACHE_ENV) or default) / "calibration.json"


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock beside ``path``: notebooks started together (``make -j``) calibrate once, not at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_cached(path: Path, machine: str) -> Calibration | None:
    """The calibration cached for ``machine``; None when there is none, or the file cannot be read (a cache:
    measured again and rewritten)."""
    try:
        return Calibration(**json.loads(path.read_text())[machine])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cached(path: Path, calibration: Calibration) -> None:
    """Add ``calibration`` to the cache file (other machines' entries kept), atomically."""
    try:
        entries = json.loads(path.read_text())
        entries = entries if isinstance(entries, dict) else {}
    except (OSError, ValueError):
        entries = {}
    entries[calibration.machine] = dataclasses.asdict(calibration)
    atomic_write_text(path, json.dumps(entries, indent=1) + "\n")


# Calibrations that could not be cached (a read-only cache folder), by machine: measured once per process
UNCACHED: dict[str, Calibration] = {}


def calibrate(refresh: bool = False) -> Calibration:
    """This machine's calibration: the cached one, else measured now (about ten seconds) and cached. Where the
    cache cannot be written (a read-only home), it is measured once per process and said so."""
    path, machine = cache_path(), machine_key()
    try:
        with locked(path):
            cached = None if refresh else read_cached(path, machine) or UNCACHED.get(machine)
            if cached is None:
                cached = measure(machine)
                try:
                    write_cached(path, cached)
                except OSError as error:
                    UNCACHED[machine] = cached
                    say_uncached(path, error)
            return cached
    except OSError as error:  # the cache folder or its lock file cannot be made
        if refresh or machine not in UNCACHED:
            say_uncached(path, error)
            UNCACHED[machine] = measure(machine)
        return UNCACHED[machine]


def say_uncached(path: Path, error: OSError) -> None:
    print(f"profile auto: cannot cache this CPU's calibration in {path} ({error.strerror or error}); it holds for "
          f"this process only (set {CACHE_ENV} to a writable folder)", file=sys.stderr)


def measure(machine: str) -> Calibration:
    # stderr: stdout of `helpers.report profile --name-only` is the profile's name alone (the Makefile's stamp)
    print("profile auto: timing this CPU's training steps (about ten seconds, once per machine)", file=sys.stderr,
          flush=True)
    measured_ms = round_ms()
    return Calibration(machine, round(measured_ms, 2), round(predicted_minutes(measured_ms), 1),
                       dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

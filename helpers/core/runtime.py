"""Device choice, seeding, phase timings and the run manifest."""
from __future__ import annotations

import contextlib
import datetime as dt
import platform
import random
import subprocess
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

MANIFEST_PACKAGES = ("torch", "torchvision", "numpy", "scikit-learn", "openTSNE", "pytorch-fid", "papermill")


def bfloat16_is_native() -> bool:
    """Whether this machine computes in bfloat16 natively: a CUDA GPU that supports it, or, without CUDA, a
    CPU with AVX-512 BF16 or AMX-BF16 (on Arm, oneDNN's check of its bfloat16 instructions). Elsewhere bfloat16
    is emulated and slower than float32.

    oneDNN's own check is also true on every AVX-512 CPU (Skylake to Ice Lake Xeons), which has no bfloat16
    instructions, so on x86 the CPU's flags decide. oneDNN's check still comes first: it follows
    ``ONEDNN_MAX_CPU_ISA``, with which docs/tuning.md runs an AVX2-only CPU's path on a newer one."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return False
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return True
    return x86_has_bfloat16_instructions()


def x86_has_bfloat16_instructions() -> bool:
    """AVX-512 BF16 or AMX-BF16 among this x86 CPU's flags (what `lscpu` lists as avx512_bf16 and amx_bf16)."""
    capabilities = getattr(torch.cpu, "get_capabilities", None)
    if capabilities is None:  # torch before get_capabilities: its private check of AVX-512 BF16
        return bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)())
    flags = capabilities()
    return bool(flags.get("avx512_bf16") or flags.get("amx_bf16"))


def pick_device(profile: str) -> torch.device:
    """CUDA when present (and the profile is not smoke), else the CPU."""
    if profile != "smoke" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def place(model: torch.nn.Module, device: torch.device | str, *, channels_last: bool = True) -> torch.nn.Module:
    """``model`` on ``device``; on a CPU, with ``channels_last``, its convolution weights in the channels_last
    (NHWC) layout, in which oneDNN's float32 convolutions ran 13-31% faster (the digit CNNs, ResNet18, the
    segmentation networks, and the GANs without bfloat16; ``bench/memory_format.py``, docs/tuning.md). Outputs
    follow the weights' layout, so inputs need no change. The callers leave it off where it did not pay: the
    GANs under bfloat16 autocast (0.95x, kept bit for bit) and the diffusion UNet (1.18x slower in bfloat16)."""
    if channels_last and torch.device(device).type == "cpu" and channels_last_is_safe(model):
        return model.to(device, memory_format=torch.channels_last)
    return model.to(device)


def channels_last_is_safe(model: torch.nn.Module) -> bool:
    """False for a model with a 1x1 convolution of stride > 1 on fewer than 16 input channels (a ResNet's
    downsampling path at width 8): in the channels_last layout oneDNN's AVX-512 kernels (torch 2.14.1) kill the
    process with a segmentation fault in its backward pass, at odd batch sizes from 16x16 inputs and at any from
    64x64 (docs/tuning.md, "A oneDNN crash"). Such a model stays contiguous; only narrow, smoke-sized ones have one."""
    return not any(isinstance(m, torch.nn.Conv2d) and m.kernel_size == (1, 1) and max(m.stride) > 1
                   and m.in_channels < 16 for m in model.modules())


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch; on the CPU the same seed gives the same numbers."""
    seed = int(seed)  # a NumPy integer too (random.seed takes only Python's)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def derive_seed(seed: int, *parts: int | str) -> int:
    """A stable seed for one part of a run (an epoch, a training), independent of Python's hash salt."""
    text = ":".join(str(p) for p in (seed, *parts))
    value = 0
    for ch in text.encode():
        value = (value * 1_000_003 + ch) % 2**63
    return value


class PhaseTimer:
    """Wall-clock seconds per named phase; ``total_s`` runs from construction."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.phases: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - begin

    def as_dict(self) -> dict[str, float]:
        return {"total_s": round(time.perf_counter() - self.start, 2), **{k: round(v, 2) for k, v in self.phases.items()}}


def git_commit(path: Path | str = ".") -> str:
    """The checkout's commit, with ``-dirty`` when it has uncommitted changes; ``unknown`` outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=path,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def environment(device: torch.device) -> dict[str, object]:
    """Versions, device and git commit: the `env` block of metrics.json."""
    versions = {"python": platform.python_version()}
    for name in MANIFEST_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["torch"] = torch.__version__  # the build that ran, e.g. 2.14.1+cu130; the package metadata may omit +cu130
    return {
        "versions": versions,
        "device": device_name(device),
        "cuda": torch.version.cuda if torch.cuda.is_available() else None,
        "git_commit": git_commit(Path(__file__).resolve().parent),
        "host": platform.node(),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }

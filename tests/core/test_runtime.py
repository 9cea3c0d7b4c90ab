
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from helpers.core.runtime import (PhaseTimer, bfloat16_is_native, derive_seed, environment, git_commit, place,
                                  seed_everything)

ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_same_numbers():
    seed_everything(3)
    first = torch.randn(5)
    seed_everything(3)
    assert torch.equal(first, torch.randn(5))


def test_derived_seeds_are_stable_and_distinct():
    # Recorded values: a change here changes every run's numbers (and breaks resuming older checkpoints).
    assert derive_seed(0, "dann", 1) == 7897518555742031918
    assert derive_seed(7, "fid") == 7330514014527275642
    assert derive_seed(0) == 48
    assert len({derive_seed(0, "dann", e) for e in range(50)}) == 50
    assert derive_seed(0, "a", 1) != derive_seed(1, "a", 1)


def test_phase_timer_adds_up_phases():
    timer = PhaseTimer()
    with timer.phase("work"):
        time.sleep(0.02)
    with timer.phase("work"):
        time.sleep(0.02)
    timings = timer.as_dict()
    assert timings["work"] >= 0.04 - 1e-3
    assert timings["total_s"] >= timings["work"] - 0.01


def test_environment_names_versions_device_and_commit():
    env = environment(torch.device("cpu"))
    assert env["versions"]["torch"] == torch.__version__  # the exact build, local tag (+cu130, +cpu) included
    assert env["device"].startswith("cpu")
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout: the commit is 'unknown'")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    commit = env["git_commit"].removesuffix("-dirty")
    assert re.fullmatch("[0-9a-f]{40}", commit) and commit == head.strip()


def test_git_commit_outside_a_checkout_is_unknown(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def test_place_puts_conv_weights_channels_last_on_a_cpu_and_keeps_the_results():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(8 * 6 * 6, 2))
    x = torch.randn(4, 3, 8, 8)
    expected = model(x)
    weight = model[0].weight
    placed = place(model, "cpu")
    assert placed is model and model[0].weight is weight  # the same parameters: an optimizer made before still works
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    out = model(x)  # a contiguous input, as the loaders give it
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
    out.sum().backward()
    assert weight.grad is not None and weight.grad.shape == weight.shape


CRASHING_STEP = """
import torch
from torchvision.models.resnet import BasicBlock
from helpers.core.runtime import place
torch.manual_seed(0)
# A ResNet block of width 8 that halves the resolution: its downsampling path is a 1x1, stride-2 convolution on 8
# channels, as in ResNet18 at the smoke profile's width
block = BasicBlock(8, 16, stride=2, downsample=torch.nn.Sequential(torch.nn.Conv2d(8, 16, 1, stride=2, bias=False),
                                                                   torch.nn.BatchNorm2d(16)))
place(block, "cpu")
block(torch.randn(3, 8, 16, 16)).sum().backward()  # an odd batch, as a small data set's clamped batch can be
print("trained")
"""


def test_a_narrow_downsampling_convolution_is_left_contiguous_and_its_step_runs():
    """oneDNN's AVX-512 kernels kill the process in the backward pass of such a convolution in channels_last; the
    step runs in a process of its own, so that a crash fails this test instead of ending the suite."""
    narrow = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Conv2d(8, 16, 1, stride=2))
    place(narrow, "cpu")
    assert narrow[0].weight.is_contiguous()  # (a 1x1 kernel's weight has the same strides in both layouts)
    wide = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3), torch.nn.Conv2d(16, 32, 1, stride=2))
    place(wide, "cpu")  # 16 channels and more: channels_last, as measured faster
    assert wide[0].weight.is_contiguous(memory_format=torch.channels_last) and not wide[0].weight.is_contiguous()
    done = subprocess.run([sys.executable, "-c", CRASHING_STEP], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and "trained" in done.stdout, (done.returncode, done.stderr[-2000:])


@pytest.mark.parametrize("flags, native", [
    ({"avx512_f": True, "avx512_bf16": False, "amx_bf16": False}, False),  # Skylake to Ice Lake: emulated
    ({"avx512_f": True, "avx512_bf16": True, "amx_bf16": False}, True),  # AMD Zen 4, Cooper Lake
    ({"avx512_f": True, "avx512_bf16": False, "amx_bf16": True}, True),
    ({"avx2": True}, False),
], ids=["avx512-without-bf16", "avx512-bf16", "amx-bf16", "avx2"])
def test_bfloat16_is_native_on_an_x86_cpu_only_with_its_bfloat16_instructions(monkeypatch, flags, native):
    """oneDNN's own check says yes on any AVX-512 CPU; bf16 autocast there would be emulated and slower."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: flags.get("avx512_f", False))
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: flags)
    assert bfloat16_is_native() is native


def test_bfloat16_is_native_follows_onednn_where_its_instruction_set_is_capped_or_on_arm(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_f": True, "avx512_bf16": True})
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)  # ONEDNN_MAX_CPU_ISA=AVX2
    assert not bfloat16_is_native()
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {})
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)  # Arm's bfloat16 instructions
    assert bfloat16_is_native()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert not bfloat16_is_native()


def test_with_a_torch_before_get_capabilities_its_older_avx512_bf16_check_decides(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    monkeypatch.delattr(torch.cpu, "get_capabilities")
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    assert not bfloat16_is_native()
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert bfloat16_is_native()


import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import torch

from helpers.core.runtime import PhaseTimer, derive_seed, environment, git_commit, place, seed_everything

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

import time

import torch

from helpers.core.runtime import PhaseTimer, derive_seed, environment, git_commit, seed_everything


def test_same_seed_same_numbers():
    seed_everything(3)
    first = torch.randn(5)
    seed_everything(3)
    assert torch.equal(first, torch.randn(5))


def test_derived_seeds_are_stable_and_distinct():
    assert derive_seed(0, "dann", 1) == derive_seed(0, "dann", 1)
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
    assert env["versions"]["torch"] == torch.__version__.split("+")[0] or env["versions"]["torch"].startswith("2.")
    assert env["device"].startswith("cpu")
    assert env["git_commit"]


def test_git_commit_outside_a_checkout_is_unknown(tmp_path):
    assert git_commit(tmp_path) == "unknown"

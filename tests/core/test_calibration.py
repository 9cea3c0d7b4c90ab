"""`auto` on a CPU with native bfloat16: the cpu profile only where this CPU's calibration predicts the report
within 45 minutes; the calibration measured once per machine and cached."""
from __future__ import annotations

import json

import pytest
import torch

from helpers.core import calibration
from helpers.core.config import PROFILE_NOTES, resolve_profile
from helpers.report.__main__ import main as report_main
from tests.conftest import cpu_bfloat16


@pytest.fixture
def bf16_cpu(no_profile_env, monkeypatch):
    """A CPU with native bfloat16 and no CUDA; returns the list of calibrations run, whose time ``speed[0]``
    (a multiple of the reference's) sets."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cpu_bfloat16(monkeypatch, native=True)
    runs: list[float] = []
    speed = [1.0]

    def timed() -> float:
        runs.append(speed[0])
        return speed[0] * calibration.REFERENCE_ROUND_MS

    monkeypatch.setattr(calibration, "round_ms", timed)
    return runs, speed


def test_auto_picks_cpu_where_the_calibration_fits_and_cpu_lite_where_it_does_not(bf16_cpu):
    runs, speed = bf16_cpu
    speed[0] = 0.6  # the 2-core Zen 4 ran the cpu profile's report in 0.65x the reference machine's time
    assert resolve_profile("auto") == "cpu"
    speed[0] = 1.0  # the reference machine: 48 minutes of notebooks
    calibration.calibrate(refresh=True)
    assert resolve_profile("auto") == "cpu-lite"
    assert resolve_profile("cpu") == "cpu"  # asked for by name: kept
    assert runs == [0.6, 1.0]
    assert "calibration predicts" in PROFILE_NOTES["cpu-lite"]


def test_the_margin_keeps_a_prediction_just_under_the_budget_on_cpu_lite(bf16_cpu):
    """A prediction of 39 minutes plus the set-up fits the 45 only by a calibration's spread: cpu-lite."""
    runs, speed = bf16_cpu
    speed[0] = (calibration.BUDGET_MINUTES - calibration.SETUP_MINUTES - 1) / calibration.predicted_minutes(
        calibration.REFERENCE_ROUND_MS)
    measured = calibration.calibrate()
    assert measured.predicted_minutes + calibration.SETUP_MINUTES < calibration.BUDGET_MINUTES
    assert not measured.fits and resolve_profile("auto") == "cpu-lite"


def test_without_native_bfloat16_auto_is_cpu_lite_without_calibrating(bf16_cpu, monkeypatch):
    runs, _ = bf16_cpu
    cpu_bfloat16(monkeypatch, native=False)
    assert resolve_profile("auto") == "cpu-lite"
    assert runs == []


def test_the_calibration_is_measured_once_per_machine_and_cached(bf16_cpu, monkeypatch, calibration_cache):
    runs, speed = bf16_cpu
    first = calibration.calibrate()
    for _ in range(3):
        resolve_profile("auto")
    assert runs == [1.0] and calibration.calibrate() == first
    cache = calibration_cache / "calibration.json"
    assert json.loads(cache.read_text())[first.machine]["round_ms"] == pytest.approx(calibration.REFERENCE_ROUND_MS)
    # another machine (or thread count, or torch build) sharing the home folder measures its own
    monkeypatch.setattr(calibration, "machine_key", lambda: "another CPU; 2 cpus; 2 threads; torch x")
    speed[0] = 0.5
    assert resolve_profile("auto") == "cpu" and runs == [1.0, 0.5]
    assert set(json.loads(cache.read_text())) == {first.machine, "another CPU; 2 cpus; 2 threads; torch x"}


def test_a_damaged_cache_is_measured_again_and_rewritten_whole(bf16_cpu, calibration_cache):
    runs, _ = bf16_cpu
    cache = calibration_cache / "calibration.json"
    cache.write_text('{"Intel(R) Xeon(R)": {"round_ms": ')  # cut off mid-write
    calibration.calibrate()
    assert runs == [1.0]
    assert calibration.machine_key() in json.loads(cache.read_text())
    assert sorted(p.name for p in cache.parent.iterdir()) == ["calibration.json", "calibration.lock"]


def test_an_unwritable_cache_folder_measures_once_per_process(bf16_cpu, monkeypatch, tmp_path, capsys):
    runs, _ = bf16_cpu
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("DLCV_CACHE", str(blocked / "dlcv-report"))  # cannot be made under a file
    monkeypatch.setattr(calibration, "UNCACHED", {})
    assert resolve_profile("auto") == "cpu-lite" and resolve_profile("auto") == "cpu-lite"
    assert runs == [1.0]
    assert "cannot cache this CPU's calibration" in capsys.readouterr().err


def test_a_cache_file_that_cannot_be_replaced_measures_once_per_process(bf16_cpu, monkeypatch, calibration_cache,
                                                                         capsys):
    runs, _ = bf16_cpu
    monkeypatch.setattr(calibration, "UNCACHED", {})
    (calibration_cache / "calibration.json").mkdir()  # in the way of the rename
    assert resolve_profile("auto") == "cpu-lite" and resolve_profile("auto") == "cpu-lite"
    assert runs == [1.0]
    assert "cannot cache this CPU's calibration" in capsys.readouterr().err
    assert sorted(p.name for p in calibration_cache.iterdir()) == ["calibration.json",
                                                                                     "calibration.lock"]


def test_round_ms_times_training_rounds_and_leaves_the_random_state_alone():
    state = torch.random.get_rng_state()
    ms = calibration.round_ms(seconds=0.0, min_rounds=2, warmup=1)
    assert ms > 0
    assert torch.equal(torch.random.get_rng_state(), state)


def test_profile_command_says_what_auto_picks_and_why(bf16_cpu, capsys, monkeypatch):
    runs, speed = bf16_cpu
    assert report_main(["profile"]) == 0
    said = capsys.readouterr()
    (choice,) = said.out.splitlines()  # stdout holds the answer alone (the Makefile reads --name-only's)
    assert said.err.startswith("profile auto: timing this CPU") and choice.startswith("auto: cpu-lite (")
    assert "53 minutes with the set-up" in choice, choice  # 48 minutes of notebooks on the reference machine
    speed[0] = 0.5
    assert report_main(["profile"]) == 0 and capsys.readouterr().out.startswith("auto: cpu-lite")  # cached
    assert report_main(["profile", "--recalibrate", "--name-only"]) == 0
    assert capsys.readouterr().out == "cpu\n"
    monkeypatch.setenv("DLCV_PROFILE", "smoke")
    assert report_main(["profile"]) == 0
    assert capsys.readouterr().out == "auto: smoke (environment variable DLCV_PROFILE)\n"

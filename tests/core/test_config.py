
import dataclasses
import re

import numpy as np
import pytest
import torch

from helpers.adaptation.config import AddaConfig, DannConfig
from helpers.core import calibration
from helpers.core.config import PROFILES, as_dict, budget, epochs_for, make_config, resolve_profile
from helpers.diffusion.config import ConditionalDiffusionConfig, DdpmConfig
from helpers.gans.config import AcganConfig, GanConfig
from helpers.representation.config import ByolConfig, ClassificationConfig
from helpers.segmentation.config import SegmentationConfig
from tests.conftest import cpu_bfloat16


def test_auto_is_gpu_with_cuda_and_on_a_cpu_cpu_or_cpu_lite_by_native_bfloat16(no_profile_env, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cpu_bfloat16(monkeypatch, native=True)
    monkeypatch.setattr(calibration, "round_ms", lambda: 0.5 * calibration.REFERENCE_ROUND_MS)  # a fast CPU
    assert resolve_profile("auto") == "cpu"
    cpu_bfloat16(monkeypatch, native=False)
    assert resolve_profile("auto") == "cpu-lite"
    assert resolve_profile("cpu") == "cpu"  # asked for by name: kept
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert resolve_profile("auto") == "gpu"


CONFIGS = [GanConfig, AcganConfig, DdpmConfig, ConditionalDiffusionConfig, DannConfig, AddaConfig,
           ClassificationConfig, ByolConfig, SegmentationConfig]


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda cls: cls.__name__)
def test_every_config_has_every_profile_and_cpu_lite_trains_less_than_cpu(cls):
    """A profile a config lacks would silently run the cpu profile's values; cpu-lite must shorten every training
    (the whole report's time on a CPU without native bfloat16 depends on it) and grade no more samples."""
    assert set(PROFILES) <= set(cls.PROFILES) | {"cpu"}, cls.PROFILES.keys()
    lite, cpu = make_config(cls, "cpu-lite"), make_config(cls, "cpu")
    steps = [f.name for f in dataclasses.fields(cls) if "epochs" in f.metadata]
    assert steps and all(getattr(lite, name) < getattr(cpu, name) for name in steps), steps
    for name in ("eval_samples", "per_class", "per_digit", "sweep_per_digit", "ddpm_per_digit"):
        assert getattr(lite, name, 0) <= getattr(cpu, name, 0)
    changed = {k for k, v in dataclasses.asdict(lite).items() if v != getattr(cpu, k)}
    assert changed == set(cls.PROFILES["cpu-lite"]), "cpu-lite changes more than its budgets"


def test_environment_variable_overrides_auto_only(monkeypatch):
    monkeypatch.setenv("DLCV_PROFILE", "smoke")
    assert resolve_profile("auto") == "smoke"
    assert resolve_profile("cpu") == "cpu"


def test_unknown_profile_lists_the_choices(no_profile_env):
    with pytest.raises(ValueError, match=r"'fast'.*smoke, cpu-lite, cpu, gpu"):
        resolve_profile("fast")


def test_unknown_profile_from_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("DLCV_PROFILE", "tiny")
    with pytest.raises(ValueError, match="DLCV_PROFILE"):
        resolve_profile("auto")


def test_profile_values_then_overrides():
    smoke = make_config(DannConfig, "smoke")
    cpu = make_config(DannConfig, "cpu")
    assert smoke.steps < cpu.steps and smoke.epochs is None
    assert make_config(DannConfig, "smoke", {"epochs": 7, "lr": None}).epochs == 7
    assert make_config(DannConfig, "smoke", {"lr": None}).lr == smoke.lr


def test_unknown_field_lists_the_valid_fields():
    with pytest.raises(ValueError, match=r"unknown parameter 'epoch'.*epochs"):
        make_config(DannConfig, "cpu", {"epoch": 3})


@pytest.mark.parametrize("field, value", [("epochs", -1), ("epochs", 0), ("batch_size", 1), ("lr", -0.1),
                                          ("widths", (32, 0))])
def test_out_of_range_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=rf"{field}=.*out of range"):
        make_config(DannConfig, "cpu", {field: value})


@pytest.mark.parametrize("field, value, expected", [("steps", 2.5, "int"), ("steps", "2.5", "int"),
                                                     ("steps", True, "int"), ("epochs", 2.5, r"int \| None"),
                                                     ("lr", "fast", "float"),
                                                     ("widths", "16,64", r"tuple\[int, \.\.\.\]"),
                                                     ("widths", [16, "wide"], "int"), ("input_norm", 1, "str")])
def test_a_value_of_the_wrong_type_names_the_field_the_value_and_the_type(field, value, expected):
    with pytest.raises(ValueError, match=rf"{field}(\[1\])?=.*has the wrong type; expected {expected}$"):
        make_config(DannConfig, "cpu", {field: value})


def test_papermill_strings_are_converted_when_unambiguous():
    from helpers.gans.config import GanConfig
    from helpers.segmentation.config import SegmentationConfig

    config = make_config(DannConfig, "cpu", {"epochs": "3", "lr": "1e-3", "widths": ["8", 16],
                                             "pairs": ["digits-m->digits-s"]})
    assert (config.epochs, config.lr, config.widths, config.pairs) == (3, 0.001, (8, 16), ("digits-m->digits-s",))
    assert type(config.epochs) is int and type(config.lr) is float
    for text, flag in [("true", True), ("FALSE", False), ("1", True), ("0", False), (0, False)]:
        assert make_config(GanConfig, "cpu", {"bf16": text}).bf16 is flag
    with pytest.raises(ValueError, match=r"bf16='yes' has the wrong type; expected bool"):
        make_config(GanConfig, "cpu", {"bf16": "yes"})
    with pytest.raises(ValueError, match=r"digits_per_canvas=\[1, 2, 3\] has the wrong type; "
                                         r"expected tuple\[int, int\]"):
        make_config(SegmentationConfig, "cpu", {"digits_per_canvas": [1, 2, 3]})


def test_optional_fields_take_none_or_their_type():
    from helpers.core.config import typed

    assert typed("n", None, int | None) is None and typed("n", "4", int | None) == 4
    with pytest.raises(ValueError, match=r"n='four' has the wrong type; expected int \| None"):
        typed("n", "four", int | None)


def test_as_dict_is_json_friendly():
    values = as_dict(make_config(DannConfig, "smoke"))
    assert isinstance(values["widths"], list) and isinstance(values["pairs"], list)


def test_prepare_run_resolves_builds_seeds_and_picks_the_device(monkeypatch):
    from helpers.core.config import prepare_run

    monkeypatch.setenv("DLCV_PROFILE", "smoke")
    profile, config, device = prepare_run(DannConfig, "auto", {"epochs": 3}, seed=4)
    first = torch.rand(3)
    prepare_run(DannConfig, "auto", {}, seed=4)
    assert profile == "smoke" and config.epochs == 3 and device.type == "cpu"
    assert torch.equal(first, torch.rand(3))  # seeded the same way both times


@pytest.mark.parametrize("seed", ["abc", "3", 1.5, -1, 2**32, True, None])
def test_a_seed_that_is_not_a_whole_number_in_range_is_named_before_anything_runs(seed):
    """(Before, "abc" failed in seed_everything with a TypeError naming nothing, 1.5 in NumPy, and -1 only after the
    whole notebook had trained, in scikit-learn's PCA.)"""
    from helpers.core.config import prepare_run

    with pytest.raises(ValueError, match=rf"seed={re.escape(repr(seed))} is not valid; expected a whole number from 0"):
        prepare_run(DannConfig, "smoke", {}, seed=seed)
    prepare_run(DannConfig, "smoke", {}, seed=2**32 - 1)
    prepare_run(DannConfig, "smoke", {}, seed=np.int64(3))  # a notebook's own NumPy integer is a whole number too


def test_a_budget_in_steps_gives_epochs_that_follow_the_data_size():
    """616 steps of batch 64 are 22 epochs of the embedded pairs' 1,800 images, 3 of 18,000, 88 of 500."""
    assert (make_config(DannConfig, "cpu").steps, make_config(DannConfig, "cpu").epochs) == (616, None)
    config = make_config(DannConfig, "cpu", {"batch_size": 64})
    assert [budget(config, "steps", n).epochs for n in (1800, 18000, 500)] == [22, 3, 88]
    assert epochs_for(616, 1800, 64) == 22 and epochs_for(5, 100_000, 64) == 1  # at least one epoch
    long = budget(config, "steps", 18000)
    assert (long.batches, long.override, long.batch_size) == (281, False, 64)


def test_the_last_epoch_stops_where_the_step_budget_does_and_the_table_says_so():
    """On a large set the epochs overshoot the budget (616 steps are 3 epochs of 281 batches, 843 steps): the
    training takes 616 steps, and the hyperparameter table says where the last epoch stops. Where the epochs fit
    the budget exactly, or are set explicitly, nothing is cut."""
    config = make_config(DannConfig, "cpu", {"batch_size": 64})
    large = budget(config, "steps", 18000)
    assert (large.epochs, large.max_steps, large.total_steps) == (3, 616, 616)
    assert large.describe()["epochs"] == "3 (281 batches an epoch, the last epoch stopped after 54: 616 steps)"
    exact = budget(config, "steps", 1800)
    assert (exact.total_steps, exact.describe()["epochs"]) == (616, "22 (28 batches an epoch: 616 steps)")
    explicit = budget(make_config(DannConfig, "cpu", {"epochs": 3, "batch_size": 64}), "steps", 18000)
    assert (explicit.max_steps, explicit.total_steps) == (None, 843)
    assert explicit.describe()["epochs"] == "3 (set explicitly; 281 batches an epoch: 843 steps)"


def test_an_explicit_epochs_override_wins_over_the_steps():
    config = make_config(DannConfig, "cpu", {"epochs": 5})
    assert [budget(config, "steps", n).epochs for n in (500, 1800, 18000)] == [5, 5, 5]
    assert budget(config, "steps", 1800).override
    adda = make_config(AddaConfig, "cpu", {"adapt_epochs": 2, "batch_size": 64})  # each budget has its own override
    assert (budget(adda, "adapt_steps", 1800).epochs, budget(adda, "steps", 1800).epochs) == (2, 22)


def test_the_batch_is_clamped_to_the_data_and_the_budget_says_so():
    config = make_config(DannConfig, "cpu", {"batch_size": 64})
    small = budget(config, "steps", 24)
    assert (small.batch_size, small.batches, small.epochs) == (24, 1, 616)
    assert small.describe()["batch_size"] == "24 (clamped from 64: 24 training images)"
    paired = budget(config, "steps", 1800, batch_limit=30)  # paired batches: the target holds 30 images
    assert (paired.batch_size, paired.batches) == (30, 60)
    assert budget(config, "steps", 1800).describe()["batch_size"] == "64"

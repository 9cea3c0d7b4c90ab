import pytest
import torch

from helpers.adaptation.config import DannConfig
from helpers.core.config import as_dict, make_config, resolve_profile


def test_auto_is_cpu_without_cuda_and_gpu_with_it(no_profile_env, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_profile("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_profile("auto") == "gpu"


def test_environment_variable_overrides_auto_only(monkeypatch):
    monkeypatch.setenv("DLCV_PROFILE", "smoke")
    assert resolve_profile("auto") == "smoke"
    assert resolve_profile("cpu") == "cpu"


def test_unknown_profile_lists_the_choices(no_profile_env):
    with pytest.raises(ValueError, match=r"'fast'.*smoke, cpu, gpu"):
        resolve_profile("fast")


def test_unknown_profile_from_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("DLCV_PROFILE", "tiny")
    with pytest.raises(ValueError, match="DLCV_PROFILE"):
        resolve_profile("auto")


def test_profile_values_then_overrides():
    smoke = make_config(DannConfig, "smoke")
    cpu = make_config(DannConfig, "cpu")
    assert smoke.epochs < cpu.epochs
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

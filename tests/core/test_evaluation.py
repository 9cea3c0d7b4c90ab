"""Modules and data on one device: helpers that run a module take its device or refuse a mismatch clearly.

No GPU here: the "meta" device stands in for a second device (a module there is not on the CPU)."""
import pytest
import torch
from torch import nn

from helpers.core.config import make_config
from helpers.core.evaluation import accuracy, apply, check_device
from helpers.core.images import ImageSet
from helpers.diffusion.process import diffusion_loss, drop_labels, make_schedule, q_sample
from helpers.representation.config import ByolConfig
from helpers.representation.networks import random_backbone


def images(n=6):
    return ImageSet(torch.randint(0, 256, (n, 1, 4, 4), dtype=torch.uint8), torch.arange(n) % 2, "tiny")


def test_apply_runs_on_the_modules_device_by_default():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    assert apply(model, images()).shape == (6, 2)
    assert 0.0 <= accuracy(model, images()) <= 1.0


def test_a_module_on_another_device_than_asked_is_refused_naming_both():
    model = nn.Linear(16, 2, device="meta")
    with pytest.raises(ValueError, match=r"Linear's weights are on meta but it is asked to run on device='cpu'"):
        apply(model, images(), "cpu")
    with pytest.raises(ValueError, match="on meta"):
        check_device(model.forward, "cpu")  # a bound method is checked through its module
    assert check_device(model, None) == torch.device("meta")
    assert check_device(lambda x: x, "cpu") == torch.device("cpu")  # no weights: nothing to check


def test_byols_random_backbone_is_built_on_the_device_asked_for():
    """The byol notebook's t-SNE crashed on CUDA: the random backbone stayed on the CPU."""
    config = make_config(ByolConfig, "smoke")
    backbone = random_backbone(config, seed=0, device="meta")
    assert {p.device.type for p in backbone.parameters()} == {"meta"}
    on_cpu = random_backbone(config, seed=0)
    again = random_backbone(config, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(on_cpu.state_dict().values(), again.state_dict().values()))


def test_the_schedule_is_copied_to_a_device_once():
    schedule = make_schedule(50)
    assert schedule.on("cpu") is schedule
    assert schedule.alpha_bar is schedule.alpha_bar  # computed once, not every training step
    x0 = torch.zeros(3, 1, 4, 4)
    assert q_sample(schedule, x0, torch.tensor([0, 10, 49]), torch.ones_like(x0)).shape == x0.shape


def test_training_draws_on_the_datas_device():
    labels = torch.arange(8)
    dropped = drop_labels(labels, 0.5, null_label=10)
    assert dropped.device == labels.device and set(dropped.tolist()) <= set(range(8)) | {10}
    model = lambda x, t, labels: x * 0  # noqa: E731
    assert diffusion_loss(model, make_schedule(50), torch.randn(4, 1, 4, 4)).ndim == 0

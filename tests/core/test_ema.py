"""helpers.core.ema.WeightAverage: torch's AveragedModel's numbers, without a host read per update."""
import pytest
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from helpers.core.ema import WeightAverage


def network():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


def train(model, averages, steps=7):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    torch.manual_seed(1)
    for _ in range(steps):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        for average in averages:
            average.update_parameters(model)


def warmup_avg_fn(decay):  # what the GAN package passed to AveragedModel before
    def average(averaged, current, n):
        d = min(decay, (1 + float(n)) / (10 + float(n)))
        return d * averaged + (1 - d) * current
    return average


@pytest.mark.parametrize("warmup,buffers", [(True, True), (False, False)])
def test_equals_torch_averaged_model_bit_for_bit(warmup, buffers):
    model = network()
    ours = WeightAverage(model, 0.9, warmup=warmup, buffers=buffers)
    if warmup:
        theirs = AveragedModel(model, avg_fn=warmup_avg_fn(0.9), use_buffers=True)
    else:
        theirs = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    train(model, [ours, theirs])
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert mine.keys() == reference.keys() and int(mine["n_averaged"]) == 7
    for key in mine:
        assert torch.equal(mine[key], reference[key]), key
    assert not torch.equal(ours.module[0].weight, model[0].weight)  # an average, not a copy


def test_resumed_average_continues_from_its_saved_count():
    model = network()
    whole = WeightAverage(model, 0.9, warmup=True, buffers=True)
    train(model, [whole], steps=3)
    resumed = WeightAverage(network(), 0.9, warmup=True, buffers=True)
    resumed.load_state_dict(whole.state_dict())
    train(model, [whole, resumed], steps=2)
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


def test_update_reads_nothing_on_the_host(monkeypatch):
    model = network()
    average = WeightAverage(model, 0.9, warmup=True, buffers=True)
    average.update_parameters(model)  # the first update reads the count once
    reads = []
    for name in ("__float__", "item", "__bool__", "__int__", "__index__", "tolist"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, **kwargs):
            reads.append(name)
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(torch.Tensor, name, counted)
    for _ in range(5):
        average.update_parameters(model)
    monkeypatch.undo()
    assert reads == []


def test_decay_out_of_range_is_refused():
    with pytest.raises(ValueError, match="decay=1.5"):
        WeightAverage(network(), 1.5)

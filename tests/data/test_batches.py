import torch

from helpers.core.images import ImageSet
from helpers.data.batches import Batches, PairedBatches


def test_batches_apply_the_transform_to_both_domains():
    data = ImageSet(images=torch.full((8, 1, 4, 4), 255, dtype=torch.uint8), labels=torch.arange(8), name="x")
    plain = next(iter(Batches(data, 4)))[0]
    assert torch.equal(plain, torch.ones_like(plain))
    source, _, target = next(iter(PairedBatches(data, data, 4, transform=lambda x: -x)))
    assert torch.equal(source, -plain) and torch.equal(target, -plain)

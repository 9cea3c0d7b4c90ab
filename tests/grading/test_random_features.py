"""The label-free random-feature FID of helpers/grading/random_features.py: a fixed network, and a distance that
real images of the same kind keep low (the floor) and that blur, noise, a collapse onto a few images and pure
noise raise above it. Only orderings are asserted: the numbers themselves are what the notebooks report."""
import pytest
import torch
from torch.nn import functional as F

from helpers.core.images import to_float
from helpers.data import embedded_domains
from helpers.grading.random_features import RandomFeatures, random_features, random_fid


@pytest.fixture(scope="module")
def digits():
    """Two disjoint sets of real images: 450 embedded digits of the training split and the 450 held out."""
    domain = embedded_domains(["digits"], seed=0, size=28, copies=1)["digits"]
    return to_float(domain.train.images[:450]), to_float(domain.test.images)


def test_the_network_is_fixed_by_its_seed_not_by_the_global_generator():
    images = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    torch.manual_seed(123)
    first = random_features(images)
    torch.manual_seed(456)
    assert (random_features(images) == first).all()
    assert first.shape == (4, 352)
    other = RandomFeatures(seed=1)
    assert not torch.equal(other.stages[0].weight, RandomFeatures().stages[0].weight)


def test_gray_images_read_as_their_three_channel_copies():
    gray = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 2 - 1
    assert (random_features(gray) == random_features(gray.repeat(1, 3, 1, 1))).all()


def test_real_vs_real_is_the_floor_and_degraded_images_rise_above_it(digits):
    train, held_out = digits
    gen = torch.Generator().manual_seed(0)
    floor = random_fid(held_out, train)
    degraded = {
        "blurred": F.avg_pool2d(F.pad(train, (1, 1, 1, 1), mode="replicate"), 3, 1),
        "noisy": (train + 0.1 * torch.randn(train.shape, generator=gen)).clamp(-1, 1),
        "ten images repeated": train[:10].repeat(45, 1, 1, 1),
        "noise": torch.rand(train.shape, generator=gen) * 2 - 1,
    }
    distances = {name: random_fid(held_out, images) for name, images in degraded.items()}
    assert all(distance > 3 * floor for distance in distances.values()), (floor, distances)
    assert distances["noise"] == max(distances.values())


def test_images_of_other_sizes_or_uint8_are_rejected():
    with pytest.raises(ValueError, match=r"one size and channels; got \(1, 28, 28\) and \(3, 28, 28\)"):
        random_fid(torch.zeros(2, 1, 28, 28), torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="float images"):
        random_features(torch.zeros(2, 3, 28, 28, dtype=torch.uint8))

import pytest
import torch

from helpers.adaptation.augment import augment_digits, training_augmentation
from helpers.adaptation.config import DannConfig


def digits(n=32, channels=3, size=28):
    torch.manual_seed(0)
    return torch.rand(n, channels, size, size) * 2 - 1


def test_without_jitter_the_images_pass_unchanged():
    images = digits()
    out = augment_digits(images, rotation=0, zoom=0, shift=0, invert=False)
    assert torch.allclose(out, images, atol=1e-5)


def test_invert_flips_the_polarity_of_about_half_the_images():
    images = digits(n=200)
    out = augment_digits(images, rotation=0, zoom=0, shift=0, invert=True)
    flipped = torch.tensor([torch.allclose(o, -i, atol=1e-5) for o, i in zip(out, images)])
    kept = torch.tensor([torch.allclose(o, i, atol=1e-5) for o, i in zip(out, images)])
    assert bool((flipped | kept).all())
    assert 60 < int(flipped.sum()) < 140


def test_each_image_gets_its_own_geometry_and_the_seed_repeats_it():
    image = digits(n=1)
    batch = image.repeat(8, 1, 1, 1)
    torch.manual_seed(1)
    out = augment_digits(batch, invert=False)
    assert out.shape == batch.shape and out.dtype == batch.dtype
    assert out.min() >= -1 and out.max() <= 1
    assert len({tuple(o.flatten()[:50].tolist()) for o in out}) == 8  # eight different draws
    torch.manual_seed(1)
    assert torch.equal(augment_digits(batch, invert=False), out)


def test_a_shift_moves_the_digit():
    image = torch.full((1, 1, 28, 28), -1.0)
    image[..., 10:18, 10:18] = 1.0  # a bright square in the middle
    moved = augment_digits(image.repeat(16, 1, 1, 1), rotation=0, zoom=0, shift=0.2, invert=False)
    centres = [(o[0] > 0).nonzero().float().mean(0) for o in moved]
    assert max(float((c - 13.5).abs().max()) for c in centres) > 1.5


def test_choices():
    assert training_augmentation("none") is None
    assert DannConfig().augment == "affine+invert"
    with pytest.raises(ValueError, match="augment='flip'"):
        training_augmentation("flip")


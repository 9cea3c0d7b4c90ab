"""The embedded domains: real digits, disjoint subsets, fixed splits, in-memory tensors."""
import pytest
import torch

from helpers.core.images import ImageSet, to_float
from helpers.data import EMBEDDED_DOMAINS, load_domains
from helpers.data.embedded import embedded_domains, stratified_groups

DA = ["digits-m", "digits-s", "digits-u"]


@pytest.fixture(scope="module")
def domains():
    return embedded_domains(DA, seed=0, size=28, copies=2)


def test_shapes_channels_and_classes(domains):
    for name, domain in domains.items():
        for split in (domain.train, domain.test):
            assert split.images.dtype == torch.uint8
            assert split.images.shape[1:] == ((3 if name in ("digits-m", "digits-s") else 1), 28, 28)
            assert sorted(split.labels.unique().tolist()) == list(range(10))
        assert 0.15 < len(domain.test) / (len(domain.train) + len(domain.test)) < 0.35


def test_domains_used_together_share_no_handwritten_sample(domains):
    origins = {name: set(torch.cat([d.train.origin, d.test.origin]).tolist()) for name, d in domains.items()}
    for a in DA:
        for b in DA:
            if a < b:
                assert not origins[a] & origins[b], (a, b)
    assert sum(len(o) for o in origins.values()) == 1797


def test_train_and_test_split_by_handwritten_sample(domains):
    for domain in domains.values():
        assert not set(domain.train.origin.tolist()) & set(domain.test.origin.tolist())


def test_copies_are_different_renderings(domains):
    train = domains["digits-m"].train
    first = (train.origin == train.origin[0]).nonzero().flatten()
    assert len(first) == 2 and not torch.equal(train.images[first[0]], train.images[first[1]])


def test_one_domain_alone_uses_every_digit():
    digits = embedded_domains(["digits"], seed=0)["digits"]
    assert len(digits.train) + len(digits.test) == 1797


def test_fixed_by_seed_and_cached():
    a = embedded_domains(["digits-m", "digits-u"], seed=1)
    b = embedded_domains(["digits-u", "digits-m"], seed=1)
    assert a["digits-m"] is b["digits-m"]  # cached in memory, whatever the order asked
    c = embedded_domains(["digits-m", "digits-u"], seed=2)
    assert not torch.equal(a["digits-m"].train.images[:50], c["digits-m"].train.images[:50])


def test_groups_are_disjoint_and_stratified():
    labels = torch.arange(1000) % 10
    groups = stratified_groups(labels, 3, seed=0)
    assert sum(len(g) for g in groups) == 1000 and len(set(torch.cat(groups).tolist())) == 1000
    for g in groups:
        counts = torch.bincount(labels[g], minlength=10)
        assert counts.max() - counts.min() <= 1


def test_unknown_domain_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown embedded domain 'digits-x'.*" + ", ".join(EMBEDDED_DOMAINS)):
        load_domains("embedded", ["digits-m", "digits-x"])


def test_images_are_scaled_to_minus_one_one():
    images = to_float(torch.tensor([[[[0, 255]]]], dtype=torch.uint8))
    assert images.tolist() == [[[[-1.0, 1.0]]]]


def test_gray_becomes_colour_for_pairing():
    gray = ImageSet(torch.randint(0, 255, (4, 1, 8, 8), dtype=torch.uint8), torch.zeros(4, dtype=torch.long), "g")
    colour = gray.with_channels(3)
    assert colour.channels == 3 and torch.equal(colour.images[:, 0], colour.images[:, 2])

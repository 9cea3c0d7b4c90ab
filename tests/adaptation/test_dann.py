"""DANN: gradient reversal, its schedule, the step, and the methods around it."""
import pytest
import torch

from helpers.adaptation.common import DomainPair, parse_pair, resolve_pairs
from helpers.adaptation.config import DannConfig
from helpers.adaptation.dann import build_dann, dann_step
from helpers.adaptation.experiment import METHODS, run_method
from helpers.adaptation.networks import GradientReversal, grl_lambda
from helpers.core.config import make_config
from helpers.core.digit_cnn import standardize
from helpers.data import load_domains
from helpers.data.batches import Batches, PairedBatches


@pytest.fixture(scope="module")
def pair():
    domains = load_domains("embedded", ["digits-m", "digits-u"], copies=1)
    return DomainPair.of(domains["digits-m"], domains["digits-u"])


def test_gradient_reversal_is_identity_forward_and_negated_backward():
    layer = GradientReversal(lambda_=0.3)
    x = torch.randn(4, 5, requires_grad=True)
    y = layer(x)
    assert torch.equal(y, x)
    upstream = torch.randn(4, 5)
    y.backward(upstream)
    assert torch.allclose(x.grad, -0.3 * upstream)


def test_lambda_schedule_rises_from_zero_towards_one():
    values = [grl_lambda(p / 10) for p in range(11)]
    assert values[0] == 0.0 and values[-1] == pytest.approx(0.9999, abs=1e-3)
    assert all(a < b for a, b in zip(values, values[1:]))


def test_dann_step_trains_the_domain_classifier_and_reverses_its_gradient(pair):
    config = make_config(DannConfig, "smoke")
    model = build_dann(config, pair.channels)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # look at gradients, change nothing
    batch = next(iter(PairedBatches(pair.source.train, pair.target.train, 16)))
    losses = dann_step(model, optimizer, config)(batch, progress=0.5)
    assert set(losses) == {"class", "domain"}
    assert model.domain_classifier.reversal.lambda_ == pytest.approx(grl_lambda(0.5, config.gamma))
    assert all(p.grad is not None for p in model.domain_classifier.parameters())

    # The feature extractor's gradient from the domain loss alone is the negative (times lambda) of
    # what it would be without the reversal layer.
    features_param = model.feature_extractor[0].weight
    model.eval()  # no dropout: both passes see the same network
    grads = []
    for lam in (1.0, -1.0):
        model.zero_grad()
        model.domain_classifier.reversal.lambda_ = lam
        source, _, target = batch
        logits = model.domain_classifier(model.feature_extractor(torch.cat([source, target])))
        domains = torch.cat([torch.zeros(len(source)), torch.ones(len(target))]).long()
        torch.nn.functional.cross_entropy(logits, domains).backward()
        grads.append(features_param.grad.clone())
    assert torch.allclose(grads[0], -grads[1], atol=1e-6)


@pytest.mark.parametrize("batch_norm", ["mixed", "per-domain"])
def test_batch_norm_sees_the_mixed_batch_or_each_domain_as_configured(pair, batch_norm):
    config = make_config(DannConfig, "smoke", {"batch_norm": batch_norm})
    model = build_dann(config, pair.channels)
    first_norm = model.feature_extractor[1]
    first_norm.momentum = 1.0  # its running mean becomes the mean of the last batch it normalised
    source, labels, target = next(iter(PairedBatches(pair.source.train, pair.target.train, 16)))
    with torch.no_grad():  # the first convolution's output per channel, before the step changes its weights
        conv = model.feature_extractor[0]
        means = {name: conv(standardize(images)).mean((0, 2, 3))
                 for name, images in {"mixed": torch.cat([source, target]), "target": target}.items()}
    dann_step(model, torch.optim.SGD(model.parameters(), lr=0.0), config)((source, labels, target), progress=0.5)
    # Mixed: one pass, normalised with the mixture's statistics, which the evaluated model's running statistics
    # hold. Per-domain: the target's own pass came last.
    expected = means["mixed"] if batch_norm == "mixed" else means["target"]
    assert torch.allclose(first_norm.running_mean, expected, atol=1e-5)
    assert not torch.allclose(means["mixed"], means["target"], atol=1e-3)  # the two domains do differ


def test_paired_batches_hand_out_no_target_labels(pair):
    batches = PairedBatches(pair.source.train, pair.target.train, 32)
    assert len(batches) == len(pair.source.train) // 32
    for batch in batches:
        assert len(batch) == 3 and batch[2].shape == batch[0].shape


def test_batches_cover_the_set_once_per_epoch(pair):
    batches = Batches(pair.source.test, 10, drop_last=False, shuffle=False)
    labels = torch.cat([y for _, y in batches])
    assert torch.equal(labels, pair.source.test.labels)


def test_same_seed_twice_gives_the_same_metrics(pair):
    config = make_config(DannConfig, "smoke")
    first = run_method("dann", pair, config, data="embedded", seed=5, device=torch.device("cpu"))
    second = run_method("dann", pair, config, data="embedded", seed=5, device=torch.device("cpu"))
    assert first.accuracy == second.accuracy and first.history == second.history


def test_unknown_method_lists_the_methods(pair):
    with pytest.raises(ValueError, match="unknown method 'dan'.*" + ", ".join(METHODS)):
        run_method("dan", pair, make_config(DannConfig, "smoke"), data="embedded", seed=0,
                   device=torch.device("cpu"))


@pytest.mark.parametrize("pair_channels, to_usps", [("fewer", 1), ("more", 3)])
def test_a_pair_with_a_gray_domain_trains_in_the_configured_channels(pair_channels, to_usps):
    """digits-u is gray: with "fewer" the digits-m images of that pair are averaged to gray, with "more" digits-u is
    repeated to RGB; a pair of two colour domains keeps its colour either way."""
    from helpers.adaptation.pairs import load_pairs

    config = make_config(DannConfig, "smoke", {"pair_channels": pair_channels})
    _, pairs = load_pairs(config, "embedded", seed=0)
    to_u, to_s = pairs["digits-m->digits-u"], pairs["digits-m->digits-s"]
    assert to_u.channels == to_u.target.train.channels == to_u.source.test.channels == to_usps
    assert to_s.channels == to_s.target.test.channels == 3
    if pair_channels == "fewer":  # the mean of the colour channels, as helpers.predict converts a colour image
        colour = pairs["digits-m->digits-s"].source.train.images
        assert torch.equal(to_u.source.train.images, colour.float().mean(1, keepdim=True).round().to(torch.uint8))
    with pytest.raises(ValueError, match="fewer, more"):
        DomainPair.of(to_u.source, to_u.target, "most")


def test_pairs_are_checked_and_mapped_to_course_names():
    assert resolve_pairs(["digits-m->digits-u"], "/data/digits") == [("mnistm", "usps")]
    with pytest.raises(ValueError, match="unknown domain 'digits-z'"):
        resolve_pairs(["digits-z->digits-m"], "embedded")
    with pytest.raises(ValueError, match="must look like 'source->target'"):
        parse_pair("digits-m", ["digits-m"])


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_every_profile_builds_a_working_network(profile):
    config = make_config(DannConfig, profile)
    model = build_dann(config, channels=3).eval()
    images = torch.zeros(2, 3, config.image_size, config.image_size)
    assert model(images).shape == (2, 10)
    assert model.domain_classifier(model.feature_extractor(images)).shape == (2, 2)


@pytest.mark.parametrize("method", ["source-only", "dann", "adda", "target-only"])
def test_sets_smaller_than_a_batch_train_in_clamped_batches(pair, method):
    """A target of 20 training images and batch 64: every method trains (paired batches of 20 for DANN and ADDA)."""
    from helpers.adaptation.config import AddaConfig
    from helpers.core.config import budget
    from helpers.core.images import Domain, ImageSet

    def first(s, n):
        return ImageSet(s.images[:n], s.labels[:n], s.name)
    small = DomainPair.of(pair.source, Domain(pair.target.name, first(pair.target.train, 20), pair.target.test))
    config = make_config(AddaConfig, "smoke", {"steps": 2, "adapt_steps": 2, "batch_size": 64})
    assert (small.budget(config).batch_size, budget(config, "steps", 20).batch_size) == (20, 20)
    result = run_method(method, small, config, data="embedded", seed=0, device=torch.device("cpu"))
    assert 0.0 <= result.accuracy <= 1.0

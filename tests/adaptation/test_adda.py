"""ADDA: inverted labels for the target encoder, a frozen source encoder, evaluation on the target encoder."""
import pytest
import torch

from helpers.adaptation import adda
from helpers.adaptation.adda import AddaDiscriminator, SOURCE, TARGET, adda_step
from helpers.adaptation.common import DomainPair
from helpers.adaptation.config import AddaConfig
from helpers.adaptation.experiment import run_method
from helpers.core.config import make_config
from helpers.core.digit_cnn import FeatureExtractor
from helpers.core.evaluation import accuracy
from helpers.data import load_domains


@pytest.fixture(scope="module")
def pair():
    domains = load_domains("embedded", ["digits-m", "digits-u"], copies=1)
    return DomainPair.of(domains["digits-m"], domains["digits-u"])


def encoders():
    torch.manual_seed(0)
    source = FeatureExtractor(3, (4, 8))
    target = FeatureExtractor(3, (4, 8))
    target.load_state_dict(source.state_dict())
    return source.requires_grad_(False), target, AddaDiscriminator(source.out_features, 16)


def test_target_encoder_is_trained_with_inverted_labels(monkeypatch):
    source, target, discriminator = encoders()
    seen = []
    real = torch.nn.functional.cross_entropy

    def spy(logits, labels):
        seen.append((logits.requires_grad, labels.tolist()))
        return real(logits, labels)

    monkeypatch.setattr(adda.F, "cross_entropy", spy)
    step = adda_step(source, target, discriminator, torch.optim.SGD(discriminator.parameters(), lr=0.1),
                     torch.optim.SGD(target.parameters(), lr=0.1))
    x = torch.randn(6, 3, 28, 28)
    step((x, None, x + 1), 0.0)
    source_d, target_d, target_encoder = seen
    assert set(source_d[1]) == {SOURCE} and set(target_d[1]) == {TARGET}  # discriminator: true domains
    assert set(target_encoder[1]) == {SOURCE}  # target encoder: its features labelled as source


def test_source_encoder_stays_frozen_while_the_target_encoder_moves():
    source, target, discriminator = encoders()
    before_source = {k: v.clone() for k, v in source.state_dict().items()}
    before_target = {k: v.clone() for k, v in target.state_dict().items()}
    step = adda_step(source, target, discriminator, torch.optim.Adam(discriminator.parameters(), lr=0.01),
                     torch.optim.Adam(target.parameters(), lr=0.01))
    for _ in range(3):
        step((torch.randn(6, 3, 28, 28), None, torch.randn(6, 3, 28, 28) + 1), 0.0)
    assert all(torch.equal(before_source[k], v) for k, v in source.state_dict().items())  # BN statistics too
    assert not all(torch.equal(before_target[k], v) for k, v in target.state_dict().items())


def test_evaluation_uses_the_target_encoder(pair):
    config = make_config(AddaConfig, "smoke")
    result = run_method("adda", pair, config, data="embedded", seed=0, device=torch.device("cpu"))
    model = result.model
    assert model.feature_extractor is not model.source_encoder
    with torch.no_grad():  # break the source encoder: the adapted model's accuracy must not change
        for p in model.source_encoder.parameters():
            p.fill_(1e6)
    assert accuracy(model, pair.target.test) == result.accuracy


def test_unknown_method_names_the_choices(pair):
    with pytest.raises(ValueError, match="unknown method 'adaa'.*adda"):
        run_method("adaa", pair, make_config(AddaConfig, "smoke"), data="embedded", seed=0, device=torch.device("cpu"))


def test_dann_em_adds_the_target_entropy_and_is_dann_without_it(pair):
    from helpers.adaptation.dann import build_dann, dann_step, prediction_entropy
    from helpers.data.batches import PairedBatches

    assert prediction_entropy(torch.tensor([[0.0, 0.0]])).item() == pytest.approx(0.6931, abs=1e-4)
    assert prediction_entropy(torch.tensor([[50.0, 0.0]])).item() == pytest.approx(0.0, abs=1e-6)
    config = make_config(AddaConfig, "smoke")
    batch = next(iter(PairedBatches(pair.source.train, pair.target.train, 16)))
    losses = []
    for weight in (0.0, 0.5):
        torch.manual_seed(0)
        model = build_dann(config, pair.channels)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
        torch.manual_seed(1)
        losses.append(dann_step(model, optimizer, config, entropy_weight=weight)(batch, progress=0.5))
    assert "entropy" not in losses[0] and losses[1]["entropy"] > 0
    assert losses[0]["class"] == losses[1]["class"] and losses[0]["domain"] == losses[1]["domain"]


def test_dann_row_is_reused_only_from_a_matching_dann_run(tmp_path):
    from helpers.adaptation.config import DannConfig
    from helpers.adaptation.experiment import earlier_dann_row
    from helpers.core.config import as_dict
    from helpers.report.metrics import write_metrics

    row = {"digits-m->digits-s": 0.8, "digits-m->digits-u": 0.7}
    path = write_metrics(tmp_path, notebook="dann", profile="smoke", data="embedded", device=torch.device("cpu"),
                         params={"seed": 0, **as_dict(make_config(DannConfig, "smoke"))},
                         results={"accuracy": {"dann": row}}, timings={"total_s": 1.0})
    config = make_config(AddaConfig, "smoke")  # ADDA's own fields do not matter
    settings = dict(profile="smoke", data="embedded", seed=0)
    assert earlier_dann_row(path, config, pairs=list(row), **settings) == row
    assert earlier_dann_row(path, config, pairs=["digits-m->digits-s"], **settings) == {"digits-m->digits-s": 0.8}
    assert earlier_dann_row(path, config, pairs=[*row, "digits-s->digits-m"], **settings) is None
    assert earlier_dann_row(path, make_config(AddaConfig, "smoke", {"epochs": 2}), pairs=list(row), **settings) is None
    assert earlier_dann_row(path, config, pairs=list(row), **{**settings, "seed": 1}) is None


def test_reference_rows_are_copied_from_the_dann_notebooks_same_training(pair, tmp_path, monkeypatch):
    """adda's source-only and target-only take the dann notebook's checkpoints of the same training (DannConfig's
    fields, data, seed) instead of training again; different settings or another method train as before."""
    from helpers.adaptation import source_only
    from helpers.adaptation.config import DannConfig

    cpu = torch.device("cpu")
    run = dict(data="embedded", seed=0, device=cpu)
    dann_dir, adda_dir = tmp_path / "dann", tmp_path / "adda"
    trained = run_method("source-only", pair, make_config(DannConfig, "smoke"), checkpoint_dir=dann_dir, **run)
    steps = []
    real_step = source_only.classification_step
    monkeypatch.setattr(source_only, "classification_step",
                        lambda *a: (lambda batch, progress: steps.append(1) or real_step(*a)(batch, progress)))

    config = make_config(AddaConfig, "smoke", {"adapt_lr": 1e-3})  # ADDA's own fields do not matter
    copied = run_method("source-only", pair, config, checkpoint_dir=adda_dir, earlier_dir=dann_dir, **run)
    assert steps == [] and copied.copied_from == trained.checkpoint
    assert copied.checkpoint.parent == adda_dir and copied.checkpoint.name == trained.checkpoint.name
    assert copied.accuracy == trained.accuracy and copied.history == trained.history

    other = make_config(AddaConfig, "smoke", {"lr": 1e-3})  # a DANN setting: another training
    fresh = run_method("source-only", pair, other, checkpoint_dir=adda_dir, earlier_dir=dann_dir, **run)
    assert steps and fresh.copied_from is None
    target_only = run_method("target-only", pair, config, checkpoint_dir=adda_dir, earlier_dir=dann_dir, **run)
    assert target_only.copied_from is None  # the dann folder holds no target-only run

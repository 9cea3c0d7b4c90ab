"""BYOL: the target network is an EMA of the online one and gets no gradients; the loss; frozen settings."""
import copy

import pytest
import torch
from torch import nn
from torchvision.transforms.v2.functional import rgb_to_grayscale

from helpers.core.config import make_config
from helpers.core.digit_cnn import standardize
from helpers.core.images import ImageSet
from helpers.core.runtime import derive_seed
from helpers.representation import experiment
from helpers.representation.byol import BYOL, embedding_std, regression_loss, target_decay
from helpers.representation.config import ByolConfig, PHOTO_RECIPE
from helpers.representation.data import ByolData, label_subset
from helpers.representation.experiment import SETTINGS, finetune
from helpers.representation.networks import Polarity, feature_width, random_backbone


def tiny_backbone() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def test_target_gets_no_gradients_and_follows_the_ema_rule():
    torch.manual_seed(0)
    byol = BYOL(tiny_backbone(), 4, hidden=8, projection=6)
    optimizer = torch.optim.SGD([*byol.online.parameters(), *byol.predictor.parameters()], lr=0.5)
    before = [p.detach().clone() for p in byol.target.parameters()]
    loss = byol(torch.randn(8, 3, 8, 8), torch.randn(8, 3, 8, 8))
    loss.backward()
    assert all(p.grad is None and not p.requires_grad for p in byol.target.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in byol.online.parameters())
    optimizer.step()
    online = [p.detach().clone() for p in byol.online.parameters()]
    assert any(not torch.equal(o, b) for o, b in zip(online, before))  # the online network moved
    byol.update_target(0.9)
    for target, old, new in zip(byol.target.parameters(), before, online):
        torch.testing.assert_close(target, 0.9 * old + 0.1 * new)


def test_loss_of_identical_outputs_is_zero_and_of_opposite_ones_four():
    z = torch.randn(5, 7)
    torch.testing.assert_close(regression_loss(z, z), torch.zeros(5), atol=1e-6, rtol=0)
    torch.testing.assert_close(regression_loss(3 * z, z), torch.zeros(5), atol=1e-6, rtol=0)  # scale-free
    torch.testing.assert_close(regression_loss(-z, z), torch.full((5,), 4.0))


def test_symmetric_loss_is_zero_when_predictions_match_the_target():
    byol = BYOL(tiny_backbone(), 4, hidden=8, projection=4)
    byol.predictor = nn.Identity()  # the online projection equals the target's while they share weights
    byol.eval()
    view = torch.randn(6, 3, 8, 8)
    assert byol(view, view).item() == pytest.approx(0.0, abs=1e-5)


def test_target_decay_rises_from_tau_to_one():
    assert target_decay(0.99, 0.0) == pytest.approx(0.99)
    assert target_decay(0.99, 1.0) == pytest.approx(1.0)
    assert 0.99 < target_decay(0.99, 0.5) < 1.0


def test_embedding_std_is_zero_for_a_collapse_and_about_one_over_sqrt_dim_when_spread():
    assert embedding_std(torch.ones(100, 16) * 3) == pytest.approx(0.0, abs=1e-6)
    torch.manual_seed(0)
    assert embedding_std(torch.randn(5000, 16)) == pytest.approx(16 ** -0.5, rel=0.05)


def small_data(n: int = 40) -> ByolData:
    torch.manual_seed(0)
    images = torch.randint(0, 256, (n, 3, 16, 16), dtype=torch.uint8)
    labels = torch.arange(n) % 4
    data = ImageSet(images, labels, "fixture")
    return ByolData(data, data, data, data, data, [str(i) for i in range(4)], {})


@pytest.mark.parametrize("setting", ["D", "E"])
def test_frozen_settings_leave_the_backbone_unchanged(setting, tmp_path):
    config = ByolConfig(finetune_epochs=2, batch_size=8, warmup_epochs=0)
    backbone = random_backbone(config, 0)
    state = copy.deepcopy(backbone.state_dict())
    source = SETTINGS[setting][0]
    result = finetune(setting, {source: backbone}, small_data(), config, seed=0, device=torch.device("cpu"),
                      out_dir=tmp_path, data_name="fixture")
    after = result.model.backbone.state_dict()
    assert all(torch.equal(state[k], after[k]) for k in state)  # weights and BatchNorm statistics
    torch.manual_seed(derive_seed(0, "classifier", setting))  # the classifier as finetune initialised it
    initial = nn.Linear(feature_width(config.width), 4)
    assert result.model.classifier.weight.shape == initial.weight.shape
    assert not torch.equal(result.model.classifier.weight, initial.weight)  # the classifier trained


def test_full_fine_tuning_changes_the_backbone(tmp_path):
    config = ByolConfig(finetune_epochs=1, batch_size=8, warmup_epochs=0)
    backbone = random_backbone(config, 0)
    state = copy.deepcopy(backbone.state_dict())
    result = finetune("A", {"none": backbone}, small_data(), config, seed=0, device=torch.device("cpu"),
                      out_dir=tmp_path, data_name="fixture")
    assert any(not torch.equal(state[k], v) for k, v in result.model.backbone.state_dict().items())


def test_a_setting_without_its_backbone_says_so(tmp_path):
    with pytest.raises(ValueError, match="supervised backbone"):
        finetune("B", {"none": nn.Identity()}, small_data(), ByolConfig(), seed=0, device=torch.device("cpu"),
                 out_dir=tmp_path, data_name="fixture")


def test_label_subset_keeps_the_fraction_of_every_class():
    data = ImageSet(torch.zeros(100, 1, 8, 8, dtype=torch.uint8), torch.arange(100) % 5, "fixture")
    subset = label_subset(data, 0.1, seed=0)
    assert torch.bincount(subset.labels).tolist() == [2, 2, 2, 2, 2]


def test_polarity_makes_the_background_dark_whatever_the_digit_colour():
    light_on_dark = torch.zeros(2, 3, 16, 16)
    light_on_dark[:, :, 4:12, 6:10] = 1.0  # a bar in the middle
    dark_on_light = 1.0 - light_on_dark
    polarity = Polarity()
    a, b = polarity(standardize(light_on_dark)), polarity(standardize(dark_on_light))
    assert torch.allclose(a, standardize(light_on_dark))  # already dark around: unchanged
    assert torch.allclose(a, b, atol=1e-5)  # the inverted image gives the same input
    assert (a[:, :, 0] < 0).all() and (a[:, :, 8, 8] > 0).all()


def test_frozen_settings_train_the_classifier_at_the_frozen_rate(monkeypatch, tmp_path):
    rates = {}
    monkeypatch.setattr(experiment, "train_supervised", lambda model, *args, name, lr, **kw: rates.update({name: lr}))
    config = ByolConfig(finetune_lr=1e-3, frozen_lr=1e-2)
    backbones = {"none": random_backbone(config, 0), "byol": random_backbone(config, 0)}
    for setting in ("A", "E"):
        finetune(setting, backbones, small_data(), config, seed=0, device=torch.device("cpu"), out_dir=tmp_path,
                 data_name="fixture")
    assert rates == {"setting A": 1e-3, "setting E": 1e-2}


def test_the_photo_recipe_overrides_the_digit_defaults():
    digits, photos = make_config(ByolConfig, "cpu"), make_config(ByolConfig, "cpu", PHOTO_RECIPE)
    assert (digits.polarity, digits.gray, digits.grayscale) == (True, True, 1.0) and digits.crop_scale > photos.crop_scale
    assert (photos.polarity, photos.gray, photos.grayscale, photos.crop_scale) == (False, False, 0.2, 0.3)
    assert photos.width == digits.width  # the network stays the profile's


@pytest.mark.parametrize("gray", [True, False])
def test_a_gray_backbone_reads_the_luminance_only(gray):
    config = make_config(ByolConfig, "smoke", {"gray": gray})
    backbone = random_backbone(config, 0).eval()
    colour = torch.rand(4, 3, 16, 16)
    luminance = rgb_to_grayscale(colour, num_output_channels=3)  # the same brightness, no colour
    with torch.no_grad():
        same = torch.allclose(backbone(colour), backbone(luminance), atol=1e-5)
    assert same == gray


def test_pretraining_and_fine_tuning_on_sets_smaller_than_a_batch(tmp_path):
    """10 images, batches of 32: BYOL pretrains on views of all 10 and the settings fine-tune on all 10."""
    from helpers.representation.experiment import pretrain_byol, pretrain_supervised

    data = small_data(n=10)
    config = ByolConfig(width=4, hidden=16, projection=8, pretrain_steps=2, supervised_steps=1, finetune_steps=1,
                        pretrain_batch_size=32, batch_size=32, warmup_epochs=0, tsne_points=20)
    byol, history = pretrain_byol(data, config, seed=0, device=torch.device("cpu"), out_dir=tmp_path, data_name="ten")
    assert len(history["byol loss"]) == 2  # 2 steps: 2 epochs of one batch of 10
    supervised = pretrain_supervised(data, config, seed=0, device=torch.device("cpu"), out_dir=tmp_path,
                                     data_name="ten")
    assert 0.0 <= supervised.accuracy <= 1.0


@pytest.mark.parametrize("settings, stops", [(("A", "B", "C", "D", "E"), "settings B and D"), (("D",), "settings D"),
                                             (("A", "C", "E"), None)])
def test_settings_b_and_d_without_a_labelled_pretraining_set_stop_before_any_image_is_read(tmp_path, settings, stops):
    """Checked first: here mini/train holds no images, which stops settings A, C and E (no labels needed) there."""
    from helpers.data.course import DataLayoutError
    from helpers.representation.data import load_byol_data

    (tmp_path / "p2_data" / "mini" / "train").mkdir(parents=True)
    config = make_config(ByolConfig, "smoke", {"settings": settings})
    with pytest.raises(DataLayoutError) as raised:
        load_byol_data(config, str(tmp_path), seed=0)
    message = str(raised.value)
    if stops:
        assert message.startswith(stops) and str(tmp_path / "p2_data" / "mini" / "train.csv") in message
    else:
        assert message.startswith(f"{tmp_path / 'p2_data' / 'mini' / 'train'} holds no .jpg/.png images")

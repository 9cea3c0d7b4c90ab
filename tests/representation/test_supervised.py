"""Classification helpers: weights come only from the cache or a path; the schedule; feature snapshots."""
import pytest
import torch

from helpers.core.evaluation import accuracy
from helpers.core.images import ImageSet
from helpers.representation import pretrained
from helpers.representation.augment import ViewPairs, augment_batch, byol_augmentation
from helpers.representation.networks import model_a, penultimate, resnet18_small
from helpers.representation.schedule import warmup_linear, warmup_linear_factor
from helpers.representation import supervised
from helpers.representation.supervised import snapshot_epochs, train_supervised


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path / "hub" / "checkpoints"


def test_missing_imagenet_weights_name_the_file_and_the_cache_folder(empty_cache):
    with pytest.raises(FileNotFoundError) as error:
        pretrained.resolve_pretrained("imagenet")
    message = str(error.value)
    assert pretrained.RESNET18_FILE in message and str(empty_cache) in message and "pretrained='none'" in message


def test_auto_without_weights_trains_from_scratch_and_says_so(empty_cache):
    init = pretrained.resolve_pretrained("auto")
    assert init.weights is None and "from scratch" in init.description and str(empty_cache) in init.description


def test_a_missing_weights_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.pth"):
        pretrained.resolve_pretrained(str(tmp_path / "nowhere.pth"))


def test_a_folder_of_weights_serves_as_the_file_in_it(tmp_path, empty_cache):
    folder = tmp_path / "weights"
    folder.mkdir()
    with pytest.raises(FileNotFoundError, match=f"not found: {folder / pretrained.RESNET18_FILE}\nPut the file "
                       f"{pretrained.RESNET18_FILE} in the folder given as pretrained, {folder} "):
        pretrained.resolve_pretrained(str(folder))
    torch.save({}, folder / pretrained.RESNET18_FILE)
    assert pretrained.resolve_pretrained(str(folder)).weights == folder / pretrained.RESNET18_FILE


def test_cached_weights_are_loaded_into_the_small_image_resnet(empty_cache):
    import torchvision

    torch.manual_seed(0)
    imagenet = torchvision.models.resnet18()
    empty_cache.mkdir(parents=True)
    torch.save(imagenet.state_dict(), empty_cache / pretrained.RESNET18_FILE)
    init = pretrained.resolve_pretrained("auto")
    assert init.weights == empty_cache / pretrained.RESNET18_FILE
    model = resnet18_small(3, 7, weights=init.weights)
    assert torch.equal(model.layer3[0].conv1.weight, imagenet.layer3[0].conv1.weight)
    assert torch.equal(model.conv1.weight, imagenet.conv1.weight) and model.conv1.stride == (1, 1)
    assert model(torch.zeros(2, 3, 28, 28)).shape == (2, 7)
    gray = resnet18_small(1, 7, weights=init.weights)
    torch.testing.assert_close(gray.conv1.weight[:, 0], imagenet.conv1.weight.sum(1))


def test_small_resnet_features_and_stems():
    assert resnet18_small(3, 0)(torch.zeros(2, 3, 16, 16)).shape == (2, 512)
    assert isinstance(resnet18_small(3, 10, stem="cifar").maxpool, torch.nn.Identity)


def test_a_narrower_resnet18_keeps_the_layout_at_a_fraction_of_the_weights():
    full, narrow = resnet18_small(3, 0), resnet18_small(3, 0, width=32)
    assert narrow(torch.zeros(2, 3, 16, 16)).shape == (2, 256)
    assert [len(stage) for stage in (narrow.layer1, narrow.layer2, narrow.layer3, narrow.layer4)] == [2, 2, 2, 2]
    assert [narrow.layer4[0].conv1.out_channels, narrow.layer1[0].conv1.in_channels, narrow.conv1.out_channels] == [256, 32, 32]
    assert narrow.layer1[0].downsample is None and narrow.layer2[0].downsample is not None
    n_weights = lambda model: sum(p.numel() for p in model.parameters())
    assert 0.2 < n_weights(narrow) / n_weights(full) < 0.3  # convolutions: width squared
    assert resnet18_small(3, 10, width=32).fc.in_features == 256


def test_imagenet_weights_need_resnet18s_own_width(empty_cache):
    with pytest.raises(ValueError, match="width=32"):
        resnet18_small(3, 10, weights=empty_cache / pretrained.RESNET18_FILE, width=32)


def test_warmup_then_linear_decay():
    factors = [warmup_linear_factor(e, 2, 6) for e in range(6)]
    assert factors[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert all(a > b for a, b in zip(factors[2:], factors[3:])) and factors[-1] > 0
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    scheduler = warmup_linear(optimizer, 2, 6)
    rates = []
    for _ in range(6):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx([0.3 * f for f in factors])


def test_features_are_saved_at_first_middle_and_last_epoch_and_survive_a_resume(tmp_path, monkeypatch):
    torch.manual_seed(0)
    data = ImageSet(torch.randint(0, 256, (32, 3, 28, 28), dtype=torch.uint8), torch.arange(32) % 4, "fixture")
    assert snapshot_epochs(5) == {"first": 0, "middle": 2, "last": 4}

    def run():
        model = model_a(3, 4, (4, 8), 16, 28)
        return train_supervised(model, data, data, name="a", epochs=3, lr=1e-3, weight_decay=0, warmup_epochs=1,
                                batch_size=8, device=torch.device("cpu"), checkpoint=tmp_path / "a.pt",
                                features=penultimate(model), snapshots=snapshot_epochs(3))

    calls = []
    monkeypatch.setattr(supervised, "accuracy", lambda *a: calls.append(a) or accuracy(*a))
    first = run()
    assert len(calls) == 3  # one measurement an epoch: the last one is the result, not measured again
    assert {k: v[0] for k, v in first.snapshots.items()} == {"first": 0, "middle": 1, "last": 2}
    assert first.snapshots["last"][1].shape == (32, 16)
    again = run()  # a finished checkpoint: no training, the snapshots come back from their files
    for label in ("first", "middle", "last"):
        assert (again.snapshots[label][1] == first.snapshots[label][1]).all()
    assert again.accuracy == first.accuracy
    # the last epoch's measurement is the trained model's accuracy (not measured a second time)
    measured = accuracy(first.model, data, torch.device("cpu"))
    assert first.accuracy == first.history["validation accuracy"][-1] == measured


def test_each_image_gets_its_own_augmentation_and_stays_uint8():
    torch.manual_seed(0)
    images = torch.randint(0, 256, (1, 3, 16, 16), dtype=torch.uint8).repeat(6, 1, 1, 1)
    views = augment_batch(images, byol_augmentation(16))
    assert views.dtype == torch.uint8 and views.shape == images.shape
    assert len({v.numpy().tobytes() for v in views}) > 1
    gray = augment_batch(images, byol_augmentation(16, grayscale=1.0))
    assert (gray == gray[:, :1]).all() and not (images == images[:, :1]).all()  # every view gray, the colours gone
    pairs = ViewPairs(ImageSet(images[:, :1], torch.zeros(6, dtype=torch.long), "gray"), 3, byol_augmentation(16))
    v1, v2 = next(iter(pairs))
    assert v1.shape == (3, 3, 16, 16) and v1.dtype == torch.float32 and -1 <= v1.min() and v1.max() <= 1


def test_views_follow_the_seed_and_bad_images_are_named():
    """A resumed epoch reseeds torch and must draw the same views; a float batch is refused, not misread."""
    images = torch.randint(0, 256, (8, 1, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    pipeline = byol_augmentation(16)
    torch.manual_seed(3)
    first = augment_batch(images, pipeline)
    torch.manual_seed(3)
    again = augment_batch(images, pipeline)
    assert first.shape == (8, 3, 16, 16) and torch.equal(first, again)
    assert not torch.equal(first, augment_batch(images, pipeline))
    with pytest.raises(ValueError, match=r"uint8 images \[N, 1 or 3, H, W\], got torch.float32"):
        augment_batch(images.float(), pipeline)

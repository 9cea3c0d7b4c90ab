"""The suite's digit classifier (judge) and the FIDs built on it."""
import numpy as np
import pytest
import torch

from helpers.core.images import to_float
from helpers.data import embedded_domains
from helpers.grading.fid import MissingWeightsError, frechet_distance, inception_fid, inception_status
from helpers.grading.judge import between_digits, class_entropy, label_agreement, load_judge, recognised


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    features = np.random.default_rng(0).normal(size=(400, 8))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    shifts = [frechet_distance(features, features + s) for s in (0.5, 1.0, 2.0)]
    # A mean shift of s in each of 8 dimensions adds 8 s^2.
    assert shifts == pytest.approx([2.0, 8.0, 32.0], rel=1e-6)


def test_frechet_distance_refuses_a_single_sample():
    with pytest.raises(ValueError, match="N >= 2"):
        frechet_distance(np.zeros((1, 4)), np.zeros((5, 4)))


def test_inception_fid_without_its_weights_names_the_file_and_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    images = torch.zeros(4, 3, 32, 32)
    with pytest.raises(MissingWeightsError, match=r"pt_inception-2015-12-05-6726825d\.pth.*hub/checkpoints"):
        inception_fid(images, images)
    with pytest.raises(MissingWeightsError, match="weights='/nowhere/w.pth'"):
        inception_fid(images, images, weights="/nowhere/w.pth")


def test_without_inception_weights_in_the_cache_the_fid_is_left_out_but_a_missing_path_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert inception_status().startswith("No Inception FID: ")
    with pytest.raises(MissingWeightsError, match="weights='/nowhere/w.pth'"):
        inception_status("/nowhere/w.pth")


@pytest.fixture(scope="module")
def digits():
    """The embedded digits at 16x16: real handwriting, small enough to train a judge in seconds."""
    return embedded_domains(["digits"], size=16)["digits"]


@pytest.fixture(scope="module")
def judge_cache(tmp_path_factory, digits):
    """A judge trained once for this module: (its cache folder, the judge)."""
    cache = tmp_path_factory.mktemp("judge")
    return cache, load_judge(digits.train, cache_dir=cache, profile="cpu", held_out=digits.test)


def test_the_judge_is_trained_once_then_loaded_from_its_cache(judge_cache, digits):
    tmp_path, judge = judge_cache
    data = digits.train
    assert judge.accuracy >= 0.9
    files = list(tmp_path.glob("judge-digits_train-1x16-*.pt"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    again = load_judge(data, cache_dir=tmp_path, profile="cpu", held_out=digits.test)
    assert files[0].stat().st_mtime_ns == stamp and again.accuracy == judge.accuracy
    images = to_float(data.images)
    assert np.allclose(again.features(images), judge.features(images))
    # Other images: another judge.
    load_judge(data.subset(torch.arange(600)), cache_dir=tmp_path, profile="smoke")
    assert len(list(tmp_path.glob("judge-*.pt"))) == 2


def test_recognised_agreement_and_entropy_measure_what_they_say(judge_cache, digits):
    judge = judge_cache[1]
    data = digits.test
    images = to_float(data.images)
    assert label_agreement(judge, images, data.labels) >= 0.9
    assert label_agreement(judge, images, (data.labels + 1) % 10) <= 0.1
    assert recognised(judge, images) >= 0.8
    noise = torch.nn.functional.avg_pool2d(torch.rand_like(images) * 2 - 1, 3, 1, 1)
    assert recognised(judge, noise) <= 0.1  # confident only on digits (outlier exposure)
    assert class_entropy(judge, images) == pytest.approx(np.log(10), abs=0.1)
    zeros, ones = images[data.labels == 0][:20], images[data.labels == 1][:20]
    assert between_digits(judge, images) <= 0.1
    assert between_digits(judge, (zeros + ones) / 2) > between_digits(judge, zeros)  # a blend of two digits
    only_zeros = images[data.labels == 0]
    assert class_entropy(judge, only_zeros) == pytest.approx(0.0, abs=0.2)
    with pytest.raises(ValueError, match=r"reads \[N, 1, 16, 16\]"):
        judge.features(torch.zeros(2, 3, 16, 16))

"""The Frechet distance of helpers/grading/fid.py: pytorch-fid's value without pytorch-fid's SciPy call."""
import numpy as np
import pytest
import scipy.linalg

from helpers.grading.fid import frechet_distance, trace_sqrt_product

# pytorch-fid 0.3.0's calculate_frechet_distance on the means and np.cov covariances of fixed_features()
# (Python 3.11, NumPy 2.4.6, SciPy 1.17.1, the last SciPy whose sqrtm takes its disp=); with the sets
# swapped it gives 8.492748006284526. It is recorded, not recomputed: that call fails on SciPy >= 1.18.
PYTORCH_FID_GOLDEN = 8.492747996121532


def fixed_features() -> tuple[np.ndarray, np.ndarray]:
    """Two deterministic feature sets with D=16, made without a random generator so that no NumPy
    release changes them: 64 samples of full rank, and 12 samples (N < D, so rank 11) with a constant
    column, whose covariance is singular."""
    i, j = np.arange(64.0)[:, None], np.arange(16.0)[None, :]
    full = np.sin(0.37 * (i + 1) * (j + 1) + 0.5 * j) + 0.1 * j
    k = np.arange(12.0)[:, None]
    singular = 0.8 * np.cos(0.53 * (k + 2) * (j + 1)) + 0.05 * j * j / 16
    singular[:, 5] = 0.25
    return full, singular


def test_frechet_distance_matches_pytorch_fid_on_fixed_features():
    full, singular = fixed_features()
    assert np.linalg.matrix_rank(np.cov(full, rowvar=False)) == 16
    assert np.linalg.matrix_rank(np.cov(singular, rowvar=False)) == 11
    assert frechet_distance(full, singular) == pytest.approx(PYTORCH_FID_GOLDEN, rel=1e-6)
    assert frechet_distance(singular, full) == pytest.approx(PYTORCH_FID_GOLDEN, rel=1e-6)
    # float32 features (what a network gives) are computed in float64 all the same.
    assert frechet_distance(full.astype(np.float32), singular) == pytest.approx(PYTORCH_FID_GOLDEN, rel=1e-6)


def test_trace_sqrt_product_of_diagonal_covariances_is_the_sum_of_root_products():
    a, b = np.array([4.0, 1.0, 0.0, 9.0]), np.array([1.0, 0.0, 5.0, 4.0])
    assert trace_sqrt_product(np.diag(a), np.diag(b)) == pytest.approx(np.sqrt(a * b).sum(), rel=1e-12)
    # Two 1-d Gaussians: (m_a - m_b)^2 + (s_a - s_b)^2.
    x = np.array([[0.0], [2.0]])  # mean 1, variance 2
    y = np.array([[3.0], [7.0]])  # mean 5, variance 8
    assert frechet_distance(x, y) == pytest.approx(16 + (np.sqrt(2) - np.sqrt(8)) ** 2, rel=1e-12)


@pytest.mark.parametrize("n, d", [(5, 32), (3, 64), (40, 8)])
def test_singular_covariances_give_a_finite_real_non_negative_distance(n, d):
    rng = np.random.default_rng(n * d)
    a, b = rng.normal(size=(n, d)), rng.normal(size=(n + 1, d))
    a[:, :3] = 1.0  # units that never fire
    b[:, 1:4] = -2.0
    for first, second in ((a, b), (b, a), (a, a), (b, b)):
        distance = frechet_distance(first, second)
        assert type(distance) is float and np.isfinite(distance) and distance >= 0.0
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(b, b) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_of_identical_sets_is_zero_never_negative():
    full, singular = fixed_features()
    for features in (full, singular, np.ones((10, 4))):
        distance = frechet_distance(features, features.copy())
        assert 0.0 <= distance <= 1e-6


def test_frechet_distance_does_not_use_scipy_sqrtm(monkeypatch):
    """SciPy 1.18 removed sqrtm's disp=, which pytorch-fid's calculate_frechet_distance passes."""
    def refuse(*args, **kwargs):
        raise AssertionError("scipy.linalg.sqrtm was called")
    monkeypatch.setattr(scipy.linalg, "sqrtm", refuse)
    monkeypatch.setattr("pytorch_fid.fid_score.calculate_frechet_distance", refuse)
    full, singular = fixed_features()
    assert frechet_distance(full, singular) == pytest.approx(PYTORCH_FID_GOLDEN, rel=1e-6)


def test_frechet_distance_names_features_it_cannot_compare():
    with pytest.raises(ValueError, match=r"same width D; got \(4, 3\) and \(4, 5\)"):
        frechet_distance(np.zeros((4, 3)), np.zeros((4, 5)))
    bad = np.zeros((4, 3))
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="second feature set holds 1 non-finite values"):
        frechet_distance(np.zeros((4, 3)), bad)


import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers.core.embedding import knn_accuracy, pca, tsne
from helpers.core.plots import embedding_grid, image_grid, loss_curves, save_figure


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    return rng.normal(size=(n, 20)) + 6 * np.eye(3, 20)[labels], labels


def test_tsne_and_pca_keep_separated_clusters_apart():
    features, labels = blobs()
    for points in (tsne(features, seed=0), pca(features)):
        assert points.shape == (300, 2)
        assert knn_accuracy(points, labels) > 0.95


def test_knn_accuracy_is_chance_for_random_labels():
    features, _ = blobs()
    labels = np.random.default_rng(1).integers(0, 3, len(features))
    assert knn_accuracy(features, labels) < 0.5


def test_figures_are_written_as_png(tmp_path):
    features, labels = blobs(60)
    figures = {
        "curves": loss_curves({"a": {"loss": [3.0, 2.0, 1.0]}, "b": {"loss": [2.0, 1.0]}}),
        "scatter": embedding_grid([(features[:, :2], labels, ["x", "y", "z"], "t")], ncols=1),
        "grid": image_grid({"gray": torch.zeros(4, 1, 8, 8, dtype=torch.uint8),
                            "colour": torch.full((4, 3, 8, 8), 255, dtype=torch.uint8)}),
    }
    for name, fig in figures.items():
        save_figure(fig, tmp_path, name)
        plt.close(fig)
        assert (tmp_path / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_a_figure_write_that_fails_halfway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    fig = loss_curves({"a": {"loss": [3.0, 2.0, 1.0]}})
    save_figure(fig, tmp_path, "curves")
    old = (tmp_path / "figures" / "curves.png").read_bytes()

    def fail(path, **kwargs):
        path.write_bytes(old[: len(old) // 2])  # half written, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fig, "savefig", fail)
    with pytest.raises(OSError, match="No space left"):
        save_figure(fig, tmp_path, "curves")
    plt.close(fig)
    assert (tmp_path / "figures" / "curves.png").read_bytes() == old
    assert [p.name for p in (tmp_path / "figures").iterdir()] == ["curves.png"]

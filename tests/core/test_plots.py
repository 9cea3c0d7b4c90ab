
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers.core.embedding import knn_accuracy, pca, tsne
from helpers.core.plots import confusion_heatmaps, embedding_grid, history_frame, image_grid, loss_curves, save_figure


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


def test_curves_draw_one_panel_per_run_and_one_line_per_measure_from_a_long_form_table():
    histories = {"a": {"loss": [3.0, 2.0, 1.0], "acc": [0.1, 0.5, 0.9]}, "b": {"loss": [2.0, 1.0]}}
    frame = history_frame(histories)
    assert list(frame.columns) == ["run", "measure", "epoch", "value"] and len(frame) == 8
    assert frame.query("run == 'b'")["epoch"].tolist() == [1, 2]
    fig = loss_curves(histories)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    drawn = {ax.get_title(): sorted(tuple(line.get_ydata()) for line in ax.lines if len(line.get_ydata()))
             for ax in fig.axes}
    assert drawn == {"a": [(0.1, 0.5, 0.9), (3.0, 2.0, 1.0)], "b": [(2.0, 1.0)]}
    plt.close(fig)
    acgan = loss_curves({"adversarial": {"d_loss": [1.0, 0.5], "g_loss": [2.0, 3.0]},
                         "auxiliary": {"aux_real": [0.7, 0.2], "aux_generated": [2.3, 0.3]}}, ncols=2)
    legends = {ax.get_title(): [t.get_text() for t in ax.get_legend().get_texts()] for ax in acgan.axes}
    assert legends == {"adversarial": ["d_loss", "g_loss"], "auxiliary": ["aux_real", "aux_generated"]}  # each its own
    colours = {ax.get_title(): [h.get_color() for h in ax.get_legend().legend_handles] for ax in acgan.axes}
    assert colours["auxiliary"] == [line.get_color() for line in acgan.axes[1].lines if len(line.get_ydata())]
    assert acgan.legends == []
    plt.close(acgan)
    one = loss_curves({"a": {"loss": [3.0]}})  # one epoch: one whole-number tick, not fractions around it
    assert list(one.axes[0].get_xticks()) == [1]
    plt.close(one)
    nothing = loss_curves({"a": {}})  # a run that recorded nothing: a figure that says so, not an error
    assert "nothing recorded" in [t.get_text() for t in nothing.axes[0].texts]
    plt.close(nothing)


def test_embedding_panels_colour_points_by_label_name():
    points, labels = np.arange(12.0).reshape(6, 2), np.array([0, 1, 2, 0, 1, 2])
    fig = embedding_grid([(points, labels, ["x", "y", "z"], "t")], ncols=1)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y", "z"]
    colours = ax.collections[0].get_facecolors()
    assert np.allclose(colours[0], colours[3]) and not np.allclose(colours[0], colours[1])
    plt.close(fig)


def test_confusion_heatmaps_show_each_true_class_as_shares_of_its_pixels():
    confusion = torch.tensor([[3, 1], [0, 4]])
    fig = confusion_heatmaps({"model": confusion}, ["a", "b"])
    shares = fig.axes[0].collections[0].get_array().reshape(2, 2)
    assert np.allclose(shares, [[0.75, 0.25], [0.0, 1.0]])
    plt.close(fig)


def test_a_second_labelling_is_drawn_as_the_marker_in_the_same_panel():
    points = np.arange(16.0).reshape(8, 2)
    classes, domains = np.array([0, 1, 0, 1, 0, 1, 0, 1]), np.array([0, 0, 0, 0, 1, 1, 1, 1])
    fig = embedding_grid([(points, classes, ["0", "1"], "t", domains, ["source", "target"])], ncols=1)
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"0", "1", "source", "target"} <= set(legend)
    paths = ax.collections[0].get_paths()
    assert paths[0].vertices.shape != paths[4].vertices.shape  # source and target points have different markers
    plt.close(fig)

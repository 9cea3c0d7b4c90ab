"""helpers/core/plots.py and figure_text.py: the figures, their files and their text alternatives."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers.core import plots
from helpers.core.embedding import knn_accuracy, pca, tsne
from helpers.core.figure_text import describe
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
    scatter = ax.collections[0]
    colour_of = {int(x) // 2: tuple(c) for (x, _), c in zip(scatter.get_offsets(), scatter.get_facecolors())}
    assert colour_of[0] == colour_of[3] and colour_of[0] != colour_of[1]  # point i is at x = 2i, label i % 3
    assert [int(x) // 2 for x, _ in scatter.get_offsets()] != list(range(6))  # drawn in a mixed order
    plt.close(fig)


def test_confusion_heatmaps_show_each_true_class_as_shares_of_its_pixels():
    confusion = torch.tensor([[3, 1], [0, 4]])
    fig = confusion_heatmaps({"model": confusion}, ["a", "b"])
    shares = fig.axes[0].collections[0].get_array().reshape(2, 2)
    assert np.allclose(shares, [[0.75, 0.25], [0.0, 1.0]])
    plt.close(fig)


def test_a_figure_is_described_by_its_title_panels_axes_and_legends():
    fig = loss_curves({"DANN, a->b": {"class": [1.0, 0.5], "domain": [0.7, 0.6]},
                       "source-only, a->b": {"class": [1.0]}}, title="Losses")
    assert describe(fig) == ("Losses. 2 panels, value against epoch: DANN, a->b (legend: class, domain); "
                             "source-only, a->b (legend: class).")
    plt.close(fig)
    same_lines = loss_curves({run: {"loss": [1.0, 0.5], "accuracy": [0.2, 0.4]} for run in ("A", "B")})
    assert describe(same_lines) == "2 panels, value against epoch: A; B. Legend: loss, accuracy."  # seaborn's one legend
    plt.close(same_lines)
    grid = image_grid({name: torch.zeros(4, 1, 8, 8, dtype=torch.uint8) for name in ("real", "DCGAN")})
    assert describe(grid) == "2 image panels. Rows: real; DCGAN."
    plt.close(grid)
    heatmaps = confusion_heatmaps({"FCN32s": torch.tensor([[3, 1], [0, 4]])}, ["a", "b"])
    assert describe(heatmaps) == "1 panel: FCN32s (heatmap: true by predicted)."
    plt.close(heatmaps)


def test_a_twin_axis_joins_its_panel_and_a_panel_legend_stays_with_its_panel():
    fig, (left, right) = plt.subplots(1, 2)
    left.plot([1, 2], [3, 4])
    left.set(title="time and\naccuracy", ylabel="seconds", xlabel="sampler")
    left.twinx().set_ylabel("accuracy")
    right.plot([1, 2], [3, 4])
    right.plot([1, 2], [1, 1], label="spread evenly")
    right.legend()
    right.set(title="std", xlabel="epoch")
    assert describe(fig) == ("2 panels: time and accuracy (seconds and accuracy against sampler); "
                             "std (value against epoch) (legend: spread evenly).")
    plt.close(fig)


@pytest.mark.parametrize("in_notebook", [True, False])
def test_in_a_notebook_a_saved_figure_is_shown_once_with_its_text_alternative(tmp_path, monkeypatch, in_notebook):
    import base64

    import IPython.display
    from IPython.core.formatters import DisplayFormatter

    shown = []
    monkeypatch.setattr(plots, "inline_notebook", lambda: in_notebook)
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(DisplayFormatter().format(obj)))
    fig = loss_curves({"a": {"loss": [3.0, 2.0]}})
    save_figure(fig, tmp_path, "curves")
    save_figure(fig, tmp_path, "curves_again", alt="Given by the notebook")
    if in_notebook:
        assert [meta["image/png"]["alt"] for _, meta in shown] == [describe(fig), "Given by the notebook"]
        # the saved file's bytes, not the figure drawn once more
        assert [base64.b64decode(data["image/png"]) for data, _ in shown] == [
            (tmp_path / "figures" / f"{name}.png").read_bytes() for name in ("curves", "curves_again")]
        assert not plt.fignum_exists(fig.number)  # closed: the inline backend shows it no more
    else:
        assert shown == [] and plt.fignum_exists(fig.number)
        plt.close(fig)


def test_only_a_kernel_with_the_inline_backend_counts_as_a_notebook(monkeypatch):
    import IPython
    import matplotlib

    class Kernel:
        kernel = object()

    inline = "module://matplotlib_inline.backend_inline"
    for backend, shell, expected in [(inline, Kernel(), True), (inline, None, False), (inline, object(), False),
                                     ("module://ipympl.backend_nbagg", Kernel(), False), ("agg", Kernel(), False)]:
        monkeypatch.setattr(matplotlib, "get_backend", lambda backend=backend: backend)
        monkeypatch.setattr(IPython, "get_ipython", lambda shell=shell: shell)
        assert plots.inline_notebook() is expected, (backend, shell)

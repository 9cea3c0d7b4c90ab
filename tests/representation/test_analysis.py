"""helpers/representation/analysis.py: the settings A-E figure."""
import matplotlib.pyplot as plt
import numpy as np

from helpers.representation.analysis import pretraining_figure, settings_figure


def test_the_settings_figure_has_a_bar_per_setting_at_its_accuracy_with_its_standard_error():
    accuracies = {"A": 0.2, "B": 0.5, "C": 0.6, "D": 0.4, "E": 0.9}
    frozen = {"A": False, "B": False, "C": False, "D": True, "E": True}
    fig = settings_figure(accuracies, frozen, n=100, chance=0.1)
    ax = fig.axes[0]
    heights = sorted(round(p.get_height(), 6) for p in ax.patches if p.get_height() > 0)
    assert heights == sorted(accuracies.values())
    assert [t.get_text() for t in ax.get_xticklabels()] == list(accuracies)
    bars = [c for c in ax.containers if hasattr(c, "has_yerr") and c.has_yerr][0]
    low, high = np.array(bars.lines[2][0].get_segments())[:, :, 1].T
    assert np.allclose(high - low, 2 * np.sqrt(np.array([0.2, 0.5, 0.6, 0.4, 0.9]) * np.array([0.8, 0.5, 0.4, 0.6, 0.1]) / 100))
    plt.close(fig)


def test_the_pretraining_figure_gives_the_embedding_std_its_own_panel_and_the_spread_evenly_line():
    fig = pretraining_figure({"byol loss": [1.6, 0.8, 0.5], "embedding std": [0.06, 0.05, 0.04]}, uniform=0.088)
    loss, spread = fig.axes
    assert (loss.get_title(), spread.get_title()) == ("byol loss", "embedding std")
    assert loss.get_legend() is None  # one run: no legend naming it
    assert [t.get_text() for t in spread.get_legend().get_texts()] == ["spread evenly"]
    assert any(list(line.get_ydata()) == [0.088, 0.088] for line in spread.lines) and spread.get_ylim()[0] == 0
    plt.close(fig)

"""helpers/representation/analysis.py: the settings A-E figure."""
import matplotlib.pyplot as plt
import numpy as np

from helpers.representation.analysis import settings_figure


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

"""helpers.gans.analysis: the observations under the GAN notebook's tables, written from the numbers."""
import matplotlib.pyplot as plt
import torch

from helpers.gans.analysis import PROBE_SAMPLES, collapse_figure, collapse_observation, gan_observations
from helpers.gans.mode_collapse import SAMPLES, CollapseRun


def test_observations_follow_the_table_and_say_the_curve_is_read_on_its_own_probe():
    table = {"dcgan": {"fid_classifier": 6.0, "recognised": 0.834},
             "wgan": {"fid_classifier": 30.0, "recognised": 0.208},
             "real": {"fid_classifier": 3.0, "recognised": 0.99}}
    histories = {"dcgan": {"recognised": [0.3, 0.7, 0.84]}, "wgan": {"recognised": [0.1, 0.4, 0.23]}}
    text = gan_observations(table, None, histories)
    assert "**Best method: dcgan**, classifier FID 6.00 (2.0x the real-vs-real floor of 3.00); worst wgan" in text
    assert "dcgan 83%, wgan 21%; real images 99%" in text  # the table's shares, not the curves' last points
    assert text.count(f"the same {PROBE_SAMPLES} noise vectors") == 2
    assert "wgan over training:** recognised share" in text
    assert ": 10% after the first epoch, 40% at best, 23% at the end" in text
    assert "fell by more than 10 points 1 time(s)" in text and "no drop of more than 10 points" in text


def _run(name, modes, high_quality, largest, shares=None):
    steps = [100 * (i + 1) for i in range(len(modes))]
    history = {"modes": modes, "high_quality": high_quality, "largest_mode": largest,
               "largest_share": shares or [0.9] * len(modes)}
    return CollapseRun(name, steps, torch.zeros(len(modes), SAMPLES, 2), history, 1.0)


def test_the_collapse_observation_names_the_modes_covered_and_where_the_collapsed_run_went():
    table = {"dcgan": {"fid_classifier": 6.0, "recognised": 0.8}, "real": {"fid_classifier": 3.0, "recognised": 0.99}}
    runs = {"collapsed": _run("collapsed", [0, 1, 1], [0.0, 0.02, 0.01], [3, 5, 5]),
            "mitigated": _run("mitigated", [0, 8, 8], [0.03, 0.5, 0.75], [6, 7, 2])}
    text = gan_observations(table, runs, {})
    assert "after 300 steps the GAN whose generator learns faster than its discriminator covers 1 of 8 modes" in text
    assert "at each of the 3 snapshots 90%-90% of its samples lie nearest one mode, and that mode changed 1 time(s): " \
           "modes 3 -> 5 -> 5," in text
    assert "cover 8 of 8, 75% of the samples within 3 standard deviations" in text
    untrained = {**runs, "mitigated": _run("mitigated", [0, 0, 1], [0.0, 0.0, 0.02], [1, 1, 1])}  # smoke's budget
    text = collapse_observation(untrained)
    assert "The mitigation covers 1: at this budget the experiment shows no mitigation" in text
    assert "collapse_steps" in text
    spread = {**runs, "collapsed": _run("collapsed", [0, 1, 0], [0.0, 0.1, 0.0], [4, 2, 7], [0.2, 0.6, 0.3])}
    text = collapse_observation(spread)  # an off-ring cloud also covers no mode: it is not called crowded
    assert "crowd near one mode at 1 of the 3 snapshots" in text and "changed" not in text
    covering = {**runs, "collapsed": _run("collapsed", [8, 8, 8], [0.5, 0.6, 0.7], [4, 2, 7], [0.2, 0.2, 0.2])}
    assert "was not seen at this budget: the collapsing configuration covers 8 of 8" in collapse_observation(covering)


def test_the_collapse_figure_has_a_panel_per_snapshot_and_a_row_per_run():
    runs = {"collapsed": _run("collapsed", [0, 1, 1], [0.0, 0.02, 0.01], [3, 5, 5]),
            "mitigated": _run("mitigated", [0, 8, 8], [0.03, 0.5, 0.75], [6, 7, 2])}
    fig = collapse_figure(runs)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["step 100: 0 of 8 modes", "step 200: 1 of 8 modes", "step 300: 1 of 8 modes",
                      "step 100: 0 of 8 modes", "step 200: 8 of 8 modes", "step 300: 8 of 8 modes"]
    assert [ax.get_ylabel() for ax in fig.axes[::3]] == ["collapsed (GAN)", "mitigated (PacGAN)"]
    plt.close(fig)

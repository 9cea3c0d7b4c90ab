"""helpers.gans.analysis: the observations under the GAN notebook's tables, written from the numbers."""
from helpers.gans.analysis import PROBE_SAMPLES, gan_observations


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


def test_a_collapsed_run_that_draws_no_digits_is_called_so_not_one_digit_repeated():
    table = {"dcgan": {"fid_classifier": 6.0, "recognised": 0.8}, "real": {"fid_classifier": 3.0, "recognised": 0.99}}
    noise = {"collapsed": {"diversity": 0.0, "feature_spread": 0.0, "recognised": 0.0},
             "mitigated": {"diversity": 2.03, "feature_spread": 23.9, "recognised": 0.61}}
    text = gan_observations(table, noise, {})
    assert "samples are not digits at all (the classifier recognises 0% of them;" in text
    assert "reaches 2.03 nats (uniform over ten digits: 2.30) with 61% recognised" in text
    ones = {**noise, "collapsed": {"diversity": 0.05, "feature_spread": 1.2, "recognised": 0.95}}  # one digit, repeated
    text = gan_observations(table, ones, {})
    assert "not digits" not in text and "cover digit classes with entropy 0.05 nats" in text
    untrained = {**noise, "mitigated": {"diversity": 0.03, "feature_spread": 1.4, "recognised": 0.0}}  # smoke's
    text = gan_observations(table, untrained, {})
    assert "neither run draws recognisable digits at this budget" in text and "extreme" not in text
    few = {"collapsed": {"diversity": 0.4, "feature_spread": 3.0, "recognised": 0.9},
           "mitigated": untrained["mitigated"]}
    text = gan_observations(table, few, {})
    assert "cover digit classes with entropy 0.40 nats" in text and "shows no mitigation" in text

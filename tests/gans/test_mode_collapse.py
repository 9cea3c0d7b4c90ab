"""helpers.gans.ring and helpers.gans.mode_collapse: the ring's coverage measure, PacGAN's packed discriminator, and
the two runs' training (resumable, alike in worker processes, and showing the collapse it is there to show)."""
import pytest
import torch

from helpers.core.checkpoint import load_checkpoint
from helpers.core.config import make_config
from helpers.gans import mode_collapse, ring
from helpers.gans.config import GanConfig
from helpers.gans.mode_collapse import PackedDiscriminator, collapse_gan, run_collapse, run_mode_collapse
from helpers.gans.ring import MODES, STD, centres, coverage, sample_ring


def test_coverage_counts_the_modes_that_hold_high_quality_samples():
    torch.manual_seed(0)
    points, modes = sample_ring(4000)
    assert torch.bincount(modes, minlength=MODES).min() > 400  # every mode drawn
    counts = torch.bincount(modes)
    assert coverage(points) == {"modes": MODES, "high_quality": pytest.approx(0.989, abs=0.01),
                                "largest_mode": int(counts.argmax()),
                                "largest_share": pytest.approx(counts.max() / 4000)}
    one = centres()[3] + STD * torch.randn(500, 2)
    assert coverage(one) == {"modes": 1, "high_quality": pytest.approx(0.989, abs=0.02), "largest_mode": 3,
                             "largest_share": 1.0}
    between = (centres()[0] + centres()[1]) / 2 + STD * torch.randn(500, 2)  # near no centre
    assert coverage(between)["modes"] == 0 and coverage(between)["high_quality"] == 0.0
    few = torch.cat([one, centres()[5].expand(4, 2)])  # 4 of 504 points (0.8%) on mode 5: not covered
    assert coverage(few)["modes"] == 1


def test_coverage_refuses_points_that_are_not_of_the_plane():
    with pytest.raises(ValueError, match=r"\(N, 2\) tensor of points, got shape \(5, 3\)"):
        coverage(torch.zeros(5, 3))


def test_the_packed_discriminator_scores_packs_and_refuses_a_batch_that_does_not_split():
    torch.manual_seed(0)
    packed, single = PackedDiscriminator(2), PackedDiscriminator(1)
    points = torch.randn(8, 2)
    assert packed(points).shape == (4, 1) and single(points).shape == (8, 1)
    swapped = points.clone()
    swapped[[0, 1]] = points[[1, 0]]  # the order within a pack matters to the network: it sees both points at once
    assert torch.equal(packed(swapped)[1:], packed(points)[1:])
    assert not torch.equal(packed(swapped)[0], packed(points)[0])
    with pytest.raises(ValueError, match="a batch of 7 points does not split into packs of 2"):
        packed(torch.randn(7, 2))
    with pytest.raises(ValueError, match="collapse_batch_size=511 must be a multiple of collapse_pack=2"):
        GanConfig(collapse_batch_size=511)
    with pytest.raises(ValueError, match="collapse_pack=0 must be at least 1"):
        make_config(GanConfig, "cpu", {"collapse_pack": 0})


def test_both_runs_share_networks_and_rates_and_differ_only_in_the_pack():
    config = make_config(GanConfig, "cpu")
    collapsed, mitigated = collapse_gan("collapsed", config, "cpu"), collapse_gan("mitigated", config, "cpu")
    assert torch.equal(collapsed.generator.net[0].weight, mitigated.generator.net[0].weight)
    assert (collapsed.discriminator.pack, mitigated.discriminator.pack) == (1, config.collapse_pack)
    for gan in (collapsed, mitigated):
        assert gan.opt_d.param_groups[0]["lr"] == config.collapse_lr
        assert gan.opt_g.param_groups[0]["lr"] == pytest.approx(config.collapse_lr * config.collapse_g_lr_ratio)
    with pytest.raises(ValueError, match="unknown mode-collapse run 'other'"):
        collapse_gan("other", config, "cpu")


def test_a_killed_run_resumes_to_the_same_snapshots(tmp_path, monkeypatch):
    config = make_config(GanConfig, "smoke", {"collapse_steps": 25, "collapse_batch_size": 32})
    monkeypatch.setattr("helpers.core.training.SAVE_EVERY", 1)  # a checkpoint at every snapshot (5 steps each)
    whole = run_collapse("mitigated", config, device="cpu", seed=0, checkpoint_dir=tmp_path / "whole", progress=False)
    assert whole.steps == [5, 10, 15, 20, 25] and len(whole.history["modes"]) == 5
    calls = []

    def killed_at_the_third_snapshot(points):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return coverage(points)

    monkeypatch.setattr("helpers.gans.mode_collapse.coverage", killed_at_the_third_snapshot)
    with pytest.raises(KeyboardInterrupt):
        run_collapse("mitigated", config, device="cpu", seed=0, checkpoint_dir=tmp_path / "killed", progress=False)
    monkeypatch.setattr("helpers.gans.mode_collapse.coverage", coverage)
    [checkpoint] = (tmp_path / "killed").glob("*.pt")
    assert load_checkpoint(checkpoint)["epoch"] == 2  # resumed from the second snapshot, not trained again
    resumed = run_collapse("mitigated", config, device="cpu", seed=0, checkpoint_dir=tmp_path / "killed",
                           progress=False)
    assert torch.equal(resumed.snapshots, whole.snapshots) and resumed.history == whole.history


def test_too_few_steps_for_the_snapshots_is_refused(tmp_path):
    config = make_config(GanConfig, "smoke", {"collapse_steps": 5})
    config.collapse_steps = 4
    with pytest.raises(ValueError, match="collapse_steps=4 must be at least 5"):
        run_collapse("collapsed", config, device="cpu", seed=0, checkpoint_dir=tmp_path)


def test_the_runs_collapse_and_the_pack_mitigates_it(tmp_path, monkeypatch):
    """The experiment's point at 2,000 steps (2/3 of the profiles'): the collapsed run never covers more than one mode
    and crowds near one mode (at least half its samples nearest it) at every snapshot, at least two different modes
    over the five; PacGAN ends with at least six of eight. Measured
    with training seeds 0-3 at 2,000 and 3,000 steps (bench/ring_collapse.py, docs/tuning.md): the collapsed run
    covered at most one mode at every snapshot and sat nearest 3-5 different modes, PacGAN ended with all eight in
    every run. Trained in two worker processes, as the notebook does on a CPU."""
    config = make_config(GanConfig, "cpu", {"collapse_steps": 2000})
    monkeypatch.setattr(mode_collapse, "usable_processes", lambda processes: processes)  # workers on one thread
    runs = run_mode_collapse(config, device="cpu", seed=0, checkpoint_dir=tmp_path, processes=2)
    collapsed, mitigated = runs["collapsed"].history, runs["mitigated"].history
    assert max(collapsed["modes"]) <= 1 and min(collapsed["largest_share"]) >= 0.5  # crowded near one mode...
    assert len(set(collapsed["largest_mode"])) >= 2  # ... and not always the same one
    assert mitigated["modes"][-1] >= 6 and mitigated["high_quality"][-1] > collapsed["high_quality"][-1]


def test_the_modes_are_numbered_anticlockwise_from_the_right_as_the_observation_says():
    assert centres().norm(dim=1).tolist() == pytest.approx([ring.RADIUS] * MODES)
    assert centres()[0].tolist() == pytest.approx([2.0, 0.0])
    assert centres()[2].tolist() == pytest.approx([0.0, 2.0], abs=1e-6)


def test_runs_trained_in_worker_processes_equal_runs_trained_here(tmp_path, monkeypatch):
    from helpers.gans.methods import Gan
    config = make_config(GanConfig, "smoke", {"collapse_steps": 10, "collapse_batch_size": 32})
    here = run_mode_collapse(config, device="cpu", seed=0, checkpoint_dir=tmp_path / "here", processes=1)
    monkeypatch.setattr(Gan, "step", lambda *args: pytest.fail("trained here, not in a worker"))
    # two workers of one thread each, as on two cores, though this process has one thread: the same arithmetic
    monkeypatch.setattr(mode_collapse, "usable_processes", lambda processes: processes)
    workers = run_mode_collapse(config, device="cpu", seed=0, checkpoint_dir=tmp_path / "workers", processes=2)
    for name in ("collapsed", "mitigated"):
        assert torch.equal(workers[name].snapshots, here[name].snapshots)
        assert workers[name].history == here[name].history
    assert not torch.equal(here["collapsed"].snapshots, here["mitigated"].snapshots)


def test_one_thread_trains_both_runs_here_without_workers(tmp_path, monkeypatch, torch_threads):
    """A kernel with one thread (beside another kernel) has no threads to give two workers."""
    monkeypatch.setattr(mode_collapse, "in_processes", lambda *args: pytest.fail("worker processes started"))
    torch_threads(1)
    config = make_config(GanConfig, "smoke", {"collapse_steps": 5, "collapse_batch_size": 16})
    runs = run_mode_collapse(config, device="cpu", seed=0, checkpoint_dir=tmp_path, processes=2)
    assert set(runs) == {"collapsed", "mitigated"}

"""helpers.diffusion.analysis: the DCGAN row of the DDPM comparison (reused or trained) and the observations."""
import shutil

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.core.checkpoint import load_checkpoint
from helpers.core.config import as_dict, make_config
from helpers.core.images import ImageSet
from helpers.diffusion.analysis import conditional_observations, per_digit_figure, subset_per_digit
from helpers.diffusion.config import DdpmConfig
from helpers.gans.config import GanConfig
from helpers.gans.experiment import dcgan_row
from helpers.report.metrics import write_metrics


def digits32(n=64):
    gen = torch.Generator().manual_seed(0)
    return ImageSet(torch.randint(0, 256, (n, 1, 32, 32), generator=gen, dtype=torch.uint8), torch.arange(n) % 10, "digits")


def test_dcgan_row_reuses_the_gan_notebooks_metrics_only_when_made_alike(tmp_path):
    train, reference = digits32(), torch.zeros(8, 1, 32, 32)
    config = make_config(DdpmConfig, "smoke")
    gan_metrics = tmp_path / "gan" / "metrics.json"
    common = dict(judge=None, profile="smoke", data="embedded", seed=0, copies=config.data_copies,
                  eval_samples=config.eval_samples, device="cpu", gan_metrics=gan_metrics,
                  checkpoint_dir=tmp_path / "checkpoints")
    row, trained, source = dcgan_row(train, reference, **common)
    assert "trained here" in source and row["seconds_per_100"] > 0 and trained.shape == (200, 1, 32, 32)
    # the gan notebook's DCGAN: its checkpoint is the gan package's, with the record helpers.predict reads
    checkpoint, = (tmp_path / "checkpoints").glob("dcgan_*.pt")
    assert load_checkpoint(checkpoint)["deliverable"]["settings"]["method"] == "dcgan"

    def gan_run(profile, checkpoints=None, **overrides):
        """The gan notebook's metrics.json, its config as the notebook makes it (on 32x32 digits, four methods)."""
        gan = make_config(GanConfig, profile, {"image_size": 32, "copies": config.data_copies,
                                               "eval_samples": config.eval_samples, **overrides})
        write_metrics(gan_metrics.parent, notebook="gan", profile=profile, data="embedded", device=torch.device("cpu"),
                      params={"seed": 0, **as_dict(gan)}, timings={"total_s": 1.0},
                      results={"samples": {"dcgan": {"fid_classifier": 1.25, "recognised": 0.5}}},
                      extra={"checkpoints": checkpoints or {}})

    gan_run("smoke")
    row, samples, source = dcgan_row(train, reference, **common)
    assert source.startswith("reused from") and row == {"fid_classifier": 1.25, "recognised": 0.5} and samples is None
    # the figure's samples come from the checkpoint metrics.json names, looked for beside it (the notebook writes the
    # path as seen from notebooks/): the same generator and noise as the samples trained here
    (gan_metrics.parent / "checkpoints").mkdir()
    shutil.copy(checkpoint, gan_metrics.parent / "checkpoints" / checkpoint.name)
    gan_run("smoke", checkpoints={"dcgan": f"../reports/gan/checkpoints/{checkpoint.name}"})
    row, samples, source = dcgan_row(train, reference, **common)
    assert source.startswith("reused from") and torch.equal(samples, trained[:16])
    gan_run("cpu")  # another profile: not comparable, so the DCGAN is trained (here: its checkpoint reused) again
    _, _, source = dcgan_row(train, reference, **common)
    assert "trained here" in source
    flipped_bf16 = not make_config(GanConfig, "smoke").bf16
    for overrides in ({"epochs": 1}, {"batch_size": 8}, {"latent_code": 0}, {"bf16": flipped_bf16}):  # gan's PARAMS
        gan_run("smoke", **overrides)
        _, _, source = dcgan_row(train, reference, **common)
        assert "trained here" in source, overrides
    gan_run("smoke", epochs=1)  # ddpm's gan_epochs names gan's epochs (make gpu-check runs both with 2)
    _, _, source = dcgan_row(train, reference, **common, gan_epochs=1)
    assert source.startswith("reused from")


def test_conditional_observations_follow_the_numbers():
    digits = {str(d): {"accuracy": 0.9 + d / 100} for d in range(10)} | {"overall": {"accuracy": 0.945}}
    guidance = {w: {"accuracy": a, "fid_classifier": f, "seconds_per_100": 1.0}
                for w, a, f in (("0", 0.7, 2.0), ("1", 0.9, 1.5), ("2", 0.95, 1.8), ("4", 0.97, 3.0))}
    sampling = {"ddpm-1000": {"accuracy": 0.96, "fid_classifier": 2.0, "seconds_per_100": 40.0},
                "ddim-50": {"accuracy": 0.95, "fid_classifier": 1.8, "seconds_per_100": 2.0},
                "ddim-20": {"accuracy": 0.9, "fid_classifier": 2.5, "seconds_per_100": 0.8}}
    text = conditional_observations(digits, guidance, sampling, {"ddpm-1000": 50, "ddim-50": 200, "ddim-20": 200},
                                    sampler="ddim-50", w=2.0, judge_accuracy=0.98)
    assert "94.5%" in text and "hardest digit 0" in text and "easiest 9" in text
    assert "20.0x faster" in text and "1.0 points lower" in text
    assert "lowest at w = 1" in text and "highest at w = 4" in text
    real = {str(d): {"accuracy": 0.8} for d in range(10)} | {"0": {"accuracy": 0.7}}
    text = conditional_observations(digits, guidance, sampling, {"ddpm-1000": 50, "ddim-50": 200, "ddim-20": 200},
                                    sampler="ddim-50", w=2.0, judge_accuracy=0.9, real_digits=real)
    assert "hardest digit 0 (90%; real held-out 0s: 70%)" in text and "easiest 9 (99%; real held-out 9s: 80%)" in text
    assert "90.0%, below the samples'" in text and "from the DDPM row" not in text
    text = conditional_observations(digits, guidance, sampling, {"ddpm-1000": 50, "ddim-50": 200, "ddim-20": 200},
                                    sampler="ddim-50", w=2.0, judge_accuracy=0.9, same_start=0.92)
    assert "from the DDPM row's 50 starting noises DDIM 50 reads 92.0% (+4.0 points for DDPM)" in text
    assert "One sample moves the DDPM row's accuracy by 2.0 points." in text


def test_subset_per_digit_takes_the_first_of_each_digit():
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    images = torch.arange(6).float().reshape(6, 1, 1, 1)
    chosen, chosen_labels = subset_per_digit(images, labels, 2)
    assert chosen.flatten().tolist() == [0, 1, 3, 4] and chosen_labels.tolist() == [0, 0, 1, 1]


def test_the_per_digit_heatmap_has_a_row_per_table_and_a_column_per_digit():
    generated = {str(d): {"accuracy": d / 10} for d in range(10)} | {"overall": {"accuracy": 0.45}}
    real = {str(d): {"accuracy": 1.0} for d in range(10)} | {"overall": {"accuracy": 1.0}}
    fig = per_digit_figure({"generated": generated, "real held-out": real})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["generated", "real held-out"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [*map(str, range(10)), "overall"]
    values = ax.collections[0].get_array().reshape(2, 11)
    assert np.allclose(values[0], [d / 10 for d in range(10)] + [0.45]) and np.allclose(values[1], 1.0)
    plt.close(fig)

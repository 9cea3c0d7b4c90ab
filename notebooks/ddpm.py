# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: dlcv-report (.venv)
#     language: python
#     name: dlcv-report
# ---

# %% [markdown]
# # Denoising diffusion (DDPM), and DCGAN vs DDPM
#
# *DLCV HW2 P2 (unconditional part) and the course's DDPM report.* A denoising diffusion probabilistic model
# (Ho et al., 2020) learns to undo a fixed 1000-step noising process: a UNet predicts the noise added to an
# image at step t, and sampling runs the process backwards from pure noise. How close do its samples come to
# the real digits, and how do they compare with a DCGAN trained on the same images: fidelity (FID), diversity
# and the price paid at sampling time?

# %% tags=["parameters"]
profile = "auto"   # smoke | cpu-lite | cpu | gpu | auto (the machine's: README, Profiles; $DLCV_PROFILE wins)
data = "embedded"  # or a flat image folder: MNIST digits, or the course's anime faces (hw2_data/face/train)
seed = 0
out_dir = "../reports/ddpm"
epochs = None      # None keeps the profile's value
batch_size = None
gan_metrics = None  # the GAN notebook's metrics.json; None: <out_dir>/../gan/metrics.json
gan_epochs = None  # the DCGAN's epochs (the gan notebook's `epochs`, to reuse a run made with it); None: the profile's
inception_weights = None  # path to pytorch-fid's pt_inception-2015-12-05-6726825d.pth; None: torch's cache

# %%
from helpers.core.runtime import PhaseTimer

timer = PhaseTimer()  # the notebook's own time, imports included (timings.total_s in metrics.json)

from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from helpers.core.config import as_dict, budget, prepare_run
from helpers.core.images import to_float
from helpers.deliverables.example import predict_entry, predict_markdown
from helpers.diffusion.deliverable import ddpm_record
from helpers.diffusion.config import DdpmConfig
from helpers.diffusion.experiment import build_unet, generate, resize, train_diffusion
from helpers.gans.data import is_face_folder, load_gan_data
from helpers.gans.experiment import dcgan_row
from helpers.grading.measures import grade, real_floor
from helpers.core.images import as_uint8
from helpers.diffusion.analysis import ddpm_observations
from helpers.grading.fid import inception_status
from helpers.grading.judge import judge_if_labelled
from helpers.diffusion.networks import count_parameters
from helpers.core.plots import image_grid, loss_curves, save_figure
from helpers.report.metrics import write_metrics
from helpers.report.tables import hyperparameters, named_columns
from helpers.core.runtime import derive_seed

overrides = {"epochs": epochs, "batch_size": batch_size}
profile, config, device = prepare_run(DdpmConfig, profile, overrides, seed)
gan_metrics = gan_metrics or str(Path(out_dir).parent / "gan" / "metrics.json")

# %% [markdown]
# ## Data and grading
#
# The GAN notebook's images, so that both notebooks are graded alike: on the embedded data, scikit-learn's
# 1,797 handwritten digits (several jittered renderings each), split by handwritten sample into training and
# held-out images. The UNet sees them resized to `image_size`; its samples are resized back before grading.
# **Classifier FID** is the Frechet distance between generated and held-out real images in the feature space
# of the suite's digit classifier (trained once on the real training images, cached under `reports/_judge/`);
# it is not comparable with Inception FID, which is added when pytorch-fid's weights file is present.
# **Diversity** is the entropy of the digits the classifier sees (2.30 nats when all ten are equally common).
# Both need class labels. On every run, labels or not: the **random-feature FID**, the Frechet distance in the
# features of a fixed, seeded random convolutional network (no download; compare it only with its real-vs-real
# floor and other random-feature FIDs). On a folder of colour images (the course's faces): **faces found**, the
# course's face score, the share of images in which OpenCV's frontal-face Haar cascade finds a face.

# %%
with timer.phase("data"):
    domain = load_gan_data(data, size=config.data_image_size, copies=config.data_copies, seed=seed)
train, held_out = domain.train, domain.test
reference = to_float(held_out.images)
with timer.phase("judge"):
    judge = judge_if_labelled(train, held_out, cache_dir=Path(out_dir).parent / "_judge", device=device, seed=seed,
                              profile=profile)
print(inception_status(inception_weights))
print(f"{domain.name}: {len(train)} training images, {len(held_out)} held-out")
faces = is_face_folder(data, train.channels)  # the face score applies

# %% [markdown]
# The hyperparameters: each training's budget is a number of steps (batches), the epochs follow from the data's size.

# %%
hyperparameters(config, budget(config, "steps", len(train)), profile=profile, device=str(device), data=data, seed=seed)

# %% [markdown]
# ## The UNet
#
# Residual blocks with the time step's sinusoidal embedding added inside each block, self-attention at the
# lowest resolutions, skip connections from the down path to the up path. An exponential moving average of the
# weights (`torch.optim.swa_utils.AveragedModel`) is kept during training; the samples come from it.

# %%
unet = build_unet(config, train.channels)
print(unet)
print(f"{count_parameters(unet) / 1e6:.2f} M parameters")

# %% [markdown]
# ## Training
#
# The DDPM loss: the mean squared error between the noise added at a random step t of the T = 1000 step linear
# schedule (beta from 1e-4 to 0.02) and the UNet's prediction of it, each image's error weighted by min(SNR_t, 5) /
# SNR_t (`loss_weighting = "min-snr"`, Hang et al. 2023): the nearly clean steps, whose tiny noise is hard to see
# and matters little to a sample, no longer dominate the gradient. At the same steps it lowered the cpu profile's
# classifier FID from 136 to 120 when it was measured (docs/tuning.md); the config's `loss_weighting = "simple"` is
# Ho et al.'s unweighted loss. A checkpoint is written at epoch ends at least 50 steps apart (and at the last) under
# `out_dir/checkpoints/`; running the notebook again resumes or reuses it. The checkpoint carries a record of the
# UNet and of the sampler graded below, so `python -m helpers.predict ddpm` can draw images from it (with the EMA
# weights) without this notebook.

# %%
with timer.phase("training"):
    trained = train_diffusion(config, train, conditional=False, name="DDPM", device=device, seed=seed,
                              checkpoint_dir=Path(out_dir) / "checkpoints", data=data,
                              deliverable=ddpm_record(config, train.channels, data=data))
print(f"trained in {trained.seconds:.0f} s")
fig = loss_curves({"DDPM (noise MSE)": trained.history}, keys=["loss"])
save_figure(fig, out_dir, "loss_curve")

# %% [markdown]
# ## Samples
#
# 16 samples drawn with `grid_sampler` (the DDPM's own ancestral sampler in the cpu profile), and the first of
# the `eval_samples` images that are graded below, drawn with `fid_sampler`.

# %%
with timer.phase("sampling"):
    shown, shown_seconds, _ = generate(trained, 16, sampler=config.grid_sampler, batch_size=config.sample_batch,
                                       device=device, seed=derive_seed(seed, "grid"))
    graded, graded_seconds, _ = generate(trained, config.eval_samples, sampler=config.fid_sampler,
                                         batch_size=config.sample_batch, device=device, seed=derive_seed(seed, "fid"))
size = config.data_image_size
graded = to_float(as_uint8(resize(graded, size)))  # to the data's size, which the classifier reads; 8-bit, as saved
fig = image_grid({f"{config.grid_sampler} ({shown_seconds:.0f} s for 16)": as_uint8(resize(shown, size)),
                  f"{config.fid_sampler} (graded)": as_uint8(graded[:16])})
save_figure(fig, out_dir, "samples")

# %% [markdown]
# ## DCGAN vs DDPM
#
# The DCGAN row comes from the GAN notebook when its `metrics.json` was made with the same profile, data, seed
# and GAN settings (any `methods`; `gan_epochs` here matches the gan notebook's `epochs`), its samples in the figure
# below drawn from that notebook's checkpoint; otherwise the GAN notebook's DCGAN (its profile's settings, built by
# the same helpers) is trained here. Every row is graded against the same held-out images; **real** is real
# training images against them (the floor that finite samples of the
# true distribution reach, and the ceiling of the faces found); **real-resampled** is the same real images taken down to the UNet's `image_size`
# and back up, the floor of a perfect DDPM at that resolution.

# %%
with timer.phase("grading"):
    def graded_row(images):
        return grade(images, reference, judge, device=device, inception_weights=inception_weights, faces=faces)

    table = {"ddpm": {**graded_row(graded), "seconds_per_100": 100 * graded_seconds / len(graded)}}
    real = real_floor(train, config.eval_samples, seed)
    table["real"] = graded_row(real)
    # what the UNet's resolution alone costs: the same real images down to image_size and back up
    table["real-resampled"] = graded_row(resize(resize(real, config.image_size), size).clamp(-1, 1))
with timer.phase("dcgan"):
    table["dcgan"], dcgan_samples, dcgan_source = dcgan_row(
        train, reference, judge, profile=profile, data=data, seed=seed, copies=config.data_copies,
        eval_samples=config.eval_samples, device=device, gan_metrics=gan_metrics, gan_epochs=gan_epochs,
        checkpoint_dir=Path(out_dir) / "checkpoints", inception_weights=inception_weights, faces=faces)
table = {row: table[row] for row in ("ddpm", "dcgan", "real", "real-resampled")}
print(f"DCGAN row: {dcgan_source}")
print(f"{len(graded)} samples per model ({config.fid_sampler} for the DDPM), against {len(reference)} held-out images")
named_columns(pd.DataFrame(table).T, {"fid_classifier": "{:.4g}", "fid_inception": "{:.4g}", "recognised": "{:.1%}",
                                      "between_digits": "{:.1%}", "face_share": "{:.1%}", "fid_random": "{:.4g}"},
              precision=3, na_rep="-")

# %%
predict = predict_entry("ddpm", trained.checkpoint, output="output/ddpm",
                        truth="embedded" if data == "embedded" else data, profile=profile, seed=seed)
display(Markdown(predict_markdown(predict)))

# %%
panels = {f"DDPM ({config.fid_sampler})": as_uint8(graded[:16])}
if dcgan_samples is not None:
    panels["DCGAN"] = as_uint8(dcgan_samples[:16])
panels["real"] = as_uint8(real[:16])
fig = image_grid(panels)
save_figure(fig, out_dir, "dcgan_vs_ddpm")

# %% [markdown]
# ## Observations

# %%
display(Markdown(ddpm_observations(table, dcgan_source)))

# %%
metrics_path = write_metrics(
    out_dir, notebook="ddpm", profile=profile, data=data, device=device,
    params={"seed": seed, **as_dict(config)},
    results={"samples": table}, timings=timer.as_dict(),
    extra={"predict": predict, "dcgan_source": dcgan_source, "judge_accuracy": None if judge is None else judge.accuracy,
           "training_s": round(trained.seconds, 1)})
print(f"wrote {metrics_path}")

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
# # GANs: DCGAN, WGAN, WGAN-GP and SNGAN, and mode collapse
#
# *DLCV HW2 P1, HW3 P1-P2; ML2020 HW11.* Four ways to train the same generator on the same images for the
# same number of steps: **DCGAN** (Radford et al., 2016; binary cross-entropy, Adam), **WGAN** (Arjovsky et
# al., 2017; a critic without sigmoid, weight clipping, RMSProp), **WGAN-GP** (Gulrajani et al., 2017; a
# gradient penalty instead of clipping, layer norm instead of batch norm in the critic) and **SNGAN** (Miyato
# et al., 2018; spectral norm on every discriminator layer, hinge loss). Which gives the best digits, by how
# much, and which trains steadily? Then mode collapse, on a toy whose modes can be counted, and a mitigation.

# %% tags=["parameters"]
profile = "auto"   # smoke | cpu-lite | cpu | gpu | auto (the machine's: README, Profiles; $DLCV_PROFILE wins)
data = "embedded"  # or a flat folder of face images, e.g. the course's hw2_data/face/train (64x64 crops)
seed = 0
out_dir = "../reports/gan"
methods = None     # e.g. ["dcgan", "sngan"]; None: all four
epochs = None      # None keeps the profile's value
batch_size = None
bf16 = None        # forward passes under bfloat16 autocast; None: on where bfloat16 is native, False: float32
latent_code = None  # values of the categorical latent code (InfoGAN); 0: z alone, as in the papers; None: the profile's
inception_weights = None  # path to pytorch-fid's pt_inception-2015-12-05-6726825d.pth; None: torch's cache

# %%
from helpers.core.runtime import PhaseTimer

timer = PhaseTimer()  # the notebook's own time, imports included (timings.total_s in metrics.json)

from functools import partial
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from helpers.core.config import as_dict, budget, prepare_run
from helpers.core.images import to_float
from helpers.deliverables.example import predict_entry, predict_markdown
from helpers.gans.config import GanConfig
from helpers.grading.fid import inception_status
from helpers.gans.data import is_face_folder, load_gan_data
from helpers.gans.experiment import N_SHOWN, GanJob, grade_samples, run_gans
from helpers.gans.analysis import best_method, collapse_figure, gan_observations
from helpers.gans.methods import build_gan
from helpers.grading.judge import judge_if_labelled
from helpers.gans.mode_collapse import run_mode_collapse
from helpers.core.plots import loss_curves, sample_grids, save_figure
from helpers.report.metrics import write_metrics
from helpers.report.tables import hyperparameters, named_columns

overrides = {"methods": tuple(methods) if methods else None, "epochs": epochs, "batch_size": batch_size,
             "latent_code": latent_code, "bf16": bf16}
profile, config, device = prepare_run(GanConfig, profile, overrides, seed)

# %% [markdown]
# ## Data
#
# On the embedded data: scikit-learn's 1,797 handwritten digits rendered at the generator's size (several
# jittered renderings of each), split by handwritten sample into training images and held-out images. The
# held-out images are the reference every FID is measured against. With `data=<folder>` the GANs train on
# that folder's images (e.g. the course's face crops).

# %%
with timer.phase("data"):
    domain = load_gan_data(data, size=config.image_size, copies=config.copies, seed=seed)
train, held_out = domain.train, domain.test
print(f"{domain.name}: {len(train)} training images, {len(held_out)} held-out, "
      f"{train.channels} channel(s) of {config.image_size}x{config.image_size}")
fig = sample_grids({"real training images": train.images[:N_SHOWN]})
save_figure(fig, out_dir, "real")

# %% [markdown]
# The hyperparameters: each training's budget is a number of steps (batches), the epochs follow from the data's size.

# %%
methods_budget = budget(config, "steps", len(train))
hyperparameters(config, methods_budget, profile=profile, device=str(device), data=data, seed=seed)

# %% [markdown]
# ## How the samples are graded
#
# **Classifier FID**: the Frechet distance between generated and held-out real images in the feature space
# of the suite's own digit classifier (a small CNN trained once on the real training images and cached under
# `reports/_judge/`). Its numbers compare methods with each other and with the **real-vs-real floor** (real
# training images against the same held-out images): they are not Inception FIDs and cannot be compared with
# published FIDs. **Recognised**: the share of samples the classifier names with confidence >= 0.9.
# **Between two digits**: the share it reads as a mix of two digits (the top class below 0.9, the top two
# together at least 0.9). **Diversity**: the entropy of the digits it reads in the samples (2.30 nats when all ten
# are equally common, 0 when every sample is the same digit). These four need class labels: on a folder without
# them they are left out.
#
# **Random-feature FID**, on every run, labels or not: the Frechet distance in the features of a fixed, seeded
# random convolutional network (its responses at four scales: texture, edges, colour), which needs no download.
# Read it against its own real-vs-real floor; its numbers compare only with other random-feature FIDs.
# **Faces found**, on a folder of colour images (the course's faces): the course's face score, the share of
# samples in which OpenCV's frontal-face Haar cascade finds a face; the real images' share is its ceiling.
# **Inception FID** (pytorch-fid) is added when its weights file is present.

# %%
with timer.phase("judge"):
    judge = judge_if_labelled(train, held_out, cache_dir=Path(out_dir).parent / "_judge", device=device, seed=seed,
                              profile=profile)
print(inception_status(inception_weights))
reference = to_float(held_out.images)
faces = is_face_folder(data, train.channels)  # the face score applies

# %% [markdown]
# ## Models
#
# The same generator for every method (DCGAN layout: a linear layer to a 4x4 map, then transposed
# convolutions). The discriminators differ only in normalisation: batch norm (DCGAN, WGAN), layer norm
# (WGAN-GP) and spectral norm (SNGAN). Printed once per method:
#
# **The latent code.** Beside the 100-d noise z every generator reads a categorical code of `latent_code` values
# (10 in the cpu profile), one-hot, and every discriminator has a second head (InfoGAN's Q, Chen et al. 2016) that must tell
# which code a generated image was drawn with; both networks minimise its cross-entropy (`info_weight`), on top of
# their method's own loss. The code is read off z (the bin of its first coordinate among `latent_code` equally
# likely bins), so one noise vector still fixes one image. Why: a generator is a continuous map from the noise to
# images, so wherever it draws a 3 next to an 8 it also draws the images in between. With z alone, DCGAN's
# samples levelled off at 61-65% recognised whatever the width, epochs, learning rates or regulariser tried, and
# 26% of them read as a mix of two digits; the code gives the generator a discontinuous input to switch between
# digits with (77% recognised in the same 8 epochs when this was tuned: cpu profile, docs/tuning.md).
# `latent_code=0` trains the papers' networks with z alone; the gpu profile does, so that its DCGAN generator is
# the reference printout (Linear(100 -> 8192) and four transposed convolutions at 64x64x3).

# %%
for method in config.methods:
    gan = build_gan(method, config, train.channels, "cpu")
    print(f"===== {method} =====\n{gan.generator}\n{gan.discriminator}\n")

# %% [markdown]
# ## Training
#
# The budget is the same for every method: the same number of steps over the same images, one batch of real images
# per discriminator (critic) step. WGAN takes `n_critic` = 5 critic steps per generator step, as in its paper;
# WGAN-GP `wgan_gp_n_critic` (its paper: 5; here 1, because five left its generator too few updates in this budget).
# Four departures from the papers, measured in the cpu profile and listed in the table of settings above: the latent
# code (see Models), a small batch (`batch_size`, 16 in the cpu profile: the cost per image on a CPU falls little
# with bigger batches, so smaller ones give more updates), a generator learning rate `g_lr_ratio` times the
# discriminator's for the Adam methods (a two time-scale update rule, Heusel et al. 2017), and samples drawn from an
# exponential moving average of the generator's weights (`ema_decay`). A checkpoint is written at epoch ends at
# least 50 steps apart (and at the last) under `out_dir/checkpoints/`; running the notebook again resumes or reuses
# it. Each checkpoint carries a record of its generator, so `python -m helpers.predict gan` can draw images from it
# without this notebook. On a CPU the runs (and the mode-collapse experiment's two, in their section) train
# `processes` at a time, each process with its share of the threads (a kernel of one thread, as OMP_NUM_THREADS=1
# makes it, trains here): networks this small do not spread well over threads, so on 2 cores two processes of one
# thread each get through 1.7 times as many steps per second as one process of two threads. Each run starts from a seed
# of its own name, so its numbers do not depend on which runs train beside it or before it (one thread or two differ
# only by floating-point rounding). Where bfloat16 is native (a recent GPU, or a CPU with AVX-512 BF16) the forward
# passes run under bfloat16 autocast (`bf16`), about 1.25x faster on this CPU; weights, optimisers, losses and sampling
# stay float32.

# %%
jobs = {method: GanJob(partial(build_gan, method, config, train.channels, device), methods_budget.epochs, data,
                      methods_budget.max_steps) for method in config.methods}
with timer.phase("training"):
    runs = run_gans(jobs, train, config, device=device, seed=seed, checkpoint_dir=Path(out_dir) / "checkpoints",
                    judge=judge, processes=config.processes)
print(", ".join(f"{name}: {run.seconds:.0f} s" for name, run in runs.items()))

# %% [markdown]
# ## Samples: the first 32 images of one fixed noise batch

# %%
fig = sample_grids({name: run.shown for name, run in runs.items()})
save_figure(fig, out_dir, "samples")

# %% [markdown]
# ## Loss curves
#
# Discriminator (critic) and generator loss per epoch, and the share of recognised samples after each epoch.
# Each loss is the method's own plus, with a latent code (`latent_code` above 0 in the hyperparameter table), the
# code's cross-entropy times `info_weight` (ln 10 = 2.3 per unit weight while the code is not read yet); WGAN-GP's
# critic loss adds its gradient penalty too. So the WGAN critic's curve is minus its estimate of the Wasserstein
# distance plus those terms, not that estimate alone.

# %%
fig = loss_curves({name: run.history for name, run in runs.items()}, keys=["d_loss", "g_loss"], ncols=4)
save_figure(fig, out_dir, "loss_curves")
if judge is not None:
    fig = loss_curves({"recognised share of 256 samples": {name: run.history["recognised"] for name, run in runs.items()}},
                      ncols=1)
    save_figure(fig, out_dir, "recognised_over_epochs")

# %% [markdown]
# ## FID table

# %%
with timer.phase("grading"):
    samples_table = grade_samples({name: run.samples for name, run in runs.items()}, train, reference, judge,
                                  eval_samples=config.eval_samples, seed=seed, device=device,
                                  inception_weights=inception_weights, faces=faces)
real_row = "real vs real (floor; faces: ceiling)" if faces else "real vs real (floor)"
shown = pd.DataFrame(samples_table).T.rename(index={"real": real_row})
print(f"{config.eval_samples} samples per method (8-bit, as saved), against {len(reference)} held-out real images")
named_columns(shown, {"recognised": "{:.1%}", "between_digits": "{:.1%}", "face_share": "{:.1%}",
                      "fid_random": "{:.4g}"}, precision=2)

# %%
# The deliverable: the best method's generator (lowest classifier FID; without a classifier the lowest Inception FID,
# else the lowest random-feature FID).
best = best_method(samples_table)
predict = predict_entry("gan", runs[best].checkpoint, output="output/gan",
                        truth="embedded" if data == "embedded" else data, profile=profile, seed=seed)
display(Markdown(f"The best method here is **{best}**.\n\n" + predict_markdown(predict)))

# %% [markdown]
# ## Mode collapse
#
# A generator *collapses* when its samples cover only a few modes of the data. On images the modes cannot be
# counted, so this experiment uses the toy of Metz et al. (2017): eight Gaussians on a ring of radius 2 (standard
# deviation 0.05 here, wider than their 0.02 so that the modes show in the figure), points drawn afresh at every
# step. Both networks have two hidden layers of 128 ReLU units, and the settings are those of Metz et al.'s ring
# experiment: noise of 256 values, batches of 512 points, Adam(0.5, 0.999), and a generator that learns ten times
# faster than its discriminator (`collapse_lr` and `collapse_g_lr_ratio`). That generator chases whichever region
# its slow discriminator rates best: its samples crowd near one mode, and when the discriminator catches up they
# move on to another. The mitigation is **PacGAN** (Lin et al., 2018): the discriminator scores packs of
# `collapse_pack` points instead of single points, so a pack drawn from one mode looks unlike a pack of real points
# (which usually come from different modes), and the discriminator can penalise a lack of diversity it cannot see
# in one sample. Everything else is the same: networks, optimiser, rates, batch size (512 fresh points a step) and
# `collapse_steps` steps.
# **Modes covered**: modes that hold at least 1% of the samples within 3 standard deviations of their centre;
# **high quality**: the share of samples within 3 standard deviations of some mode (after the measures of
# Srivastava et al.'s VEEGAN; the 1% is ours). The figure shows each run's samples at five points of its training,
# from the same noise, over the 3-standard-deviation circle around each mode.

# %%
with timer.phase("mode collapse"):
    collapse = run_mode_collapse(config, device=device, seed=seed, checkpoint_dir=Path(out_dir) / "checkpoints",
                                 processes=config.processes)
save_figure(collapse_figure(collapse), out_dir, "mode_collapse")
collapse_table = {name: run.final for name, run in collapse.items()}
display(named_columns(pd.DataFrame(collapse_table).T, {"modes": "{:.0f}", "high_quality": "{:.1%}"}, precision=2))

# %% [markdown]
# ## Observations

# %%
display(Markdown(gan_observations(samples_table, collapse, {name: run.history for name, run in runs.items()})))

# %%
results = {"samples": samples_table, "mode_collapse": collapse_table}
metrics_path = write_metrics(
    out_dir, notebook="gan", profile=profile, data=data, device=device,
    params={"seed": seed, **as_dict(config)}, results=results, timings=timer.as_dict(),
    extra={"predict": predict, "checkpoints": {name: str(run.checkpoint) for name, run in runs.items()},
           "judge_accuracy": None if judge is None else judge.accuracy})
print(f"wrote {metrics_path}")

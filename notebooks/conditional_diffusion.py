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
# # Conditional diffusion with classifier-free guidance, and DDIM sampling
#
# *DLCV HW2 P2.* A DDPM (Ho et al., 2020) that draws the digit it is asked for. The UNet sees the class
# through a learned embedding; during training the label is replaced by a *null* label with probability 0.1,
# so the same network also learns the unconditional model, and sampling mixes the two predictions with
# **classifier-free guidance** (Ho & Salimans, 2022): eps = (1 + w) eps(x, c) - w eps(x, null). How often does
# the suite's digit classifier read the requested digit? How do the guidance scale w and the sampler
# (1000-step DDPM against DDIM, Song et al. 2021, with 100, 50 and 20 steps) trade accuracy, FID and time?

# %% tags=["parameters"]
profile = "auto"   # smoke | cpu-lite | cpu | gpu | auto (the machine's: README, Profiles; $DLCV_PROFILE wins)
data = "embedded"  # or the course's digits folder: <data>/mnistm/data/*.png + train.csv, val.csv
seed = 0
out_dir = "../reports/conditional_diffusion"
epochs = None      # None keeps the profile's value
batch_size = None
w = None           # guidance scale of the 10x10 grid and the per-digit table
sampler = None     # e.g. "ddim-50" or "ddpm-1000"
per_digit = None   # samples graded per digit
bf16 = None        # the UNet under bfloat16 autocast; None: on where bfloat16 is native, False: float32

# %%
from helpers.core.runtime import PhaseTimer

timer = PhaseTimer()  # the notebook's own time, imports included (timings.total_s in metrics.json)

from pathlib import Path

import pandas as pd
import torch
from IPython.display import Markdown, display

from helpers.core.config import as_dict, budget, prepare_run
from helpers.data import EMBEDDED, load_domains
from helpers.core.images import to_float
from helpers.deliverables.example import predict_entry, predict_markdown
from helpers.diffusion.deliverable import conditional_record
from helpers.diffusion.config import ConditionalDiffusionConfig
from helpers.diffusion.experiment import build_unet, digit_labels, generate, train_diffusion
from helpers.core.images import as_uint8
from helpers.diffusion.analysis import (conditional_observations, for_judge, grade_conditional,
                                        per_digit as per_digit_table, per_digit_figure, reverse_figure,
                                        subset_per_digit, sweep_figure)
from helpers.grading.judge import label_agreement, load_judge
from helpers.diffusion.networks import count_parameters
from helpers.core.plots import image_grid, loss_curves, save_figure
from helpers.report.metrics import write_metrics
from helpers.report.tables import hyperparameters
from helpers.core.runtime import derive_seed

overrides = {"epochs": epochs, "batch_size": batch_size, "w": w, "sampler": sampler, "per_digit": per_digit,
             "bf16": bf16}
profile, config, device = prepare_run(ConditionalDiffusionConfig, profile, overrides, seed)

# %% [markdown]
# ## Data and the digit classifier
#
# On the embedded data: `digits-m`, the MNIST-M stand-in (each handwritten digit blended with crops of two
# photos, several renderings per digit), split by handwritten sample into training and held-out images. With
# `data=<folder>` the course's MNIST-M. The suite's digit classifier is trained once on the real training
# images (cached under `reports/_judge/`); it grades every sample, and its 64-d feature layer is the space of
# the **classifier FID** against the held-out real images (not comparable with Inception FID). Images are
# rendered at `judge_size` (16x16 in the cpu profile, 28x28 in the gpu profile); the UNet works at `image_size`
# and its samples are resized to `judge_size` when the two differ.

# %%
with timer.phase("data"):
    name = "digits-m" if data == EMBEDDED else "mnistm"
    domain = load_domains(data, [name], seed=seed, size=config.judge_size, copies=config.copies)[name]
train, held_out = domain.train, domain.test
with timer.phase("judge"):
    judge = load_judge(train, cache_dir=Path(out_dir).parent / "_judge", device=device, seed=seed, profile=profile,
                       held_out=held_out)
reference = to_float(held_out.images)
print(f"{name}: {len(train)} training images, {len(held_out)} held-out; the classifier reads "
      f"{judge.accuracy:.1%} of the held-out images right")
fig = image_grid({"real training images": train.images[:16]})
save_figure(fig, out_dir, "real")

# %% [markdown]
# The hyperparameters: each training's budget is a number of steps (batches), the epochs follow from the data's size.

# %%
hyperparameters(config, budget(config, "steps", len(train)), profile=profile, device=str(device), data=data, seed=seed)

# %% [markdown]
# ## The UNet
#
# Residual blocks with the time step's sinusoidal embedding (and the class embedding, whose last row is the
# null label) added inside each block, self-attention at the lowest resolutions, skip connections from the
# down path to the up path. An exponential moving average of the weights (`torch.optim.swa_utils.AveragedModel`)
# is kept during training, and every sample below comes from the averaged model.

# %%
unet = build_unet(config, train.channels, num_classes=10)
print(unet)
print(f"{count_parameters(unet) / 1e6:.2f} M parameters")

# %% [markdown]
# ## Training
#
# The DDPM loss (mean squared error between the added noise and the predicted noise at a random step of the T = 1000
# step linear schedule), each image's error weighted by min(SNR_t, 5) / SNR_t (`loss_weighting = "min-snr"`, Hang et
# al. 2023): the nearly clean steps, whose tiny noise is hard to see and matters little to a sample, no longer
# dominate the gradient. At the cpu profile's 2,520 steps it lifted the samples an independent classifier reads
# right from 81 to 92% and from 78 to 90% on two course-layout trees (docs/tuning.md); the config's
# `loss_weighting = "simple"` is Ho et al.'s unweighted loss. Each label is dropped with probability `p_uncond`. A
# checkpoint is written at epoch ends at least 50 steps apart (and at the last) under `out_dir/checkpoints/`; running
# the notebook again resumes or reuses it. The checkpoint carries a record of the UNet and of the grid's sampler and
# guidance scale, so `python -m helpers.predict conditional_diffusion` can draw digits from it (with the EMA weights)
# without this notebook.

# %%
with timer.phase("training"):
    trained = train_diffusion(config, train, conditional=True, name="conditional DDPM", device=device, seed=seed,
                              checkpoint_dir=Path(out_dir) / "checkpoints", data=data,
                              deliverable=conditional_record(config, train.channels, data=data))
print(f"trained in {trained.seconds:.0f} s")
fig = loss_curves({"conditional DDPM (noise MSE)": trained.history}, keys=["loss"])
save_figure(fig, out_dir, "loss_curve")

# %% [markdown]
# ## Ten samples of each digit
#
# Row *d* holds samples asked for digit *d* (the guidance scale `w` and the `sampler` of the hyperparameter
# table). These are the first ten of the `per_digit` samples per digit that the classifier grades below.

# %%
with timer.phase("sampling"):
    labels = digit_labels(config.per_digit)
    # The grid's starting noise, drawn once: the sweeps start from its first samples of each digit.
    noise = torch.randn(len(labels), train.channels, config.image_size, config.image_size,
                        generator=torch.Generator().manual_seed(derive_seed(seed, "grid")))
    images, seconds, _ = generate(trained, len(labels), sampler=config.sampler, labels=labels, w=config.w,
                                  batch_size=config.sample_batch, device=device, seed=derive_seed(seed, "grid"),
                                  x_T=noise)
images = to_float(as_uint8(for_judge(images, judge)))  # at the classifier's size, 8-bit: as helpers.predict saves them
grid, grid_labels = subset_per_digit(images, labels, 10)
grid = as_uint8(grid)
fig = image_grid({f"digit {d}": grid[grid_labels == d] for d in range(10)})
save_figure(fig, out_dir, "samples_10x10")

# %% [markdown]
# ## Accuracy per digit
#
# The share of each digit's samples that the classifier reads as the requested digit. Beside it, the classifier's
# own accuracy on the real held-out images of each digit: what it reads of real digits is the yardstick for
# generated ones (guided samples can be more typical of their digit than real ones, so they may score above it).

# %%
with timer.phase("grading"):
    digits = per_digit_table(judge, images, labels)
    real_digits = per_digit_table(judge, reference, held_out.labels)
print(f"{config.per_digit} samples per digit, {config.sampler}, w = {config.w:g}; {len(held_out)} real held-out images")
fig = per_digit_figure({"generated": digits, "real held-out": real_digits})
save_figure(fig, out_dir, "per_digit")

# %%
predict = predict_entry("conditional_diffusion", trained.checkpoint, output="output/conditional",
                        truth="embedded" if data == EMBEDDED else data, profile=profile, seed=seed)
display(Markdown(predict_markdown(predict)))


# %% [markdown]
# ## Sweeps: guidance scale and sampler
#
# Guidance w in the `guidance` list with the `sampler` above; then each sampler in `samplers` with guidance
# `w`. The DDIM rows grade `sweep_per_digit` samples per digit; the 1000-step DDPM row, 20 times slower,
# grades `ddpm_per_digit` per digit. The row with the grid's own settings reuses the grid's samples (the first
# `sweep_per_digit` of each digit, and its share of the grid's sampling time). Every row is sampled in batches of
# `sample_batch` images, the grid's batch, so the seconds per 100 images compare samplers at the same batch size
# (on a CPU the cost per image grows with the batch once the activations leave the cache). Every row starts from
# the grid's starting noise (its first samples of each digit), so rows differ by the guidance scale or the
# sampler, not by the draw; the DDPM row adds fresh noise at each of its steps.

# %%
def sweep_row(sampler_name, w_value, k, snapshots=()):
    if sampler_name == config.sampler and w_value == config.w and k <= config.per_digit:
        chosen, chosen_labels = subset_per_digit(images, labels, k)
        return grade_conditional(judge, chosen, chosen_labels, reference, seconds * len(chosen) / len(images)), len(chosen), {}
    row_noise, row_labels = subset_per_digit(noise, labels, k)
    row_images, row_seconds, kept = generate(trained, len(row_labels), sampler=sampler_name, labels=row_labels,
                                             w=w_value, batch_size=config.sample_batch, device=device,
                                             seed=derive_seed(seed, sampler_name, w_value), snapshots=snapshots,
                                             x_T=row_noise)
    return grade_conditional(judge, row_images, row_labels, reference, row_seconds), len(row_images), kept


counts, guidance, sampling = {}, {}, {}
snapshot_times = tuple(round(config.T * share) for share in (1.0, 0.8, 0.6, 0.4, 0.2, 0.0))  # T = 1000: 1000, 800, ...
with timer.phase("sweeps"):
    for w_value in config.guidance:
        guidance[f"{w_value:g}"], _, _ = sweep_row(config.sampler, w_value, config.sweep_per_digit)
    for sampler_name in config.samplers:
        ddpm = sampler_name.startswith("ddpm")
        k = config.ddpm_per_digit if ddpm else config.sweep_per_digit
        sampling[sampler_name], counts[sampler_name], kept = sweep_row(
            sampler_name, config.w, k, snapshots=snapshot_times if ddpm else ())
        if ddpm:
            reverse = kept
            # the grid's own samples (config.sampler) from the DDPM row's starting noise: a paired comparison
            same_start = label_agreement(judge, *subset_per_digit(images, labels, k)) if k <= config.per_digit else None
print(f"guidance sweep: {config.sweep_per_digit * 10} samples per w with {config.sampler}")
display(pd.DataFrame(guidance).T.rename_axis("w").style.format({"accuracy": "{:.1%}"}, precision=2))
print(f"sampler sweep, w = {config.w:g}")
sampler_table = pd.DataFrame(sampling).T.rename_axis("sampler")
sampler_table["samples"] = pd.Series(counts)
display(sampler_table.style.format({"accuracy": "{:.1%}", "samples": "{:.0f}"}, precision=2))

# %% [markdown]
# ## The reverse process
#
# The first "0" of the DDPM row of the sampler sweep (all T = 1000 steps; 100 in the smoke profile), from pure noise
# (t = T) to the sample (t = 0).

# %%
fig = reverse_figure({t: for_judge(x[None], judge)[0] for t, x in reverse.items()},
                     f"the first \"0\" of the DDPM run (w = {config.w:g}), t = {config.T} (noise) to 0 (sample)")
save_figure(fig, out_dir, "reverse_process")

# %%
fig = sweep_figure(guidance, sampling, counts)
save_figure(fig, out_dir, "sweeps")

# %% [markdown]
# ## Observations

# %%
display(Markdown(conditional_observations(digits, guidance, sampling, counts, sampler=config.sampler, w=config.w,
                                          judge_accuracy=judge.accuracy, real_digits=real_digits,
                                          same_start=same_start if config.sampler == "ddim-50" else None)))

# %%
metrics_path = write_metrics(
    out_dir, notebook="conditional_diffusion", profile=profile, data=data, device=device,
    params={"seed": seed, **as_dict(config)},
    results={"per_digit": digits, "guidance": guidance, "sampling": sampling}, timings=timer.as_dict(),
    extra={"predict": predict, "samples_per_row": counts, "judge_accuracy": judge.accuracy,
           "judge_per_digit": real_digits, "training_s": round(trained.seconds, 1)})
print(f"wrote {metrics_path}")

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
# # Semantic segmentation: FCN32s vs DeepLabV3
#
# *DLCV HW1 P3.* Every pixel of an image gets a class. Model A is **FCN32s** (Long et al., 2015): VGG16's
# convolutional features, its fully connected layers as convolutions, and the class scores upsampled 32x
# (bilinear, fixed as in the paper). Model B is **DeepLabV3** (Chen et al., 2017) from `torchvision.models.segmentation`: a dilated
# ResNet that keeps a finer feature map, atrous spatial pyramid pooling, and an auxiliary classifier on the
# third stage during training. Both are scored by mIoU, the mean over classes of TP / (TP + FP + FN).

# %% tags=["parameters"]
profile = "auto"   # smoke | cpu-lite | cpu | gpu | auto (the machine's: README, Profiles; $DLCV_PROFILE wins)
data = "embedded"  # or the course's satellite folder: <data>/{train,validation}/NNNN_sat.jpg + NNNN_mask.png
seed = 0
out_dir = "../reports/segmentation"
epochs = None      # None keeps the profile's value
batch_size = None
lr = None
backbone = None    # "narrow" (the cpu profile's) or "reference" (VGG16 and ResNet50, the gpu profile's)
pretrained = None  # reference backbones: "auto" (ImageNet files if in the torch cache, else scratch) | "imagenet" | "none" | a folder

# %%
from helpers.core.runtime import PhaseTimer

timer = PhaseTimer()  # the notebook's own time, imports included (timings.total_s in metrics.json)

from dataclasses import replace

import pandas as pd
from IPython.display import Markdown, display

from helpers.core.config import as_dict, budget, prepare_run
from helpers.deliverables.example import predict_entry, predict_markdown
from helpers.segmentation.deliverable import better_result
from helpers.core.plots import loss_curves, save_figure
from helpers.report.metrics import write_metrics
from helpers.report.tables import hyperparameters
from helpers.segmentation.analysis import (confusion_figure, examples_figure, miou_curves, miou_frame, miou_results,
                                           observations, predictions_figure)
from helpers.segmentation.config import MODELS, SegmentationConfig
from helpers.segmentation.data import load_segmentation, validation_folder, windows_note
from helpers.segmentation.networks import build_model, weights_note
from helpers.segmentation.experiment import train_segmenter, validation_masks

overrides = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "backbone": backbone, "pretrained": pretrained}
profile, config, device = prepare_run(SegmentationConfig, profile, overrides, seed)
imagenet_weights = weights_note(config)  # a missing file or folder asked for stops here, naming it

# %% [markdown]
# ## Data
#
# On the embedded data (`digit-scenes`), each canvas is a crop of a photo with two to four handwritten
# digits blended in the MNIST-M way (as the `digits-m` domain); a pixel's class is the digit whose stroke
# covers it, else background. Training and validation canvases use disjoint handwritten digits. On the
# course data the classes are the 7 land-cover colours, and `unknown` is left out of mIoU as the course does.

# %%
with timer.phase("data"):
    dataset = load_segmentation(data, config, seed)
display(pd.DataFrame({"images": [len(dataset.train), len(dataset.validation)],
                      "size": [tuple(dataset.train.images.shape[-2:])] * 2}, index=["train", "validation"]))
print(f"classes: {', '.join(dataset.classes)}; left out of mIoU: {', '.join(dataset.exclude) or 'none'}")
fig = examples_figure(dataset)
save_figure(fig, out_dir, "examples")

# %% [markdown]
# The hyperparameters: each training's budget is a number of steps (batches), the epochs follow from the data's size.
# Where the images are larger than `crop_size`, a step trains on a random window of that size of each (a step costs
# the same on larger images; the `training_windows` row); validation sees whole images.

# %%
training_windows = windows_note(dataset.train.images, config.crop_size)  # what a training step sees of each image
hyperparameters(config, budget(config, "steps", len(dataset.train)), profile=profile, device=str(device), data=data,
                seed=seed, imagenet_weights=imagenet_weights, training_windows=training_windows)

# %% [markdown]
# ## Models
#
# Printed as built for this profile (the hyperparameter table says which backbones: `narrow` keeps VGG16's and
# ResNet50's layouts with fewer channels, `reference` is torchvision's VGG16 and ResNet50).

# %%
for name in MODELS:  # built without ImageNet weights: the printout is the same, and reading them is for training
    model = build_model(name, len(dataset.classes), replace(config, pretrained="none"))
    print(f"=== {name}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters ===")
    print(model)

# %% [markdown]
# ## Training
#
# Per-pixel cross-entropy (DeepLabV3 adds its auxiliary classifier's loss, weighted `aux_weight`), Adam with a
# cosine learning-rate schedule. After every epoch both models are measured on the validation split, and the
# predictions for three fixed validation images are kept at the first, middle and last epoch. Checkpoints go
# to `out_dir/checkpoints/`; a second run with the same parameters resumes or reuses them.

# %%
watch = [0, len(dataset.validation) // 3, 2 * len(dataset.validation) // 3]
with timer.phase("training"):
    results = [train_segmenter(name, dataset, config, watch=watch, seed=seed, device=device, data_name=data,
                               checkpoint_dir=f"{out_dir}/checkpoints") for name in MODELS]
table = miou_results(results)

# %% [markdown]
# ## Results: validation mIoU

# %%
miou_frame(table).style.format("{:.3f}", na_rep="n/a")

# %% [markdown]
# The model with the higher validation mIoU is the deliverable: its checkpoint carries what
# `python -m helpers.predict` needs to rebuild it and to prepare images as above, and the command writes one
# RGB mask per `NNNN_sat.jpg`, graded by `python -m helpers.evaluate` with the same mIoU as this table.

# %%
best = better_result(results)
deliverable = predict_entry("segmentation", best.checkpoint, input=validation_folder(data), output="pred_masks",
                            truth=validation_folder(data))  # the folder loaded (the course's path for embedded data)
print(f"deliverable: {best.name} (validation mIoU {best.miou['mean']:.3f})")
display(Markdown(predict_markdown(deliverable)))

# %% [markdown]
# ## Predictions over epochs
#
# Three fixed validation images, the ground truth, and each model's prediction at its first, middle and last
# epoch, overlaid on the image.

# %%
fig = predictions_figure(dataset, results, watch)
save_figure(fig, out_dir, "predictions")

# %%
fig = loss_curves({r.name: r.history for r in results}, keys=["train loss", "val loss"])
save_figure(fig, out_dir, "loss_curves")
fig = miou_curves(results)
save_figure(fig, out_dir, "miou_curves")
fig = confusion_figure(results, dataset.classes)
save_figure(fig, out_dir, "confusion")

# %% [markdown]
# ## Predicted masks
#
# The deliverable model's predictions for the whole validation split, in the course's RGB mask format, for an
# evaluation script: `out_dir/masks/NNNN_mask.png`, each at its image's own size (as `helpers.predict` writes them),
# replacing the masks of an earlier run.

# %%
with timer.phase("masks"):
    folder = validation_masks(best.model, dataset, data, f"{out_dir}/masks", device)
print(f"wrote {len(dataset.validation)} masks of {best.name} to {folder}")

# %% [markdown]
# ## Observations

# %%
strides = {"fcn32s": 32, "deeplabv3": config.output_stride}
display(Markdown(observations(table, results, image_size=dataset.validation.images.shape[-1], output_strides=strides)))

# %%
metrics_path = write_metrics(
    out_dir, notebook="segmentation", profile=profile, data=data, device=device,
    params={"seed": seed, **as_dict(config), "training_windows": training_windows}, results={"miou": table},
    timings=timer.as_dict(),
    extra={"predict": deliverable})
print(f"wrote {metrics_path}")

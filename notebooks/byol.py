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
# # Self-supervised pretraining with BYOL: settings A-E
#
# *DLCV HW1 P2.* Does a backbone pretrained without labels help when labels are few? A ResNet18-style network is pretrained
# with **BYOL** (Grill et al., 2020) on unlabeled images, another one with labels on a different labelled set,
# and each is fine-tuned on a small labelled set, either entirely (full fine-tuning) or with the backbone
# frozen (only a linear classifier learns):
#
# | setting | backbone initialisation | fine-tuning |
# | --- | --- | --- |
# | A | none (random) | full |
# | B | supervised pretraining | full |
# | C | BYOL pretraining | full |
# | D | supervised pretraining | frozen backbone |
# | E | BYOL pretraining | frozen backbone |

# %% tags=["parameters"]
profile = "auto"   # smoke | cpu-lite | cpu | gpu | auto (the machine's: README, Profiles; $DLCV_PROFILE wins)
data = "embedded"  # or the course's p2_data folder: <data>/mini/train/*.jpg, <data>/office/{train,val}/ + CSVs
seed = 0
out_dir = "../reports/byol"
pretrain_epochs = None  # None keeps the profile's value
supervised_epochs = None  # the supervised backbone of settings B and D
finetune_epochs = None
label_fraction = None   # share of the fine-tuning set's labels used (the course uses all: 1.0)
settings = None         # e.g. ["A", "C", "E"] (needed when the course data has no mini/train.csv)

# %%
from helpers.core.runtime import PhaseTimer

timer = PhaseTimer()  # the notebook's own time, imports included (timings.total_s in metrics.json)

import math

import pandas as pd
from IPython.display import Markdown, display

from helpers.core.config import as_dict, budget, prepare_run
from helpers.deliverables.example import predict_entry, predict_markdown
from helpers.representation.deliverable import best_model
from helpers.core.evaluation import apply
from helpers.core.plots import embedding_grid, image_grid, save_figure
from helpers.report.metrics import write_metrics
from helpers.report.tables import hyperparameters
from helpers.representation.analysis import curves, embed, embedding_panels, pretraining_figure, settings_figure
from helpers.representation.augment import augment_batch, byol_augmentation
from helpers.representation.byol import BYOL, embedding_std
from helpers.representation.config import PHOTO_RECIPE, ByolConfig
from helpers.representation.experiment import SETTINGS, finetune, pretrain_byol, pretrain_supervised
from helpers.representation.networks import feature_width, random_backbone
from helpers.representation.data import load_byol_data, office_validation_csv

overrides = {"pretrain_epochs": pretrain_epochs, "supervised_epochs": supervised_epochs,
             "finetune_epochs": finetune_epochs, "label_fraction": label_fraction,
             "settings": tuple(settings) if settings else None,
             **(PHOTO_RECIPE if data != "embedded" else {})}  # the defaults are for digits; photos get the paper's recipe
profile, config, device = prepare_run(ByolConfig, profile, overrides, seed)

# %% [markdown]
# ## Data
#
# On the embedded data: BYOL pretrains on the training images of all four embedded domains, labels dropped
# (the Mini-ImageNet stand-in); the supervised backbone learns from the labelled `digits` (MNIST stand-in);
# fine-tuning uses a small share of the labels of `digits-s` (SVHN stand-in, the Office-Home stand-in) and
# every setting is measured on `digits-s`'s validation split.

# %%
with timer.phase("data"):
    byol_data = load_byol_data(config, data, seed)
rows = [("pretraining (unlabeled)", byol_data.unlabeled), ("supervised backbone", byol_data.supervised),
        ("fine-tuning (labelled)", byol_data.labelled), ("validation", byol_data.val)]
display(pd.DataFrame([{"set": name, "images": len(s) if s is not None else 0,
                       "source": byol_data.sources[name.split(" (")[0] if name != "pretraining (unlabeled)" else name]}
                      for name, s in rows]).set_index("set"))

# %% [markdown]
# The hyperparameters: each training's budget is a number of steps (batches), the epochs follow from the data's size.

# %%
budgets = [budget(config, "pretrain_steps", len(byol_data.unlabeled)),
           budget(config, "finetune_steps", len(byol_data.labelled))]
if byol_data.supervised is not None:
    budgets.append(budget(config, "supervised_steps", len(byol_data.supervised)))
hyperparameters(config, *budgets, profile=profile, device=str(device), data=data, seed=seed)

# %% [markdown]
# ## Augmentation
#
# BYOL learns by predicting one random view of an image from another. The views come from a kornia augmentation
# pipeline applied to whole batches on the training device, its crop, colours and blur drawn anew for every image
# of every batch. What the views share is what BYOL learns: on the embedded digits every view is gray
# (`grayscale` = 1) and keeps at least 70% of the image (`crop_scale`): with the paper's colour views and crops down
# to 30% a logistic regression on the frozen features of `digits-s` read no more than on a random backbone's. A
# digit's class never depends on its colour, and a small crop can cut the digit off. On the course's photos the
# notebook uses the paper's grayscale probability, 0.2, and crops down to 30%.

# %%
transform = byol_augmentation(config.image_size, crop_scale=config.crop_scale, hflip=config.hflip,
                              grayscale=config.grayscale)
print(transform)
originals = byol_data.unlabeled.images[:12]
fig = image_grid({"image": originals, "view 1": augment_batch(originals, transform),
                  "view 2": augment_batch(originals, transform)})
save_figure(fig, out_dir, "views")

# %% [markdown]
# ## Model
#
# The backbone is ResNet18's layout (torchvision's residual blocks, four stages of two) with a stride-1 stem for
# small images and, in the cpu profile, no max-pool after it (`stem = "cifar"`, as CIFAR ResNets), so its first stage
# sees the whole 16x16 image rather than 8x8 and the last 2x2 rather than 1x1: on frozen random features a logistic
# regression on the 69 labels of `digits-s` reads 27% against 21% with the max-pool. `width` channels in its first
# stage (64 is torchvision's ResNet18; the cpu profile's 16 keeps the cost per epoch of the max-pool stem at width
# 32, so BYOL still gets 24 epochs in the cpu profile's budget). On the digits the images are first made gray (the
# colour of a street-number digit and of its background says nothing about the digit, and BYOL's views are gray too: with colour
# input the same random features read 12% against 21% gray), then get a per-image contrast normalisation and a
# polarity normalisation (an image whose border is brighter than its mean is negated, so every digit is light on a
# dark background as in `digits`; a street-number digit is dark on light half of the time). On photos only the
# contrast normalisation is applied. The backbone's `8 x width`-d output is the representation. BYOL adds a
# projector and a predictor (Linear - BatchNorm - ReLU - Linear); the target network is a copy of the backbone
# and projector that gets no gradients and follows the online one as an exponential moving average, its decay
# rising from `tau` to 1 over training. The loss is 2 - 2 cos(prediction, target projection), summed over both
# orders of the two views.

# %%
print(BYOL(random_backbone(config, seed), feature_width(config.width), config.hidden, config.projection))

# %% [markdown]
# ## BYOL pretraining

# %%
with timer.phase("BYOL pretraining"):
    byol, byol_history = pretrain_byol(byol_data, config, seed=seed, device=device, out_dir=out_dir, data_name=data)
uniform = 1 / math.sqrt(config.projection)  # the collapse check's reference: projections spread evenly on the sphere
save_figure(pretraining_figure(byol_history, uniform), out_dir, "pretraining_curves")

# %%
with timer.phase("collapse check"):
    projections = apply(byol.online.eval(), byol_data.val, device)
    collapse_std = embedding_std(projections)
losses = byol_history["byol loss"]
collapse = {"embedding": {"std": round(collapse_std, 5), "uniform_reference": round(uniform, 5)}}
pd.DataFrame({"per-dimension std of the normalised projections": [collapse_std], "1/sqrt(dim) (spread evenly)": [uniform],
              "first epoch's loss": [losses[0]], "last epoch's loss": [losses[-1]]}, index=["BYOL"]).style.format(precision=3)

# %% [markdown]
# ## Supervised pretraining
#
# The backbone of settings B and D: the same network trained with labels (a linear classifier on top).

# %%
backbones = {"none": random_backbone(config, seed, device), "byol": byol.backbone}
supervised = None
if {"B", "D"} & set(config.settings):  # load_byol_data has checked that their labelled set exists
    with timer.phase("supervised pretraining"):
        supervised = pretrain_supervised(byol_data, config, seed=seed, device=device, out_dir=out_dir, data_name=data)
    backbones["supervised"] = supervised.model.backbone
    print(f"supervised backbone: {supervised.accuracy:.1%} accuracy on {byol_data.sources['validation'] if data != 'embedded' else 'digits/test'}")

# %% [markdown]
# ## Fine-tuning: settings A-E
#
# Full fine-tuning (A-C) trains backbone and classifier at `finetune_lr`; with the backbone frozen (D, E) the linear
# classifier alone trains at the larger `frozen_lr` (linear evaluation).

# %%
with timer.phase("fine-tuning"):
    results = {s: finetune(s, backbones, byol_data, config, seed=seed, device=device, out_dir=out_dir, data_name=data)
               for s in config.settings}
accuracy = {s: {"validation": round(r.accuracy, 4)} for s, r in results.items()}
fig = settings_figure({s: r.accuracy for s, r in results.items()}, {s: SETTINGS[s][1] for s in results},
                      n=len(byol_data.val), chance=1 / len(byol_data.classes))
save_figure(fig, out_dir, "settings")
pd.DataFrame([{"setting": s, "backbone initialisation": SETTINGS[s][0], "fine-tuning": "frozen backbone" if SETTINGS[s][1] else "full",
               "validation accuracy": r.accuracy} for s, r in results.items()]).set_index("setting").style.format(
    {"validation accuracy": "{:.1%}"})

# %%
chosen = best_model({s: r.accuracy for s, r in results.items()})  # a tie goes to the first in A-E order
validation_csv = office_validation_csv(data)  # the CSV loaded (the course's path for embedded data)
deliverable_entry = predict_entry("byol", results[chosen].checkpoint, input=validation_csv, output="pred.csv",
                                  truth=validation_csv)
display(Markdown(f"The deliverable is **setting {chosen}**, the best validation accuracy of the table (so that number "
                 f"is an optimistic estimate for new images). Its prediction CSV keeps the input CSV's `id,filename` "
                 f"rows and order and adds the predicted `label` as the training CSV names the class; the images are "
                 f"read from the folder named as the CSV beside it (`office/val.csv`: `office/val/`).\n\n"
                 + predict_markdown(deliverable_entry)))

# %%
fig = curves({f"setting {s}": r.history for s, r in results.items()}, keys=["loss", "train accuracy"],
             ylabel="train accuracy", ylim=(0, 1))  # a panel per measure, a line per setting
save_figure(fig, out_dir, "finetuning_curves")

# %% [markdown]
# ## t-SNE of the backbone's features, before and after BYOL
#
# The features of the validation images from the randomly initialised backbone and from the BYOL backbone,
# coloured by class (which BYOL never saw). Under each panel: the 5-NN accuracy of the classes in the 2-D embedding.

# %%
labels = byol_data.val.labels.numpy()
with timer.phase("t-SNE"):
    before = embed("random initialisation", apply(backbones["none"].eval(), byol_data.val, device).numpy(), labels,
                   points=config.tsne_points, seed=seed)
    after = embed("after BYOL", apply(byol.backbone.eval(), byol_data.val, device).numpy(), labels,
                  points=config.tsne_points, seed=seed)
fig = embedding_grid(embedding_panels([before, after], byol_data.classes, with_pca=False), ncols=2)
save_figure(fig, out_dir, "tsne_before_after")

# %% [markdown]
# ## Observations

# %%
chance = 1 / len(byol_data.classes)
acc = {s: r.accuracy for s, r in results.items()}
# one standard error of an accuracy measured on this many validation images (binomial)
error = math.sqrt(max(acc.values()) * (1 - max(acc.values())) / len(byol_data.val))
lines = [f"- The BYOL loss went from {losses[0]:.3f} (first epoch) to {losses[-1]:.3f} (last epoch, "
         f"{'lower' if losses[-1] < losses[0] else 'not lower'}); the normalised projections keep a per-dimension "
         f"std of {collapse_std:.4f} against {uniform:.4f} for points spread evenly over the sphere and 0 for a collapse.",
         f"- t-SNE of the validation features: 2-D 5-NN accuracy {before.knn:.1%} from the random backbone, "
         f"{after.knn:.1%} after BYOL."]
if "A" in acc and "C" in acc:
    gain = acc["C"] - acc["A"]
    verdict = ("helps" if gain > 2 * error else "does not help" if gain < -2 * error else
               "makes no difference beyond the noise")
    lines.append(f"- Full fine-tuning with {len(byol_data.labelled)} labelled images: from scratch (A) {acc['A']:.1%}, "
                 f"from BYOL (C) {acc['C']:.1%}: BYOL pretraining {verdict} ({gain * 100:+.1f} points; one standard "
                 f"error of these accuracies, {len(byol_data.val)} validation images, is about {error * 100:.1f} points).")
if "E" in acc:
    above = acc["E"] - chance
    lines.append(f"- With the BYOL backbone frozen (E) a linear classifier reaches {acc['E']:.1%}, chance being {chance:.1%}: "
                 + ("well above chance." if above > 3 * error else "above chance." if above > 2 * error else
                    "no better than chance; the BYOL features alone do not tell the classes apart."))
if "B" in acc and "D" in acc:
    lines.append(f"- The supervised backbone gives {acc['B']:.1%} fine-tuned (B) and {acc['D']:.1%} frozen (D).")
display(Markdown("\n".join(lines)))

# %%
metrics_path = write_metrics(
    out_dir, notebook="byol", profile=profile, data=data, device=device,
    params={"seed": seed, **as_dict(config)}, results={"accuracy": accuracy, "collapse": collapse},
    timings=timer.as_dict(), extra={"history": {"byol loss": losses, "embedding std": byol_history.get("embedding std", [])},
                                    "predict": deliverable_entry})
print(f"wrote {metrics_path}")

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
# # Image classification: a CNN from scratch vs ResNet18, and how the features form
#
# *DLCV HW1 P1.* Two classifiers of the same images: **model A**, a small CNN trained from scratch, and
# **model B**, torchvision's ResNet18 adapted to small images (initialised from ImageNet weights when the
# weights file is available, else from scratch; the table says which). Both train with Adam and a LambdaLR
# schedule: linear warm-up, then linear decay. Model A's penultimate features of the validation images are
# saved during training at the first, a middle and the last epoch and embedded with PCA and t-SNE: do the
# classes separate as training goes on?

# %% tags=["parameters"]
profile = "auto"   # smoke | cpu-lite | cpu | gpu | auto (the machine's: README, Profiles; $DLCV_PROFILE wins)
data = "embedded"  # or the course's p1_data folder: <data>/train_50/<label>_<idx>.png, <data>/val_50/...
seed = 0
out_dir = "../reports/classification"
epochs_a = None    # None keeps the profile's value
epochs_b = None
batch_size = None
pretrained = None  # model B: "auto" (ImageNet file if in the torch cache, else scratch) | "imagenet" | "none" | a file or its folder

# %%
from helpers.core.runtime import PhaseTimer

timer = PhaseTimer()  # the notebook's own time, imports included (timings.total_s in metrics.json)

import math

import pandas as pd
from IPython.display import Markdown, display

from helpers.core.config import as_dict, budget, prepare_run
from helpers.deliverables.example import predict_entry, predict_markdown
from helpers.representation.deliverable import best_model
from helpers.core.plots import embedding_grid, image_grid, save_figure
from helpers.report.metrics import write_metrics
from helpers.report.tables import hyperparameters
from helpers.representation.analysis import curves, embed, embedding_panels, learning_rates
from helpers.representation.networks import build_model_a, build_model_b
from helpers.representation.data import classification_validation, load_classification_data, n_classes
from helpers.representation.experiment import train_model_a, train_model_b
from helpers.representation.config import ClassificationConfig
from helpers.representation.pretrained import resolve_pretrained
from helpers.representation.schedule import warmup_linear_factor

overrides = {"epochs_a": epochs_a, "epochs_b": epochs_b, "batch_size": batch_size, "pretrained": pretrained}
profile, config, device = prepare_run(ClassificationConfig, profile, overrides, seed)
init = resolve_pretrained(config.pretrained)  # a missing file asked for stops here, naming it

# %% [markdown]
# ## Data
#
# On the embedded data: `digits-m`, the MNIST-M stand-in (scikit-learn's handwritten digits blended with photo
# crops), all 1,797 base digits, split by base digit into training and validation images. With `data=<folder>`:
# the course's class folders, each file named `<label>_<idx>.png`.

# %%
with timer.phase("data"):
    domain = load_classification_data(config, data, seed)
classes = [str(c) for c in range(n_classes(domain))]
display(pd.DataFrame([{"data": domain.name, "training images": len(domain.train), "validation images": len(domain.test),
                       "classes": len(classes), "image size": f"{domain.train.channels}x{config.image_size}x{config.image_size}"}]
                     ).set_index("data"))
fig = image_grid({f"class {c}": domain.train.images[domain.train.labels == c][:16] for c in range(min(len(classes), 4))})
save_figure(fig, out_dir, "samples")

# %% [markdown]
# The hyperparameters: each training's budget is a number of steps (batches), the epochs follow from the data's size.

# %%
budget_a, budget_b = budget(config, "steps_a", len(domain.train)), budget(config, "steps_b", len(domain.train))
hyperparameters(config, budget_a, budget_b, profile=profile, device=str(device), data=data, seed=seed,
                model_b_initialisation=init.description)

# %% [markdown]
# ## Models
#
# **Model A**: convolution blocks (5x5 convolution, batch normalisation, ReLU, 2x2 max-pool) and a classifier
# with two hidden layers; the last hidden layer is the feature that the PCA and t-SNE below embed.

# %%
print(build_model_a(config, domain))

# %% [markdown]
# **Model B**: torchvision's ResNet18. ImageNet's stem (7x7 convolution with stride 2, then a max-pool) would
# shrink a 28-32 px image to 7-8 px before the first residual block, so the stem convolution strides 1 (it keeps
# its 7x7 size and, with ImageNet weights, its filters); `stem="cifar"` also drops the max-pool. The last layer
# becomes a linear layer to this data's classes.

# %%
print(build_model_b(config, domain, init))

# %% [markdown]
# ## Learning-rate schedule
#
# A `LambdaLR` stepped once per epoch: the rate rises linearly over the first `warmup_epochs`, then falls
# linearly, so that it would reach zero at the end of training (the last epoch trains at 1 / (epochs -
# warmup_epochs) of the peak). The figure shows the rate each epoch trains at; where the step budget ends the
# last epoch early (a large data set), its stair ends there.

# %%
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

fig, ax = plt.subplots(figsize=(5, 2.6))
for name, length, lr in (("model A", budget_a, config.lr_a), ("model B", budget_b, config.lr_b)):
    epochs, warmup = length.epochs, min(config.warmup_epochs, length.epochs - 1)
    rates = learning_rates(lambda e: warmup_linear_factor(e, warmup, epochs), epochs, lr)
    edges = [*range(epochs), length.total_steps / length.batches]  # the last epoch's stair ends where it stopped
    ax.stairs(rates, edges, baseline=None, linewidth=1.5, label=name)
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax.set_ylim(bottom=0)
ax.set_xlabel("epochs trained")
ax.set_ylabel("learning rate")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
save_figure(fig, out_dir, "learning_rate")

# %% [markdown]
# ## Training
#
# Checkpoints are saved at epoch ends at least 50 steps apart (and at the last) under `out_dir/checkpoints/` (with
# model A's feature snapshots); running the notebook again with the same parameters resumes or reuses them.

# %%
with timer.phase("model A"):
    a = train_model_a(config, domain, data=data, seed=seed, device=device, out_dir=out_dir)
with timer.phase("model B"):
    b = train_model_b(config, domain, init, data=data, seed=seed, device=device, out_dir=out_dir)

# %% [markdown]
# ## Results: validation accuracy

# %%
accuracy = {"model-a": {"validation": round(a.accuracy, 4)}, "model-b": {"validation": round(b.accuracy, 4)}}
table = pd.DataFrame([
    {"model": "model-a", "architecture": "CNN from scratch", "initialisation": "random",
     "epochs": budget_a.epochs, "steps": budget_a.total_steps, "validation accuracy": a.accuracy},
    {"model": "model-b", "architecture": "ResNet18 (small-image stem)", "initialisation": init.short,
     "epochs": budget_b.epochs, "steps": budget_b.total_steps, "validation accuracy": b.accuracy},
]).set_index("model")
table.style.format({"validation accuracy": "{:.1%}"})

# %%
trained = {"model-a": a, "model-b": b}
chosen = best_model({name: t.accuracy for name, t in trained.items()})  # a tie goes to model A
validation_folder = classification_validation(data)  # the folder loaded (the course's path for embedded data)
deliverable_entry = predict_entry("classification", trained[chosen].checkpoint, input=validation_folder,
                                  output="pred.csv", truth=validation_folder)
display(Markdown(f"The deliverable is **{chosen}**, the model with the better validation accuracy; its prediction "
                 f"CSV has one row `filename,label` per image of the input folder.\n\n" + predict_markdown(deliverable_entry)))

# %%
fig = curves({"model A": a.history, "model B": b.history}, ["loss", "train accuracy", "validation accuracy"],
             ylabel="accuracy", ylim=(0, 1))
save_figure(fig, out_dir, "training_curves")

# %% [markdown]
# ## Model A's features over training: PCA and t-SNE
#
# The penultimate features of the same validation images, saved at the first, a middle and the last epoch,
# coloured by class. Under each t-SNE panel: the cross-validated 5-nearest-neighbour accuracy of the classes
# in the 2-D embedding (how well the picture separates them).

# %%
labels = domain.test.labels.numpy()
with timer.phase("PCA and t-SNE"):
    embeddings = {label: embed(f"{label} epoch ({epoch + 1})", features, labels, points=config.tsne_points, seed=seed)
                  for label, (epoch, features) in a.snapshots.items()}
fig = embedding_grid(embedding_panels(list(embeddings.values()), classes), ncols=len(embeddings))
save_figure(fig, out_dir, "features_over_epochs")
tsne_knn = {label: {"accuracy": None if math.isnan(e.knn) else round(e.knn, 4)} for label, e in embeddings.items()}

# %% [markdown]
# ## Observations

# %%
first, middle, last = (embeddings[k] for k in ("first", "middle", "last"))
better = {"model-a": "model A", "model-b": "model B"}[chosen]
trend = ("separate the classes more as training goes on" if last.knn > first.knn + 0.01 else
         "separate the classes no better at the end than after the first epoch")
scratch_note = "" if init.weights else (" Without ImageNet weights this compares two networks trained from scratch, "
                                        "not scratch against pretrained (the hyperparameter table says why).")
display(Markdown(f'''
- Model A (from scratch) reaches **{a.accuracy:.1%}** validation accuracy after {budget_a.total_steps} steps
  ({budget_a.epochs} epochs); model B (ResNet18, {init.short} initialisation) reaches **{b.accuracy:.1%}** after
  {budget_b.total_steps} steps ({budget_b.epochs} epochs): {better} is ahead by
  {abs(a.accuracy - b.accuracy) * 100:.1f} points on this data and budget.{scratch_note}
- Model A's features {trend}: the 5-NN accuracy of the 2-D t-SNE embedding is {first.knn:.1%} at the
  {first.title}, {middle.knn:.1%} at the {middle.title} and {last.knn:.1%} at the {last.title}.
- In the 2-D PCA projection (linear) the same 5-NN accuracy is {first.pca_knn:.1%}, {middle.pca_knn:.1%} and
  {last.pca_knn:.1%}: t-SNE, which keeps neighbourhoods, shows the classes {"more" if last.knn > last.pca_knn else "no more"}
  apart than the best linear view.
'''))

# %%
metrics_path = write_metrics(
    out_dir, notebook="classification", profile=profile, data=data, device=device,
    params={"seed": seed, **as_dict(config), "model_b_initialisation": init.description},
    results={"accuracy": accuracy, "tsne_knn": tsne_knn}, timings=timer.as_dict(),
    extra={"predict": deliverable_entry})
print(f"wrote {metrics_path}")

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
# # Domain adaptation with DANN
#
# *DLCV HW2 P3 and HW3 P3.* A digit classifier trained on one domain (the **source**, labelled) is
# used on another (the **target**, whose labels it never sees). How much of the accuracy lost by training
# on the source alone does **DANN** (Ganin & Lempitsky, 2015) win back? Each pair is trained three
# ways: on the source only (the lower bound), with DANN, and on the target's own labels (the upper bound).
# Every number is the accuracy on the target domain's test split.

# %% tags=["parameters"]
profile = "auto"   # smoke | cpu-lite | cpu | gpu | auto (the machine's: README, Profiles; $DLCV_PROFILE wins)
data = "embedded"  # or the course's digits folder: <data>/{mnistm,svhn,usps}/data/*.png + train.csv, val.csv
seed = 0
out_dir = "../reports/dann"
epochs = None      # None keeps the profile's value
batch_size = None
lr = None
pairs = None       # e.g. ["digits-m->digits-s"]; None: the profile's three pairs

# %%
from helpers.core.runtime import PhaseTimer

timer = PhaseTimer()  # the notebook's own time, imports included (timings.total_s in metrics.json)

import pandas as pd
from IPython.display import Markdown, display

from helpers.adaptation.analysis import accuracy_curves, accuracy_table, domains_figure, observations, tsne_panels
from helpers.adaptation.config import DannConfig
from helpers.adaptation.dann import build_dann
from helpers.adaptation.experiment import run_budgets, run_method
from helpers.adaptation.pairs import domain_table, load_pairs
from helpers.core.config import as_dict, prepare_run
from helpers.adaptation.deliverable import pairs_entry, pairs_markdown
from helpers.core.plots import embedding_grid, loss_curves, save_figure
from helpers.report.metrics import write_metrics
from helpers.report.tables import hyperparameters

overrides = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "pairs": tuple(pairs) if pairs else None}
profile, config, device = prepare_run(DannConfig, profile, overrides, seed)

# %% [markdown]
# ## Data
#
# The embedded domains stand in for the course's (docs/design.md, 'Embedded data'): `digits-m` for MNIST-M (the
# digit blended with photo crops), `digits-s` for SVHN (coloured street-number style, neighbouring digits at the edges),
# `digits-u` for USPS (16x16, larger digits). They are rendered from disjoint subsets of scikit-learn's
# handwritten digits, so no handwritten sample appears in two domains. A pair with a gray domain (`digits-u`, USPS)
# trains in gray: the colour domain's images are averaged to one channel (`pair_channels` "fewer"), since the
# target has no colour for the source's to transfer to; "more" repeats the gray images to RGB instead.

# %%
with timer.phase("data"):
    domains, pairs_by_name = load_pairs(config, data, seed)
pair_names = list(pairs_by_name)
display(domain_table(domains))
print("channels per pair:", ", ".join(f"{name} {pair.channels}" for name, pair in pairs_by_name.items()))
fig = domains_figure(domains)
save_figure(fig, out_dir, "domains")

# %% [markdown]
# The hyperparameters: each training's budget is a number of steps (batches), the epochs follow from the data's size.

# %%
hyperparameters(config, *run_budgets(config, pairs_by_name.values()), profile=profile, device=str(device),
                data=data, seed=seed)

# %% [markdown]
# ## Models
#
# The DANN network: a feature extractor shared by the label predictor and, behind a gradient reversal
# layer, the domain classifier. The reversal's lambda rises from 0 to 1 with the paper's schedule
# 2 / (1 + exp(-10 p)) - 1 over the training progress p. Source-only and target-only train the same
# feature extractor and label predictor without the domain classifier.

# %%
print(build_dann(config, channels=3))  # a pair in gray: the first convolution takes 1 channel

# %% [markdown]
# ## Training
#
# Nine trainings (three per pair). Every training batch, source and target, is augmented (`augment`): each image
# rotated, zoomed and shifted at random and, with `affine+invert`, its polarity flipped at random, so that no method
# is judged on geometry and stroke polarity the source alone would teach. Each training saves a checkpoint at epoch
# ends at least 50 steps apart (and at the last) under `out_dir/checkpoints/`; running the notebook again with the
# same parameters resumes or reuses them.

# %%
results = []
with timer.phase("training"):
    for pair_name, pair in pairs_by_name.items():
        for method in ("source-only", "dann", "target-only"):
            results.append(run_method(method, pair, config, data=data, seed=seed, device=device,
                                      checkpoint_dir=f"{out_dir}/checkpoints"))
table = accuracy_table(results)

# %% [markdown]
# ## Results: target test accuracy

# %%
pd.DataFrame(table).loc[pair_names].T.rename_axis("trained on / method").style.format("{:.1%}")

# %% [markdown]
# The DANN model of each pair is the deliverable: `python -m helpers.predict dann` runs it on a folder of
# target-domain images and writes the course's CSV (`image_name,label`); `python -m helpers.evaluate dann`
# grades that CSV against the labels and gives the accuracy above.

# %%
deliverable = pairs_entry("dann", [r for r in results if r.method == "dann"], data)
display(Markdown(pairs_markdown(deliverable)))

# %%
fig = accuracy_curves(results, pair_names)
save_figure(fig, out_dir, "accuracy_curves")

# %%
fig = loss_curves({f"{r.method}, {r.pair}": r.history for r in results}, keys=["class", "domain"])
save_figure(fig, out_dir, "loss_curves")

# %% [markdown]
# ## t-SNE of the DANN features
#
# Source and target test images through the DANN feature extractor, embedded with t-SNE and drawn twice, one row per
# pair: coloured by digit class (are the classes apart?) and by domain (are the domains mixed?).

# %%
with timer.phase("t-SNE"):
    dann_results = {r.pair: r for r in results if r.method == "dann"}
    panels = [panel for name, pair in pairs_by_name.items()
              for panel in tsne_panels(dann_results[name], pair, points=config.tsne_points, seed=seed, device=device)]
fig = embedding_grid(panels, ncols=2)
save_figure(fig, out_dir, "tsne_dann")

# %% [markdown]
# ## Observations

# %%
test_sizes = {name: len(pair.target.test) for name, pair in pairs_by_name.items()}  # target test images
display(Markdown(observations(table, "dann", pair_names, test_sizes)))

# %%
metrics_path = write_metrics(
    out_dir, notebook="dann", profile=profile, data=data, device=device,
    params={"seed": seed, **as_dict(config)}, results={"accuracy": table}, timings=timer.as_dict(),
    extra={"predict": deliverable})
print(f"wrote {metrics_path}")

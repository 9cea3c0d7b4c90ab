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
# # Domain adaptation II: ADDA and DANN with entropy minimisation
#
# *DLCV HW3 P4 ("improved UDA").* The same three domain pairs, backbone and budget as the DANN notebook,
# with two further methods:
# **ADDA** (Tzeng et al., 2017) pre-trains a source encoder and classifier, then trains a separate target
# encoder against a domain discriminator with inverted labels while the source encoder stays frozen;
# **DANN + entropy minimisation** (`dann-em`) adds to DANN the mean entropy of the classifier's predictions
# on target images (Grandvalet & Bengio, 2005), which pushes target features away from the decision
# boundaries. Every number is the accuracy on the target domain's test split.

# %% tags=["parameters"]
profile = "auto"   # smoke | cpu-lite | cpu | gpu | auto (the machine's: README, Profiles; $DLCV_PROFILE wins)
data = "embedded"  # or the course's digits folder: <data>/{mnistm,svhn,usps}/data/*.png + train.csv, val.csv
seed = 0
out_dir = "../reports/adda"
dann_metrics = None  # DANN's row is read from here when its settings match; None: <out_dir>/../dann/metrics.json
epochs = None      # None keeps the profile's value
adapt_epochs = None
batch_size = None
pairs = None       # e.g. ["digits-m->digits-s"]; None: the profile's three pairs

# %%
from helpers.core.runtime import PhaseTimer

timer = PhaseTimer()  # the notebook's own time, imports included (timings.total_s in metrics.json)

from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from helpers.adaptation.adda import AddaDiscriminator
from helpers.adaptation.analysis import accuracy_curves, accuracy_table, domains_figure, observations, tsne_panels
from helpers.adaptation.common import feature_extractor
from helpers.adaptation.config import AddaConfig
from helpers.adaptation.experiment import earlier_dann_row, run_budgets, run_method
from helpers.adaptation.pairs import domain_table, load_pairs
from helpers.core.config import as_dict, prepare_run
from helpers.adaptation.deliverable import pairs_entry, pairs_markdown
from helpers.core.plots import embedding_grid, loss_curves, save_figure
from helpers.report.metrics import write_metrics
from helpers.report.tables import hyperparameters

overrides = {"epochs": epochs, "adapt_epochs": adapt_epochs, "batch_size": batch_size,
             "pairs": tuple(pairs) if pairs else None}
profile, config, device = prepare_run(AddaConfig, profile, overrides, seed)

# %% [markdown]
# ## Data

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
hyperparameters(config, *run_budgets(config, pairs_by_name.values(), adapt=True), profile=profile, device=str(device),
                data=data, seed=seed)

# %% [markdown]
# ## Models
#
# ADDA's encoders are the DANN notebook's feature extractor (the target encoder starts as a copy of the
# trained source encoder); its discriminator is the paper's: two hidden layers of 500 units.

# %%
encoder = feature_extractor(config, channels=3)  # a pair in gray (the dann notebook's Data): 1 channel
print("encoder (source and target):", encoder, sep="\n")
print("discriminator:", AddaDiscriminator(encoder.out_features, config.discriminator_hidden), sep="\n")

# %% [markdown]
# ## Training
#
# Per pair: source-only (which is also ADDA's pre-trained source model), ADDA's adaptation, DANN +
# entropy minimisation, and target-only. DANN's row is read from the DANN notebook's metrics.json when it
# was made with the same profile, data, seed and settings; otherwise DANN is trained here too. Source-only and
# target-only are the same trainings as the DANN notebook's: its checkpoints, where they exist, are copied in and
# not trained again.
#
# ADDA's target encoder learns at `adapt_lr` (Adam, 1e-5 by default, the hyperparameter table): over two trees and
# the embedded data it fell below source-only least often there. At that rate it moves little in its adaptation
# steps, and most of what ADDA gains over source-only comes from its batch-norm statistics, which follow the
# target batches while it adapts (with `adapt_lr` 0 they alone gave the same gain on the pair where ADDA gains
# most: docs/tuning.md, "What ADDA learns at `adapt_lr` 1e-5"). Read ADDA's row with that in mind.

# %%
dann_metrics = dann_metrics or str(Path(out_dir).parent / "dann" / "metrics.json")
dann_row = earlier_dann_row(dann_metrics, config, profile=profile, data=data, seed=seed, pairs=pair_names)
dann_source = f"read from {dann_metrics}" if dann_row else "trained here"
print(f"DANN row: {dann_source}")

dann_checkpoints = Path(dann_metrics).parent / "checkpoints"
results = []
with timer.phase("training"):
    for pair_name, pair in pairs_by_name.items():
        run = dict(data=data, seed=seed, device=device, checkpoint_dir=f"{out_dir}/checkpoints")
        source_only = run_method("source-only", pair, config, earlier_dir=dann_checkpoints, **run)
        results += [source_only, run_method("adda", pair, config, source_model=source_only.model, **run),
                    run_method("dann-em", pair, config, **run)]
        if dann_row is None:
            results.append(run_method("dann", pair, config, **run))
        results.append(run_method("target-only", pair, config, earlier_dir=dann_checkpoints, **run))
copied = [f"{r.method} {r.pair}" for r in results if r.copied_from is not None]
print(f"copied from {dann_checkpoints}: {', '.join(copied)}" if copied else "source-only and target-only: trained here")
table = accuracy_table(results)
if dann_row is not None:
    table["dann"] = dann_row

# %% [markdown]
# ## Results: target test accuracy

# %%
rows = ["source-only", "dann", "adda", "dann-em", "target-only"]
pd.DataFrame(table).loc[pair_names, rows].T.rename_axis("trained on / method").style.format("{:.1%}")

# %% [markdown]
# ADDA's adapted classifier of each pair (its target encoder followed by the source classifier) is the
# deliverable: `python -m helpers.predict adda` runs it on a folder of target-domain images and writes the
# course's CSV (`image_name,label`); `python -m helpers.evaluate adda` grades that CSV against the labels.

# %%
deliverable = pairs_entry("adda", [r for r in results if r.method == "adda"], data)
display(Markdown(pairs_markdown(deliverable)))

# %% [markdown]
# Target test accuracy after each epoch. ADDA starts from the source-only model, so its adaptation epochs are drawn
# after source-only's last.

# %%
fig = accuracy_curves(results, pair_names)
save_figure(fig, out_dir, "accuracy_curves")

# %%
fig = loss_curves({f"{r.method}, {r.pair}": r.history for r in results if r.method in ("adda", "dann-em")},
                  keys=["discriminator", "target encoder", "class", "domain", "entropy"])
save_figure(fig, out_dir, "loss_curves")

# %% [markdown]
# ## t-SNE of the adapted features
#
# Source and target test images through ADDA's encoders (source images through the source encoder, target
# images through the target encoder, as the method classifies them) and through DANN + entropy
# minimisation's feature extractor, one row per method and pair: coloured by digit class and by domain.

# %%
with timer.phase("t-SNE"):
    panels = [panel for r in results if r.method in ("adda", "dann-em")
              for panel in tsne_panels(r, pairs_by_name[r.pair], points=config.tsne_points, seed=seed, device=device)]
fig = embedding_grid(panels, ncols=2)
save_figure(fig, out_dir, "tsne_adapted")

# %% [markdown]
# ## Observations

# %%
test_sizes = {name: len(pair.target.test) for name, pair in pairs_by_name.items()}  # target test images
display(Markdown("**ADDA**\n\n" + observations(table, "adda", pair_names, test_sizes)))
display(Markdown("**DANN + entropy minimisation**\n\n" + observations(table, "dann-em", pair_names, test_sizes)))
better = [p for p in pair_names if table["dann-em"][p] >= table["dann"][p]]
display(Markdown(f"DANN + entropy minimisation matches or beats DANN on {len(better)} of {len(pair_names)} pairs"
                 + (f" ({', '.join(better)})." if better else ".") + f" The DANN row was {dann_source}."))

# %%
metrics_path = write_metrics(
    out_dir, notebook="adda", profile=profile, data=data, device=device,
    params={"seed": seed, **as_dict(config)}, results={"accuracy": table}, timings=timer.as_dict(),
    extra={"dann_row": dann_source, "copied_from_dann": copied, "predict": deliverable})
print(f"wrote {metrics_path}")

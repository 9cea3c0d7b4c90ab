"""helpers/report/tables.py: the hyperparameter table shows each budget's steps, the epochs they make and a clamped
batch; results tables name their columns as the report does."""
from helpers.adaptation.config import DannConfig
from helpers.core.config import budget, make_config
from helpers.report.tables import hyperparameters


def rows(styler) -> dict[str, str]:
    return styler.data["value"].to_dict()


def test_the_table_shows_the_steps_and_the_epochs_they_make():
    config = make_config(DannConfig, "cpu", {"batch_size": 64})
    table = rows(hyperparameters(config, budget(config, "steps", 1800), profile="cpu"))
    assert table["steps"] == "616" and table["epochs"] == "22 (28 batches an epoch: 616 steps)"
    assert table["batch_size"] == "64" and table["profile"] == "cpu"
    override = make_config(DannConfig, "cpu", {"epochs": 3, "batch_size": 64})
    assert rows(hyperparameters(override, budget(override, "steps", 1800)))["epochs"] == \
        "3 (set explicitly; 28 batches an epoch: 84 steps)"


def test_the_table_says_when_the_batch_was_clamped_and_lists_runs_that_differ():
    config = make_config(DannConfig, "cpu", {"batch_size": 64})
    table = rows(hyperparameters(config, budget(config, "steps", 24, label="a->b"),
                                 budget(config, "steps", 1800, label="b->a")))
    assert table["batch_size"] == "a->b: 24 (clamped from 64: 24 training images); b->a: 64"
    assert table["epochs"] == "a->b: 616 (1 batch an epoch: 616 steps); b->a: 22 (28 batches an epoch: 616 steps)"


def test_unlabelled_runs_that_share_a_batch_size_are_listed_by_their_steps_field():
    """BYOL's fine-tuning (30 labelled images) and supervised backbone (676) share batch_size 32."""
    from helpers.representation.config import ByolConfig

    config = make_config(ByolConfig, "cpu")
    table = rows(hyperparameters(config, budget(config, "finetune_steps", 30), budget(config, "supervised_steps", 676)))
    assert table["batch_size"] == "finetune_steps: 30 (clamped from 32: 30 training images); supervised_steps: 32"


def test_the_table_says_what_the_cpu_lite_profile_is_and_how_to_run_the_full_budgets():
    config = make_config(DannConfig, "cpu-lite")
    table = rows(hyperparameters(config, budget(config, "steps", 1800), profile="cpu-lite"))
    assert table["profile"].startswith("cpu-lite (") and "without native bfloat16" in table["profile"]
    assert "profile=cpu" in table["profile"] and table["steps"] == str(config.steps)


def test_a_results_table_names_its_columns_as_the_report_does_and_formats_them_by_key():
    import re

    import pandas as pd

    from helpers.report.tables import COLUMN_NAMES, named_columns

    frame = pd.DataFrame({"dcgan": {"fid_classifier": 179.65, "recognised": 0.4, "seconds_per_100": None}}).T
    page = named_columns(frame, {"fid_classifier": "{:.4g}", "fid_inception": "{:.4g}", "recognised": "{:.1%}"},
                         na_rep="-").to_html()
    cells = re.findall(r">([^<>]+)</t[hd]>", page)
    assert cells[1:] == [COLUMN_NAMES["fid_classifier"], "recognised", COLUMN_NAMES["seconds_per_100"], "dcgan",
                         "179.7", "40.0%", "-"]

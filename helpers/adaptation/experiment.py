"""Run any adaptation method on a pair, with a checkpoint named by everything that shapes the result."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from helpers.adaptation.adda import train_adda
from helpers.adaptation.common import DomainPair
from helpers.adaptation.config import DannConfig
from helpers.adaptation.dann import train_dann
from helpers.adaptation.dann_em import train_dann_em
from helpers.adaptation.source_only import train_source_only, train_target_only
from helpers.core.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from helpers.core.config import Budget, as_dict, budget
from helpers.core.evaluation import accuracy
from helpers.core.training import History
from helpers.report.metrics import earlier_results

Method = Callable[..., tuple[nn.Module, History]]
METHODS: dict[str, Method] = {
    "source-only": train_source_only,
    "dann": train_dann,
    "adda": train_adda,
    "dann-em": train_dann_em,
    "target-only": train_target_only,
}
# Trained alike by the dann and adda notebooks: their weights depend on DannConfig's fields only, so their
# checkpoints are named by those, and adda can take the dann notebook's instead of training them again.
REFERENCE_METHODS = ("source-only", "target-only")


@dataclass
class MethodResult:
    method: str
    pair: str
    model: nn.Module
    history: History
    accuracy: float  # on the target test split
    checkpoint: Path | None = None  # where its training saved it (what helpers.predict reads)
    copied_from: Path | None = None  # the checkpoint of another notebook's same training it started from


def identity_config(method: str, config: DannConfig) -> DannConfig:
    """The settings that name ``method``'s checkpoint: only DannConfig's fields for the reference methods."""
    if method in REFERENCE_METHODS and type(config) is not DannConfig:
        return DannConfig(**{f.name: getattr(config, f.name) for f in dataclasses.fields(DannConfig)})
    return config


def run_method(method: str, pair: DomainPair, config: DannConfig, *, data: str, seed: int,
               device: torch.device, checkpoint_dir: Path | str | None = None,
               earlier_dir: Path | str | None = None, **options) -> MethodResult:
    """Train ``method`` on ``pair`` (resuming its checkpoint if one exists) and evaluate on the target test
    split; ``options`` go to the method (e.g. ADDA's ``source_model``). With ``earlier_dir`` (another notebook's
    checkpoint folder) and no checkpoint of its own yet, a checkpoint of the same training found there (the same
    name: method, pair, data, seed and settings) is copied in first, so a finished one is not trained again."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid choices: {', '.join(METHODS)}")
    name = f"{method} {pair.name}"
    checkpoint = copied_from = None
    if checkpoint_dir is not None:
        checkpoint = checkpoint_path(checkpoint_dir, f"{method}_{pair.name}", data=data, seed=seed,
                                     config=identity_config(method, config))
        earlier = None if earlier_dir is None else Path(earlier_dir) / checkpoint.name
        if earlier is not None and earlier.exists() and not checkpoint.exists():
            save_checkpoint(load_checkpoint(earlier), checkpoint)  # checked on loading, written atomically
            copied_from = earlier
    model, history = METHODS[method](pair, config, name=name, checkpoint=checkpoint, seed=seed, device=device,
                                     **options)
    return MethodResult(method, pair.name, model, history, accuracy(model, pair.target.test, device), checkpoint,
                        copied_from)


def run_budgets(config: DannConfig, pairs: Iterable[DomainPair], *, adapt: bool = False) -> list[Budget]:
    """Every run's budget on these pairs, for the hyperparameter table: the paired methods' (DANN's), source-only's
    and target-only's (each over its own training set) and, with ``adapt``, ADDA's adaptation stage."""
    budgets = []
    for pair in pairs:
        budgets += [pair.budget(config),
                    budget(config, "steps", len(pair.source.train), label=f"{pair.name} (source-only)"),
                    budget(config, "steps", len(pair.target.train), label=f"{pair.name} (target-only)")]
        if adapt:
            budgets.append(pair.budget(config, "adapt_steps"))
    return budgets


def earlier_dann_row(metrics_path: Path | str, config: DannConfig, *, profile: str, data: str, seed: int,
                     pairs: Sequence[str]) -> dict[str, float] | None:
    """DANN's accuracy per pair from the DANN notebook's metrics.json, if it ran with the same profile, data,
    seed and DANN settings (the fields of DannConfig) and covers every pair; else None."""
    dann_fields = {f.name for f in dataclasses.fields(DannConfig)}
    same = {"profile": profile, "data": data, "seed": seed,
            **{k: v for k, v in as_dict(config).items() if k in dann_fields}}
    row = earlier_results(metrics_path, table="accuracy", row="dann", same=same)
    return {p: row[p] for p in pairs} if row and set(pairs) <= set(row) else None

"""Profiles and per-problem configuration dataclasses.

Each problem defines a dataclass of defaults and a ``PROFILES`` mapping of per-profile overrides.
:func:`make_config` picks the profile, applies the user's overrides and validates every field.
Types come from the field annotations: a value of another type is converted only when that is unambiguous
(the string ``"3"`` from ``papermill -p`` for an int, ``"true"``/``"0"`` for a bool, a list for a tuple),
else refused with a ValueError naming the field, the value and the type (``epochs=2.5``).
Range checks live in field metadata: ``field(default=..., metadata={"min": 1})`` or
``metadata={"choices": (...)}``.

A training's length is a budget of optimizer steps (:func:`steps_field`), so that a profile costs about the same on
500 images or 50,000; :func:`budget` turns it into epochs on the data at hand (at least one), clamps the batch to
the data's size, and lets an explicit ``epochs`` field (None unless set) override the steps.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from helpers.core import calibration
from helpers.core.runtime import bfloat16_is_native, pick_device, seed_everything

PROFILES = ("smoke", "cpu-lite", "cpu", "gpu")
PROFILE_CHOICES = ("auto", *PROFILES)
PROFILE_ENV = "DLCV_PROFILE"
# What a report says beside a profile's name (the hyperparameter table), where the name alone would mislead
PROFILE_NOTES = {"cpu-lite": "the cpu profile's trainings shortened for a slower CPU: one without native bfloat16, "
                             "or one whose calibration predicts the cpu profile's report over 45 minutes (README, "
                             "Profiles); profile=cpu runs the full budgets"}

C = TypeVar("C")


def machine_profile() -> str:
    """The profile ``auto`` picks on this machine (:func:`auto_choice`)."""
    return auto_choice()[0]


def auto_choice(recalibrate: bool = False) -> tuple[str, str]:
    """The profile ``auto`` picks on this machine, and why: gpu with CUDA; on a CPU, cpu where it computes in
    bfloat16 natively (AVX-512 BF16 or AMX) and its calibration (:mod:`helpers.core.calibration`, cached per
    machine) predicts the cpu profile's whole report within 45 minutes; else cpu-lite, whose shorter trainings
    keep the report inside that time (an AVX2-only CPU ran the cpu profile 2-3x slower, one 2-core CPU with
    bfloat16 1.5x slower than another: docs/tuning.md). ``recalibrate`` measures the CPU again where the choice
    depends on it."""
    if torch.cuda.is_available():
        return "gpu", "CUDA is available"
    if not bfloat16_is_native():
        return "cpu-lite", "this CPU has no native bfloat16 (AVX-512 BF16 or AMX)"
    measured = calibration.calibrate(refresh=recalibrate)
    return ("cpu" if measured.fits else "cpu-lite"), measured.describe()


def resolve_profile(profile: str) -> str:
    """Turn ``auto`` into a concrete profile: ``$DLCV_PROFILE`` if set, else :func:`machine_profile`."""
    if profile == "auto":
        profile = os.environ.get(PROFILE_ENV) or machine_profile()
        source = f"environment variable {PROFILE_ENV}" if os.environ.get(PROFILE_ENV) else "auto"
    else:
        source = "parameter 'profile'"
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (from {source}); valid choices: {', '.join(PROFILE_CHOICES)}")
    return profile


def make_config(cls: type[C], profile: str, overrides: Mapping[str, Any] | None = None) -> C:
    """Defaults of ``cls``, then ``cls.PROFILES[profile]``, then the non-None ``overrides``; validated."""
    profile = resolve_profile(profile)
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = dict(getattr(cls, "PROFILES", {}).get(profile, {}))
    for name, value in (overrides or {}).items():
        if name not in names:
            raise ValueError(f"unknown parameter {name!r} for {cls.__name__}; valid fields: {', '.join(sorted(names))}")
        if value is not None:
            values[name] = value
    hints = typing.get_type_hints(cls)
    values = {name: typed(name, value, hints[name]) for name, value in values.items()}
    config = cls(**values)
    validate(config)
    return config


BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def typed(name: str, value: Any, hint: Any) -> Any:
    """``value`` as the annotated type ``hint`` of field ``name``, converted only when unambiguous
    (papermill passes strings); otherwise a ValueError naming the field, the value and the type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # e.g. int | None: the first type that takes it
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return typed(name, value, arg)
            except ValueError:
                pass
    elif origin is tuple:  # tuple[int, ...] or tuple[int, int]; papermill passes a list
        each = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if isinstance(value, (tuple, list)) and len(each) == len(value):
            return tuple(typed(f"{name}[{i}]", item, t) for i, (item, t) in enumerate(zip(value, each)))
    elif hint is bool:
        if isinstance(value, bool):
            return value
        key = str(value).strip().lower() if isinstance(value, (str, int)) else None
        if key in BOOLEANS:
            return BOOLEANS[key]
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif hint is str:
        if isinstance(value, str):
            return value
    else:  # a type this check does not know: left as it is
        return value
    raise ValueError(f"{name}={value!r} has the wrong type; expected {type_name(hint)}")


def type_name(hint: Any) -> str:
    """``int``, ``tuple[int, ...]``, ``int | None``. (On Python 3.10 ``tuple[int, ...]`` is also an instance of
    ``type``, and its ``__name__`` is just "tuple".)"""
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        return hint.__name__
    return str(hint).replace("typing.", "")


def validate(config: Any) -> None:
    """Check every field against its ``min``/``max``/``choices`` metadata; raise ValueError naming it."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        items = value if isinstance(value, (tuple, list)) and f.metadata.get("each") else [value]
        for item in items:
            if item is None:  # an optional field left unset (an epochs override)
                continue
            if "choices" in f.metadata and item not in f.metadata["choices"]:
                raise ValueError(f"{f.name}={item!r} is not valid; valid choices: {', '.join(map(str, f.metadata['choices']))}")
            if "min" in f.metadata and not item >= f.metadata["min"]:
                raise ValueError(f"{f.name}={item!r} is out of range; expected >= {f.metadata['min']}")
            if "max" in f.metadata and not item <= f.metadata["max"]:
                raise ValueError(f"{f.name}={item!r} is out of range; expected <= {f.metadata['max']}")


def as_dict(config: Any) -> dict[str, Any]:
    """The configuration as plain JSON-friendly values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


SEED_RANGE = (0, 2**32 - 1)  # what NumPy's and scikit-learn's random_state take


def check_seed(seed: Any) -> None:
    """A notebook's ``seed`` is a whole number in SEED_RANGE; anything else raises a ValueError naming it."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
        raise ValueError(f"seed={seed!r} is not valid; expected a whole number from {SEED_RANGE[0]} to {SEED_RANGE[1]}")


def prepare_run(cls: type[C], profile: str, overrides: Mapping[str, Any], seed: int) -> tuple[str, C, torch.device]:
    """What every notebook does first: resolve the profile, build the validated configuration, pick the
    device and seed everything. Returns (profile, config, device)."""
    check_seed(seed)
    profile = resolve_profile(profile)
    config = make_config(cls, profile, overrides)
    seed_everything(seed)
    return profile, config, pick_device(profile)


def steps_field(default: int, *, epochs: str = "epochs", batch: str = "batch_size") -> Any:
    """A dataclass field holding a training's budget: ``default`` optimizer steps (batches trained on). ``epochs``
    names the field that overrides it when set (``int | None``, default None); ``batch`` names its batch size."""
    return dataclasses.field(default=default, metadata={"min": 1, "epochs": epochs, "batch": batch})


def epochs_for(steps: int, images: int, batch_size: int) -> int:
    """Epochs of ``images // batch_size`` batches (the last partial batch dropped) that make at least ``steps``
    optimizer steps; at least 1."""
    return max(1, math.ceil(steps / max(1, images // batch_size)))


@dataclass(frozen=True)
class Budget:
    """How long one training runs on its data (:func:`budget`): ``epochs`` passes over ``images`` images in batches of
    ``batch_size`` (the configured ``asked_batch``, clamped to the data's size)."""

    steps_field: str
    epochs_field: str
    batch_field: str
    steps: int  # the configured budget
    epochs: int  # what the training runs
    batch_size: int
    asked_batch: int
    images: int  # in the set the batch is clamped to (the smaller of two in paired batches)
    batches: int  # per epoch
    override: bool  # ``epochs`` set explicitly: the steps are ignored
    label: str = ""  # which run, where a notebook's runs differ (a domain pair)

    @property
    def max_steps(self) -> int | None:
        """The steps to stop after (``fit``'s ``max_steps``): the budget, so that the last epoch ends where the
        budget does; None with the epochs set explicitly (every batch of every epoch)."""
        return None if self.override else self.steps

    @property
    def total_steps(self) -> int:
        """The optimizer steps the training takes."""
        full = self.epochs * self.batches
        return full if self.max_steps is None else min(full, self.max_steps)

    def describe(self) -> dict[str, str]:
        """The hyperparameter table's text for the budget's fields: the epochs with the steps they make (and where
        the last epoch stops short), and the batch size with a note when it was clamped."""
        why = "set explicitly; " if self.override else ""
        batches = f"{self.batches} batch{'es' if self.batches > 1 else ''} an epoch"
        last = self.total_steps - (self.epochs - 1) * self.batches
        cut = f", the last epoch stopped after {last}" if last < self.batches else ""
        clamped = ""
        if self.batch_size < self.asked_batch:
            clamped = f" (clamped from {self.asked_batch}: {self.images} training images)"
        return {self.epochs_field: f"{self.epochs} ({why}{batches}{cut}: {self.total_steps} steps)",
                self.batch_field: f"{self.batch_size}{clamped}"}


def budget(config: Any, steps_field: str, images: int, *, batch_limit: int | None = None, label: str = "") -> Budget:
    """The budget of the training whose steps are ``config.<steps_field>`` (a :func:`steps_field`) over ``images``
    training images: the batch clamped to the data (and to ``batch_limit``, the size of a second set it draws from),
    the epochs from the steps, unless the config's epochs field is set."""
    meta = next(f.metadata for f in dataclasses.fields(config) if f.name == steps_field)
    epochs_field, batch_field = meta["epochs"], meta["batch"]
    asked = getattr(config, batch_field)
    smallest = min(images, batch_limit) if batch_limit is not None else images
    if smallest < 1:
        raise ValueError(f"{steps_field}: no training images")
    batch_size = min(asked, smallest)
    batches = max(1, images // batch_size)
    override = getattr(config, epochs_field)
    steps = getattr(config, steps_field)
    epochs = override if override is not None else epochs_for(steps, images, batch_size)
    return Budget(steps_field, epochs_field, batch_field, steps, epochs, batch_size, asked, smallest, batches,
                  override is not None, label)

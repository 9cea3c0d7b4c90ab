"""Profiles and per-problem configuration dataclasses.

Each problem defines a dataclass of defaults and a ``PROFILES`` mapping of per-profile overrides.
:func:`make_config` picks the profile, applies the user's overrides and validates every field.
Types come from the field annotations: a value of another type is converted only when that is unambiguous
(the string ``"3"`` from ``papermill -p`` for an int, ``"true"``/``"0"`` for a bool, a list for a tuple),
else refused with a ValueError naming the field, the value and the type (``epochs=2.5``).
Range checks live in field metadata: ``field(default=..., metadata={"min": 1})`` or
``metadata={"choices": (...)}``.
"""
from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import torch

from helpers.core.runtime import pick_device, seed_everything

PROFILES = ("smoke", "cpu", "gpu")
PROFILE_CHOICES = ("auto", *PROFILES)
PROFILE_ENV = "DLCV_PROFILE"

C = TypeVar("C")


def resolve_profile(profile: str) -> str:
    """Turn ``auto`` into a concrete profile: ``$DLCV_PROFILE`` if set, else gpu with CUDA, else cpu."""
    if profile == "auto":
        profile = os.environ.get(PROFILE_ENV) or ("gpu" if torch.cuda.is_available() else "cpu")
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
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def validate(config: Any) -> None:
    """Check every field against its ``min``/``max``/``choices`` metadata; raise ValueError naming it."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        items = value if isinstance(value, (tuple, list)) and f.metadata.get("each") else [value]
        for item in items:
            if "choices" in f.metadata and item not in f.metadata["choices"]:
                raise ValueError(f"{f.name}={item!r} is not valid; valid choices: {', '.join(map(str, f.metadata['choices']))}")
            if "min" in f.metadata and not item >= f.metadata["min"]:
                raise ValueError(f"{f.name}={item!r} is out of range; expected >= {f.metadata['min']}")
            if "max" in f.metadata and not item <= f.metadata["max"]:
                raise ValueError(f"{f.name}={item!r} is out of range; expected <= {f.metadata['max']}")


def as_dict(config: Any) -> dict[str, Any]:
    """The configuration as plain JSON-friendly values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def prepare_run(cls: type[C], profile: str, overrides: Mapping[str, Any], seed: int) -> tuple[str, C, torch.device]:
    """What every notebook does first: resolve the profile, build the validated configuration, pick the
    device and seed everything. Returns (profile, config, device)."""
    profile = resolve_profile(profile)
    config = make_config(cls, profile, overrides)
    seed_everything(seed)
    return profile, config, pick_device(profile)

"""Profiles and per-problem configuration dataclasses.

Each problem defines a dataclass of defaults and a ``PROFILES`` mapping of per-profile overrides.
:func:`make_config` picks the profile, applies the user's overrides and validates every field.
Range checks live in field metadata: ``field(default=..., metadata={"min": 1})`` or
``metadata={"choices": (...)}``.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any, TypeVar

import torch

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
    config = cls(**values)
    validate(config)
    return config


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
    from helpers.core.runtime import pick_device, seed_everything

    profile = resolve_profile(profile)
    config = make_config(cls, profile, overrides)
    seed_everything(seed)
    return profile, config, pick_device(profile)

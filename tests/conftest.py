"""Shared fixtures: tiny configurations and data, fixed seeds, the CPU."""
from __future__ import annotations

import os

import pytest
import torch

# Tests are deterministic and small: one thread avoids run-to-run float differences between thread counts.
torch.set_num_threads(1)
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture
def no_profile_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLCV_PROFILE", raising=False)

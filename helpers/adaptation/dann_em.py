"""DANN + entropy minimisation (`dann-em`): DANN's domain-adversarial features, plus the mean entropy of
the classifier's predictions on target images as a further loss (Grandvalet & Bengio 2005; used with
adversarial adaptation in e.g. Long et al. 2018, CDAN+E). Confident target predictions keep target
features away from the decision boundaries that DANN alone may leave running through them."""
from __future__ import annotations

from helpers.adaptation.common import DomainPair
from helpers.adaptation.config import AddaConfig
from helpers.adaptation.dann import train_dann
from helpers.adaptation.networks import DANN
from helpers.core.training import History


def train_dann_em(pair: DomainPair, config: AddaConfig, **kwargs) -> tuple[DANN, History]:
    return train_dann(pair, config, entropy_weight=config.entropy_weight, **kwargs)

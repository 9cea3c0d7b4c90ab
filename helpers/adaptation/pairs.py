"""The domain pairs of an adaptation notebook: loaded once, shown as a table and a grid."""
from __future__ import annotations

import pandas as pd

from helpers.adaptation.common import ARROW, DomainPair, resolve_pairs
from helpers.adaptation.config import DannConfig
from helpers.core.images import Domain
from helpers.data import load_domains


def load_pairs(config: DannConfig, data: str, seed: int) -> tuple[dict[str, Domain], dict[str, DomainPair]]:
    """Every domain the configured pairs name (embedded: from disjoint subsets), and the pairs by name."""
    task_pairs = resolve_pairs(config.pairs, data)
    names = sorted({name for pair in task_pairs for name in pair})
    domains = load_domains(data, names, seed=seed, size=config.image_size, copies=config.copies)
    return domains, {f"{s}{ARROW}{t}": DomainPair.of(domains[s], domains[t], config.pair_channels)
                     for s, t in task_pairs}


def domain_table(domains: dict[str, Domain]) -> pd.DataFrame:
    return pd.DataFrame([{"domain": name, "train images": len(d.train), "test images": len(d.test),
                          "channels": d.train.channels} for name, d in domains.items()]).set_index("domain")

"""Data sets: the embedded digit domains and the course's layouts, as in-memory tensors."""
from __future__ import annotations

from collections.abc import Sequence

from helpers.core.images import Domain
from helpers.data.course import COURSE_DOMAINS, DataLayoutError, course_domain
from helpers.data.embedded import EMBEDDED_DOMAINS, embedded_domains

EMBEDDED = "embedded"
# The course data set each embedded domain stands in for (docs/design.md).
COURSE_NAME = {"digits-m": "mnistm", "digits-s": "svhn", "digits-u": "usps"}

__all__ = ["COURSE_DOMAINS", "COURSE_NAME", "EMBEDDED", "EMBEDDED_DOMAINS", "DataLayoutError", "course_domain",
           "domain_names", "load_domains"]


def domain_names(data: str, names: Sequence[str]) -> list[str]:
    """Embedded names as given, or their course equivalents when ``data`` is a course folder."""
    if data == EMBEDDED:
        return list(names)
    return [COURSE_NAME.get(n, n) for n in names]


def load_domains(data: str, names: Sequence[str], *, seed: int = 0, size: int = 28, copies: int = 1) -> dict[str, Domain]:
    """The named domains, from the embedded digits (disjoint subsets) or from a course data folder."""
    if data == EMBEDDED:
        return embedded_domains(names, seed=seed, size=size, copies=copies)
    for name in names:
        if name not in COURSE_DOMAINS:
            raise ValueError(f"unknown course domain {name!r}; valid choices: {', '.join(COURSE_DOMAINS)}")
    return {name: course_domain(data, name, size=size) for name in names}

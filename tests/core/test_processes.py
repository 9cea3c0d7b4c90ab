"""Worker processes: as many as torch's threads allow, each with its share."""
from __future__ import annotations

import pytest

from helpers.core.processes import usable_processes


@pytest.mark.parametrize("threads, asked, usable", [(1, 2, 1), (2, 2, 2), (4, 2, 2), (3, 4, 3), (2, 1, 1)])
def test_no_more_workers_than_threads(torch_threads, threads, asked, usable):
    torch_threads(threads)
    assert usable_processes(asked) == usable

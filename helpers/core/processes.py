"""Independent trainings in worker processes on a CPU, torch's threads split between them: networks too small to
spread well over threads (on 2 cores, two processes of one thread each train 1.7 times as many GAN steps per second
as one process of two threads)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TypeVar

import torch

T = TypeVar("T")


def usable_processes(processes: int) -> int:
    """How many of ``processes`` worker processes are worth starting here: at most one per torch thread. A process
    given one thread (OMP_NUM_THREADS=1, as beside another notebook's kernel) has no threads to split, and its workers
    would only add their start-up (~5 s of imports each) and contend for the others' cores."""
    return max(1, min(processes, torch.get_num_threads()))


def in_processes(calls: Mapping[str, Callable[[], T]], processes: int) -> dict[str, T]:
    """Each of ``calls`` (picklable, e.g. a ``functools.partial`` of a module-level function) run in one of
    ``processes`` spawned workers, each with its share of torch's threads; their results by name. A worker's error
    is raised here; on an error or an interrupt, calls not started are dropped and nothing waits for running ones."""
    threads = max(1, torch.get_num_threads() // processes)
    pool = ProcessPoolExecutor(min(processes, len(calls)), mp_context=get_context("spawn"))
    try:
        futures = {name: pool.submit(_with_threads, call, threads) for name, call in calls.items()}
        return {name: future.result() for name, future in futures.items()}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _with_threads(call: Callable[[], T], threads: int) -> T:
    torch.set_num_threads(threads)
    return call()

"""An exponential moving average of a network's weights (the copy that samples), for the GANs and diffusion.

:class:`WeightAverage` is torch's ``AveragedModel`` (the same state: the network under ``module.`` and the count
``n_averaged``) with an update that never reads the GPU on the host: torch's reads ``n_averaged`` on every update
(``n_averaged == 0``, ``> 0``), which waits for the GPU each training step. The count is mirrored on the host,
read once after a resume.
"""
from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel


class WeightAverage(AveragedModel):
    """avg <- d avg + (1 - d) current after each update of ``model``, starting from a copy of it.

    ``warmup``: d = min(decay, (1 + n) / (10 + n)) after n updates, so that the first epoch's average is not held
    back by the untrained starting weights; otherwise d = decay. ``buffers``: the buffers (batch-norm statistics)
    are averaged too; otherwise they are copied from ``model`` at each update."""

    def __init__(self, model: nn.Module, decay: float, *, warmup: bool = False, buffers: bool = False) -> None:
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"decay={decay!r} is out of range; expected 0 <= decay <= 1")
        super().__init__(model, use_buffers=buffers)
        self.decay, self.warmup = decay, warmup
        self._count: int | None = None  # n_averaged on the host; None until read

    def _load_from_state_dict(self, *args, **kwargs) -> None:  # a resumed count is read again at the next update
        self._count = None
        super()._load_from_state_dict(*args, **kwargs)

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        if self._count is None:
            self._count = int(self.n_averaged)  # once per run or resume
        n = self._count
        if self.use_buffers:
            averaged = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            current = [t.detach().to(a.device) for a, t in zip(averaged, itertools.chain(model.parameters(),
                                                                                         model.buffers()))]
        else:
            averaged = list(self.module.parameters())
            current = [p.detach().to(a.device) for a, p in zip(averaged, model.parameters())]
        if n == 0:
            for a, c in zip(averaged, current):
                a.copy_(c)
        elif self.warmup:
            d = min(self.decay, (1 + float(n)) / (10 + float(n)))
            for a, c in zip(averaged, current):
                a.copy_(d * a + (1 - d) * c)
        else:
            floating = [(a, c) for a, c in zip(averaged, current) if a.is_floating_point()]
            if floating:
                torch._foreach_lerp_([a for a, _ in floating], [c for _, c in floating], 1 - self.decay)
            for a, c in zip(averaged, current):
                if not a.is_floating_point():  # a count (num_batches_tracked), as torch's EMA does it
                    a.copy_(a * self.decay + c * (1 - self.decay))
        if not self.use_buffers:
            for a, c in zip(self.module.buffers(), model.buffers()):
                a.copy_(c.to(a.device))
        self.n_averaged += 1
        self._count = n + 1

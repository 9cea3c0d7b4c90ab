"""Denoising diffusion: noise schedule, forward noising, training loss, DDPM and DDIM steps, guidance.

The noise math only; it imports no network. A model is any callable ``model(x_t, t, labels) -> eps``
(``labels`` is None for an unconditional model). Names follow the papers:

- Ho et al. 2020 (DDPM): ``q_sample`` draws x_t ~ q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I);
  the loss is || eps - eps_theta(x_t, t) ||^2; ``ddpm_step`` draws x_{t-1} ~ p(x_{t-1} | x_t) (eq. 11,
  sigma_t^2 = beta_t).
- Song et al. 2021 (DDIM): ``ddim_step`` jumps from t to an earlier s (eq. 12); eta = 0 is deterministic,
  eta = 1 has the DDPM's variance.
- Ho & Salimans 2022 (classifier-free guidance): ``guided_eps`` = (1 + w) eps(x, c) - w eps(x, null).
- Hang et al. 2023 (Min-SNR-gamma): ``diffusion_loss`` can weight each step's error by min(SNR_t, gamma) / SNR_t.

Time steps are 0-based indices 0..T-1 (index t is the paper's t + 1); ``t = T - 1`` is pure noise.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

NoiseModel = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], torch.Tensor]
SCHEDULES = ("linear", "cosine")
SAMPLERS = "'ddpm' or 'ddpm-<T>' (ancestral, all T steps) or 'ddim-<steps>' (e.g. 'ddim-50')"


@dataclass(frozen=True)
class Schedule:
    """beta_t for t = 0..T-1 and the quantities every step needs, as float64 for accuracy."""

    betas: torch.Tensor

    def __post_init__(self) -> None:
        if self.betas.ndim != 1 or len(self.betas) < 1:
            raise ValueError(f"betas must be a non-empty 1-D tensor, got shape {tuple(self.betas.shape)}")
        if not bool(((self.betas > 0) & (self.betas < 1)).all()):
            raise ValueError("every beta must lie in (0, 1)")

    @property
    def T(self) -> int:
        return len(self.betas)

    @functools.cached_property
    def alphas(self) -> torch.Tensor:
        return 1.0 - self.betas

    @functools.cached_property
    def alpha_bar(self) -> torch.Tensor:
        """abar_t = prod_{s <= t} (1 - beta_s): the fraction of the signal's variance left at step t."""
        return torch.cumprod(self.alphas, 0)

    @functools.cached_property
    def snr(self) -> torch.Tensor:
        """SNR_t = abar_t / (1 - abar_t): the signal-to-noise ratio of x_t."""
        return self.alpha_bar / (1.0 - self.alpha_bar)

    def on(self, device: torch.device | str) -> Schedule:
        """This schedule with its tensors on ``device``, made once per device (a training step that copied
        them from the CPU would wait for the GPU)."""
        device = torch.device(device)
        if self.betas.device == device:
            return self
        copies = self.__dict__.setdefault("_copies", {})
        if str(device) not in copies:
            copies[str(device)] = Schedule(self.betas.to(device))
        return copies[str(device)]


def make_schedule(T: int, kind: str = "linear", beta_start: float = 1e-4, beta_end: float = 0.02) -> Schedule:
    """The DDPM paper's linear schedule (beta from 1e-4 to 0.02 over T = 1000), or Nichol & Dhariwal's cosine."""
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"T={T!r} must be a positive integer")
    if kind == "linear":
        if not 0 < beta_start <= beta_end < 1:
            raise ValueError(f"need 0 < beta_start ({beta_start}) <= beta_end ({beta_end}) < 1")
        # Rescaled so that a shorter schedule ends as noisy as the paper's T = 1000 one.
        scale = 1000 / T
        betas = torch.linspace(beta_start * scale, min(beta_end * scale, 0.999), T, dtype=torch.float64)
    elif kind == "cosine":
        s = 0.008
        steps = torch.arange(T + 1, dtype=torch.float64) / T
        f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
        betas = (1 - f[1:] / f[:-1]).clamp(1e-8, 0.999)
    else:
        raise ValueError(f"unknown schedule {kind!r}; valid choices: {', '.join(SCHEDULES)}")
    return Schedule(betas)


def _noise(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Standard normal noise shaped like ``like``, drawn on the CPU (so a CPU generator serves every device)."""
    return torch.randn(like.shape, generator=generator, dtype=like.dtype).to(like.device)


def _at(schedule: Schedule, name: str, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The schedule's ``name`` (e.g. alpha_bar) at t, shaped [N, 1, 1, ...] to broadcast over a batch like ``like``."""
    values = getattr(schedule.on(like.device), name)
    out = values[t.to(like.device)].to(like.dtype)
    return out.reshape(-1, *([1] * (like.ndim - 1)))


def q_sample(schedule: Schedule, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (the closed form of the forward process)."""
    abar = _at(schedule, "alpha_bar", t, x0)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def drop_labels(labels: torch.Tensor, p: float, null_label: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Replace each label by ``null_label`` with probability ``p`` (training for classifier-free guidance)."""
    if not 0 <= p <= 1:
        raise ValueError(f"label drop probability p={p} must lie in [0, 1]")
    # Drawn on the labels' device (no copy a training step), or on the CPU when a CPU generator is given.
    drop = torch.rand(labels.shape, generator=generator, device="cpu" if generator is not None else labels.device) < p
    drop = drop.to(labels.device)
    return torch.where(drop, torch.full_like(labels, null_label), labels)


LOSS_WEIGHTINGS = ("simple", "min-snr")


def diffusion_loss(model: NoiseModel, schedule: Schedule, x0: torch.Tensor, labels: torch.Tensor | None = None, *,
                   weighting: str = "simple", min_snr_gamma: float = 5.0) -> torch.Tensor:
    """MSE between the noise added at a random step t and the model's estimate of it.

    ``weighting="simple"``: Ho et al.'s simple loss, every step alike. ``"min-snr"``: each image's error weighted
    by min(SNR_t, gamma) / SNR_t (Hang et al. 2023, the weight for eps-prediction): the nearly clean steps, whose
    tiny noise is hard to estimate and matters little to a sample, no longer dominate the gradient; steps with
    SNR_t <= gamma keep weight 1."""
    if weighting not in LOSS_WEIGHTINGS:
        raise ValueError(f"weighting={weighting!r}; expected one of {', '.join(LOSS_WEIGHTINGS)}")
    if not min_snr_gamma > 0:
        raise ValueError(f"min_snr_gamma={min_snr_gamma!r} must be > 0")
    t = torch.randint(0, schedule.T, (len(x0),), device=x0.device)
    noise = torch.randn_like(x0)
    eps = model(q_sample(schedule, x0, t, noise), t, labels)
    if weighting == "simple":
        return F.mse_loss(eps, noise)
    snr = _at(schedule, "snr", t, noise.float()).flatten()
    weight = snr.clamp(max=min_snr_gamma) / snr
    return (weight * (eps.float() - noise).square().flatten(1).mean(1)).mean()


def check_guidance(w: float) -> None:
    if not (isinstance(w, (int, float)) and math.isfinite(w) and w >= 0):
        raise ValueError(f"guidance scale w={w!r} must be a finite number >= 0 (0: the conditional model alone)")


def guided_eps(model: NoiseModel, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None,
               w: float, null_label: int | None) -> torch.Tensor:
    """Classifier-free guidance: (1 + w) eps(x, c) - w eps(x, null). ``w = 0`` (or no labels) is one
    plain model call; otherwise the conditional and unconditional calls share one batch."""
    check_guidance(w)
    if labels is None or w == 0:
        return model(x, t, labels)
    if null_label is None:
        raise ValueError("guidance with w > 0 needs the model's null label (the index of 'no class')")
    both = model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([labels, torch.full_like(labels, null_label)]))
    cond, uncond = both.chunk(2)
    return (1 + w) * cond - w * uncond


def predict_x0(schedule: Schedule, x: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x_0 implied by x_t and the noise estimate (the forward closed form solved for x_0)."""
    abar = _at(schedule, "alpha_bar", t, x)
    return (x - (1 - abar).sqrt() * eps) / abar.sqrt()


def ddpm_step(schedule: Schedule, x: torch.Tensor, t: int, eps: torch.Tensor, *, generator: torch.Generator | None = None,
              clip: bool = True) -> torch.Tensor:
    """One ancestral step x_t -> x_{t-1} of DDPM, through the posterior q(x_{t-1} | x_t, x_0) with x_0 predicted
    (clipped to [-1, 1] when ``clip``) and sigma_t^2 = beta_t; at t = 0 the mean alone."""
    tt = torch.full((len(x),), t, dtype=torch.long)
    x0 = predict_x0(schedule, x, tt, eps)
    if clip:
        x0 = x0.clamp(-1, 1)
    abar = schedule.alpha_bar.to(x.dtype)
    abar_t, abar_prev = abar[t], (abar[t - 1] if t > 0 else torch.ones((), dtype=x.dtype))
    beta_t = schedule.betas[t].to(x.dtype)
    # posterior mean: coefficients of x_0 and x_t (DDPM eq. 7)
    mean = (abar_prev.sqrt() * beta_t / (1 - abar_t)) * x0 + ((1 - beta_t).sqrt() * (1 - abar_prev) / (1 - abar_t)) * x
    if t == 0:
        return mean
    return mean + beta_t.sqrt() * _noise(x, generator)


def ddim_step(schedule: Schedule, x: torch.Tensor, t: int, s: int, eps: torch.Tensor, *, eta: float = 0.0,
              generator: torch.Generator | None = None, clip: bool = True) -> torch.Tensor:
    """One DDIM step from index t to an earlier index s (s = -1: to x_0) (Song et al. eq. 12)."""
    if not 0 <= eta:
        raise ValueError(f"eta={eta} must be >= 0")
    abar = schedule.alpha_bar.to(x.dtype)
    abar_t = abar[t]
    x0 = predict_x0(schedule, x, torch.full((len(x),), t, dtype=torch.long), eps)
    if clip:
        x0 = x0.clamp(-1, 1)
        eps = (x - abar_t.sqrt() * x0) / (1 - abar_t).sqrt()  # the noise direction consistent with the clipped x_0
    abar_s = abar[s] if s >= 0 else torch.ones((), dtype=x.dtype)
    sigma = eta * ((1 - abar_s) / (1 - abar_t) * (1 - abar_t / abar_s)).clamp(min=0).sqrt()
    direction = (1 - abar_s - sigma**2).clamp(min=0).sqrt() * eps
    out = abar_s.sqrt() * x0 + direction
    if eta > 0 and s >= 0:
        out = out + sigma * _noise(x, generator)
    return out


def parse_sampler(sampler: str, T: int) -> tuple[str, int]:
    """'ddpm' or 'ddpm-<T>' -> ('ddpm', T); 'ddim-<k>' -> ('ddim', k), with 1 <= k <= T."""
    kind, _, steps = sampler.partition("-")
    if kind not in ("ddpm", "ddim") or (steps and not steps.isdigit()) or (kind == "ddim" and not steps):
        raise ValueError(f"unknown sampler {sampler!r}; valid choices: {SAMPLERS}")
    n = int(steps) if steps else T
    if kind == "ddpm" and n != T:
        raise ValueError(f"sampler {sampler!r}: DDPM runs all T={T} steps; use 'ddpm' or 'ddpm-{T}', or DDIM for fewer")
    if not 1 <= n <= T:
        raise ValueError(f"sampler {sampler!r}: steps={n} must lie in 1..T={T} (the schedule's length)")
    return kind, n


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """``steps`` evenly spaced indices from T-1 down to 0 (the DDIM sub-sequence tau, descending)."""
    if not 1 <= steps <= T:
        raise ValueError(f"DDIM steps={steps} must lie in 1..T={T}")
    return sorted({round(i * (T - 1) / max(steps - 1, 1)) for i in range(steps)} if steps > 1 else {T - 1}, reverse=True)


def sample_steps(model: NoiseModel, schedule: Schedule, shape: tuple[int, ...], *, sampler: str = "ddpm",
                 labels: torch.Tensor | None = None, w: float = 0.0, null_label: int | None = None, eta: float = 0.0,
                 generator: torch.Generator | None = None, device: torch.device | str = "cpu",
                 x_T: torch.Tensor | None = None) -> Iterator[tuple[int, torch.Tensor]]:
    """Run the reverse process and yield (t, x_t) with the paper's t: first (T, pure noise), then after each
    step, down to (0, the sample). The sampler is 'ddpm' (ancestral, all T steps) or 'ddim-<k>'; ``generator``
    (a CPU generator) fixes the starting noise and, for DDPM or eta > 0, the noise of every step."""
    check_guidance(w)
    kind, steps = parse_sampler(sampler, schedule.T)
    if labels is not None and len(labels) != shape[0]:
        raise ValueError(f"{len(labels)} labels for {shape[0]} samples")
    x = (torch.randn(shape, generator=generator) if x_T is None else x_T.float()).to(device)
    labels = None if labels is None else labels.to(device)
    times = list(range(schedule.T - 1, -1, -1)) if kind == "ddpm" else ddim_timesteps(schedule.T, steps)
    yield schedule.T, x
    for i, t in enumerate(times):
        with torch.no_grad():
            t_batch = torch.full((shape[0],), t, dtype=torch.long, device=device)
            eps = guided_eps(model, x, t_batch, labels, w, null_label)
        if kind == "ddpm":
            x = ddpm_step(schedule, x, t, eps, generator=generator)
            yield t, x
        else:
            s = times[i + 1] if i + 1 < len(times) else -1
            x = ddim_step(schedule, x, t, s, eps, eta=eta, generator=generator)
            yield s + 1, x


@torch.no_grad()
def sample(model: NoiseModel, schedule: Schedule, shape: tuple[int, ...], **kwargs) -> torch.Tensor:
    """x_0 from the reverse process (see :func:`sample_steps` for the arguments), in [-1, 1]."""
    x = None
    for _, x in sample_steps(model, schedule, shape, **kwargs):
        pass
    return x.clamp(-1, 1)

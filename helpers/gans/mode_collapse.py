"""Mode collapse, where the modes can be counted: two GANs on the ring of eight Gaussians (helpers/gans/ring.py).

``collapsed``: the settings of Metz et al.'s (2017) ring experiment, a generator that learns ten times faster than
its discriminator, which chases whichever region the discriminator currently rates best and hops from mode to mode.
``mitigated``: the same networks, optimiser, rates, batch size and steps, with PacGAN's discriminator (Lin et al.
2018), which judges ``collapse_pack`` samples at once: a pack drawn from one mode looks unlike a pack of real points
(usually from different modes), so the discriminator can penalise a lack of diversity it cannot see in one sample."""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from torch import nn

from helpers.core.checkpoint import checkpoint_path
from helpers.core.config import as_dict
from helpers.core.processes import in_processes, usable_processes
from helpers.core.runtime import derive_seed
from helpers.core.training import History, fit
from helpers.gans import losses
from helpers.gans.config import GanConfig
from helpers.gans.methods import Gan
from helpers.gans.ring import MODES, RADIUS, STD, RingBatches, coverage

COLLAPSE_RUNS = ("collapsed", "mitigated")
SNAPSHOTS = 5  # the generator's samples are recorded this many times, evenly spaced over the steps
SAMPLES = 2500  # samples per snapshot, from the same noise every time
HIDDEN = 128  # both networks: two hidden layers of this many ReLU units
Z_DIM = 256


def mlp(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, outputs))


class PointGenerator(nn.Module):
    """Noise of ``Z_DIM`` to a point of the plane."""

    def __init__(self) -> None:
        super().__init__()
        self.z_dim = Z_DIM
        self.net = mlp(Z_DIM, 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class PackedDiscriminator(nn.Module):
    """A discriminator that scores packs of ``pack`` points (PacGAN): consecutive points of a batch are
    concatenated, so a batch of N points gets N / pack scores. ``pack=1`` is the ordinary discriminator."""

    def __init__(self, pack: int) -> None:
        super().__init__()
        self.pack = pack
        self.net = mlp(2 * pack, 1)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        if len(points) % self.pack:
            raise ValueError(f"a batch of {len(points)} points does not split into packs of {self.pack}")
        return self.net(points.reshape(len(points) // self.pack, 2 * self.pack))


def collapse_gan(name: str, config: GanConfig, device: torch.device | str) -> Gan:
    """The GAN of run ``name`` (:data:`COLLAPSE_RUNS`): non-saturating loss, Adam(0.5, 0.999), the discriminator at
    ``collapse_lr`` and the generator ``collapse_g_lr_ratio`` times faster; ``mitigated`` packs
    ``collapse_pack`` points into each discriminator input."""
    if name not in COLLAPSE_RUNS:
        raise ValueError(f"unknown mode-collapse run {name!r}; valid choices: {', '.join(COLLAPSE_RUNS)}")
    torch.manual_seed(0)  # both start from the same generator
    generator = PointGenerator().to(device)
    discriminator = PackedDiscriminator(config.collapse_pack if name == "mitigated" else 1).to(device)
    return Gan("pacgan" if name == "mitigated" else "gan", generator, discriminator,  # type: ignore[arg-type]
               torch.optim.Adam(generator.parameters(), lr=config.collapse_lr * config.collapse_g_lr_ratio,
                                betas=(0.5, 0.999)),
               torch.optim.Adam(discriminator.parameters(), lr=config.collapse_lr, betas=(0.5, 0.999)),
               losses.dcgan_d_loss, losses.dcgan_g_loss)


class Snapshots(nn.Module):
    """The generator's samples at each snapshot, kept as a buffer so that a checkpoint holds them."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("points", torch.zeros(SNAPSHOTS, SAMPLES, 2))


@dataclass
class CollapseRun:
    """A trained run: its samples after each ``steps[i]`` steps, their coverage (``history``'s ``modes``,
    ``high_quality``, ``largest_mode`` and ``largest_share`` per snapshot, with the losses) and how long it trained."""

    name: str
    steps: list[int]
    snapshots: torch.Tensor  # (SNAPSHOTS, SAMPLES, 2)
    history: History
    seconds: float

    @property
    def final(self) -> dict[str, float]:
        return {key: self.history[key][-1] for key in ("modes", "high_quality")}


def collapse_settings(name: str, config: GanConfig) -> dict:
    """What shapes run ``name``'s weights (its checkpoint's identity): its settings (the pack for ``mitigated`` only),
    the networks' sizes and the ring."""
    settings = {key: value for key, value in as_dict(config).items()
                if key.startswith("collapse_") and (key != "collapse_pack" or name == "mitigated")}
    return {**settings, "hidden": HIDDEN, "z_dim": Z_DIM, "ring": (MODES, RADIUS, STD)}


def run_collapse(name: str, config: GanConfig, *, device: torch.device | str, seed: int, checkpoint_dir: Path | str,
                 progress: bool = True) -> CollapseRun:
    """Train run ``name`` for ``collapse_steps`` steps (rounded down to whole snapshots), resuming from its
    checkpoint, and record its samples at each snapshot."""
    per_snapshot = config.collapse_steps // SNAPSHOTS
    if per_snapshot < 1:
        raise ValueError(f"collapse_steps={config.collapse_steps} must be at least {SNAPSHOTS} (one per snapshot)")
    gan = collapse_gan(name, config, device)
    snapshots = Snapshots().to(device)
    noise = torch.randn(SAMPLES, Z_DIM, generator=torch.Generator().manual_seed(derive_seed(seed, "ring noise")))

    @torch.no_grad()
    def snapshot(epoch: int) -> dict[str, float]:
        points = gan.generator(noise.to(device))
        snapshots.points[epoch] = points
        return coverage(points)

    checkpoint = checkpoint_path(checkpoint_dir, f"ring_{name}", settings=collapse_settings(name, config), seed=seed,
                                 snapshots=SNAPSHOTS, samples=SAMPLES)
    started = time.perf_counter()
    history = fit(gan.step, lambda: RingBatches(per_snapshot, config.collapse_batch_size, device),
                  name=f"mode collapse: {name}", epochs=SNAPSHOTS,
                  modules={"generator": gan.generator, "discriminator": gan.discriminator, "snapshots": snapshots},
                  optimizers={"generator": gan.opt_g, "discriminator": gan.opt_d}, checkpoint=checkpoint,
                  seed=derive_seed(seed, name), on_epoch_end=snapshot, progress=progress)
    return CollapseRun(name, [per_snapshot * (i + 1) for i in range(SNAPSHOTS)], snapshots.points.cpu(), history,
                       time.perf_counter() - started)


def run_mode_collapse(config: GanConfig, *, device: torch.device | str, seed: int, checkpoint_dir: Path | str,
                      processes: int = 1) -> dict[str, CollapseRun]:
    """Both runs; on a CPU with ``processes`` > 1 (and as many torch threads) they first train side by side in
    worker processes, and are then read back from their checkpoints here (as :func:`helpers.gans.experiment.run_gans`
    does)."""
    train = partial(run_collapse, config=config, device=device, seed=seed, checkpoint_dir=checkpoint_dir)
    seconds: dict[str, float] = {}
    processes = usable_processes(processes)
    if processes > 1 and torch.device(device).type == "cpu":
        seconds = in_processes({name: partial(_seconds, name, train) for name in COLLAPSE_RUNS}, processes)
    runs = {name: train(name) for name in COLLAPSE_RUNS}
    for name, run in runs.items():
        run.seconds += seconds.get(name, 0.0)
    return runs


def _seconds(name: str, train: partial) -> float:
    return train(name, progress=False).seconds

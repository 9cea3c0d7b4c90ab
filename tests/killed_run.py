"""A training run for the kill -9 tests of tests/test_training.py, in a process of its own.

    python -m tests.killed_run METHOD FOLDER

trains METHOD (one of :data:`RUNS`) on tiny data with its checkpoints in FOLDER, through the method's own entry
point (run_gan, run_method, pretrain_byol, train_segmenter), then saves its final weights and history to
FOLDER/result.pt. With ``PAUSE_AT_STEP=k`` in the environment it stops after its k-th training step (counted
from the process's start), prints "paused", the checkpoint and the steps per epoch, and waits to be killed: the
test sends SIGKILL there, mid-epoch.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import ModuleType

import torch

torch.set_num_threads(1)  # the same arithmetic in every run

from helpers.core.checkpoint import save_checkpoint  # noqa: E402
from helpers.core.config import make_config  # noqa: E402
from helpers.core.runtime import seed_everything  # noqa: E402
from helpers.core.images import ImageSet

CPU = torch.device("cpu")
PAUSED = "paused"


def pause_in(module: ModuleType, at_step: int) -> None:
    """Make ``module``'s ``fit`` (the name it imported) stop after step ``at_step`` until the process is killed."""
    real_fit = module.fit

    def fit(step, batches, **kwargs):
        done = 0

        def counted(batch, progress):
            nonlocal done
            losses = step(batch, progress)
            done += 1
            if done == at_step:
                print(PAUSED, kwargs["checkpoint"], len(batches()), flush=True)
                time.sleep(120)
                os._exit(3)  # nobody killed it
            return losses

        return real_fit(counted, batches, **kwargs)

    module.fit = fit


def noise_images(n: int, channels: int, size: int) -> ImageSet:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, channels, size, size), dtype=torch.uint8, generator=generator)
    return ImageSet(images, torch.arange(n) % 4, "noise")


def wgan(folder: Path, pause_at: int):
    """WGAN with n_critic 5 and 7 steps an epoch: an epoch does not end on a generator step."""
    from helpers.gans import methods
    from helpers.gans.config import GanConfig
    from helpers.gans.experiment import run_gan
    if pause_at:
        pause_in(methods, pause_at)
    config = make_config(GanConfig, "smoke", {"image_size": 16, "batch_size": 4, "epochs": 3, "n_critic": 5,
                                              "eval_samples": 10})
    run = run_gan("wgan", noise_images(28, 1, 16), config, device=CPU, seed=0, checkpoint_dir=folder)
    modules = {"generator": run.gan.generator, "discriminator": run.gan.discriminator}
    modules |= {"ema": run.gan.ema} if run.gan.ema is not None else {}
    return modules, {"history": run.history, "samples": run.samples}


def adda(folder: Path, pause_at: int):
    """ADDA's adaptation stage (the source pre-training before it finishes in the killed run)."""
    from helpers.adaptation import adda as adda_module
    from helpers.adaptation.common import DomainPair
    from helpers.adaptation.config import AddaConfig
    from helpers.adaptation.experiment import run_method
    from helpers.data import load_domains
    if pause_at:
        pause_in(adda_module, pause_at)
    config = make_config(AddaConfig, "smoke", {"adapt_epochs": 3, "batch_size": 64})
    domains = load_domains("embedded", ["digits-m", "digits-u"], copies=1)
    pair = DomainPair.of(domains["digits-m"], domains["digits-u"])
    result = run_method("adda", pair, config, data="embedded", seed=0, device=CPU, checkpoint_dir=folder)
    return {"model": result.model}, {"history": result.history, "accuracy": result.accuracy}


def byol(folder: Path, pause_at: int):
    from helpers.representation import experiment
    from helpers.representation.config import ByolConfig
    from helpers.representation.data import ByolData
    if pause_at:
        pause_in(experiment, pause_at)
    config = make_config(ByolConfig, "smoke", {"pretrain_epochs": 3, "pretrain_batch_size": 8, "warmup_epochs": 1})
    images = noise_images(40, 3, 16)
    data = ByolData(images, None, None, images, images, [str(i) for i in range(4)], {})
    model, history = experiment.pretrain_byol(data, config, seed=0, device=CPU, out_dir=folder, data_name="noise")
    return {"byol": model}, {"history": history}


def segmentation(folder: Path, pause_at: int):
    """FCN32s (dropout draws random numbers in every step) with the cosine schedule."""
    from helpers.data.scenes import SCENE_CLASSES, digit_scenes
    from helpers.segmentation import experiment
    from helpers.segmentation.config import SegmentationConfig
    from helpers.segmentation.data import SegmentationData, SegmentationSet
    if pause_at:
        pause_in(experiment, pause_at)
    config = make_config(SegmentationConfig, "smoke", {"epochs": 3, "batch_size": 4})
    scenes = digit_scenes(seed=0, train=20, val=6, canvas=32, digit_size=16)
    sets = {s: SegmentationSet(i, m, tuple(f"{k:04d}" for k in range(len(i))), s) for s, (i, m) in scenes.items()}
    data = SegmentationData(sets["train"], sets["validation"], SCENE_CLASSES, ())
    result = experiment.train_segmenter("fcn32s", data, config, watch=[0, 1], seed=0, device=CPU,
                                        checkpoint_dir=folder)
    return {"model": result.model}, {"history": result.history, "snapshots": result.snapshots}


RUNS = {"wgan": wgan, "adda": adda, "byol": byol, "segmentation": segmentation}


def main(method: str, folder: Path) -> None:
    seed_everything(0)  # run_gan builds its GAN from the global generator: the same one here and in the tests
    modules, results = RUNS[method](folder, int(os.environ.get("PAUSE_AT_STEP", "0")))
    save_checkpoint({"modules": {k: m.state_dict() for k, m in modules.items()}, "results": results},
                    folder / "result.pt")


if __name__ == "__main__":
    import helpers.core.training

    helpers.core.training.SAVE_EVERY = 1  # a checkpoint after every epoch, so that the kill mid-epoch 2 follows one
    main(sys.argv[1], Path(sys.argv[2]))

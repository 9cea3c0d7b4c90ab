"""A profile's step budget holds on a set larger than the budget, in every problem family: each training stops after
the budget's steps, where before its last epoch ran to the end (on the course's 22,500 images classification's
model B took 351 steps for 84). Each set below has 4 batches an epoch and the budget 5 steps: 2 epochs, the second
stopped after 1 batch (8 steps before)."""
import pytest
import torch

from helpers.adaptation.common import DomainPair
from helpers.adaptation.config import AddaConfig, DannConfig
from helpers.adaptation.experiment import run_method
from helpers.core.checkpoint import load_checkpoint
from helpers.core.config import budget, make_config
from helpers.core.images import Domain, ImageSet
from helpers.data.scenes import SCENE_CLASSES, digit_scenes
from helpers.diffusion.config import DdpmConfig
from helpers.diffusion.experiment import train_diffusion
from helpers.gans.acgan import build_acgan, run_acgan
from helpers.gans.config import AcganConfig, GanConfig
from helpers.gans.experiment import GanJob, run_gans
from helpers.gans.methods import build_gan
from helpers.representation.config import ClassificationConfig
from helpers.representation.experiment import train_model_a
from helpers.segmentation.config import SegmentationConfig
from helpers.segmentation.data import SegmentationData, SegmentationSet
from helpers.segmentation.experiment import train_segmenter

STEPS = 5
CPU = torch.device("cpu")


def images(n: int, channels: int, size: int, seed: int = 0) -> ImageSet:
    gen = torch.Generator().manual_seed(seed)
    return ImageSet(torch.randint(0, 256, (n, channels, size, size), generator=gen, dtype=torch.uint8),
                    torch.arange(n) % 10, f"noise{seed}")


def optimizer_steps(checkpoint) -> int:
    """The most steps any optimizer of a checkpoint took (Adam counts them per parameter)."""
    state = load_checkpoint(checkpoint)
    return max(int(p["step"]) for o in state["optimizers"].values() for p in o["state"].values())


@pytest.fixture(scope="module")
def pair():
    return DomainPair.of(Domain("a", images(32, 1, 28), images(8, 1, 28, 1)),
                         Domain("b", images(32, 1, 28, 2), images(8, 1, 28, 3)))


@pytest.mark.parametrize("method", ["source-only", "dann"])
def test_adaptation_trainings_take_the_budgets_steps(method, pair, tmp_path):
    config = make_config(DannConfig, "smoke", {"steps": STEPS, "batch_size": 8})
    assert (budget(config, "steps", 32).epochs, budget(config, "steps", 32).batches) == (2, 4)
    result = run_method(method, pair, config, data="noise", seed=0, device=CPU, checkpoint_dir=tmp_path)
    assert optimizer_steps(result.checkpoint) == STEPS
    assert len(result.history["target accuracy"]) == 2


def test_addas_adaptation_takes_its_budgets_steps(pair, tmp_path):
    config = make_config(AddaConfig, "smoke", {"steps": 4, "adapt_steps": STEPS, "batch_size": 8})
    result = run_method("adda", pair, config, data="noise", seed=0, device=CPU, checkpoint_dir=tmp_path)
    assert optimizer_steps(result.checkpoint) == STEPS


def test_a_diffusion_training_takes_the_budgets_steps(tmp_path):
    config = make_config(DdpmConfig, "smoke", {"steps": STEPS, "batch_size": 8, "T": 20, "grid_sampler": "ddim-5",
                                               "fid_sampler": "ddim-5"})
    trained = train_diffusion(config, images(32, 1, 12), conditional=False, name="ddpm", checkpoint_dir=tmp_path,
                              data="noise")
    assert optimizer_steps(trained.checkpoint) == STEPS


def test_the_gan_notebooks_jobs_and_the_acgan_take_the_budgets_steps(tmp_path):
    """The gan notebook's path: a GanJob with the budget's epochs and max_steps, through run_gans."""
    train = images(32, 1, 16)
    config = make_config(GanConfig, "smoke", {"steps": STEPS, "batch_size": 8, "image_size": 16})
    length = budget(config, "steps", len(train))
    job = GanJob(lambda: build_gan("dcgan", config, 1, "cpu"), length.epochs, "noise", length.max_steps)
    runs = run_gans({"dcgan": job}, train, config, device="cpu", seed=0, checkpoint_dir=tmp_path)
    assert optimizer_steps(runs["dcgan"].checkpoint) == STEPS
    acgan_config = make_config(AcganConfig, "smoke", {"steps": STEPS, "batch_size": 8, "image_size": 16})
    _, checkpoint = run_acgan(build_acgan(acgan_config, 1, 10, "cpu"), train, acgan_config, device="cpu", seed=0,
                              checkpoint_dir=tmp_path)
    assert optimizer_steps(checkpoint) == STEPS


def test_classification_and_segmentation_take_the_budgets_steps(tmp_path):
    config = make_config(ClassificationConfig, "smoke", {"steps_a": STEPS, "batch_size": 8, "train_limit": 0})
    domain = Domain("noise", images(32, 1, 28), images(8, 1, 28, 1))
    model_a = train_model_a(config, domain, data="noise", seed=0, device=CPU, out_dir=tmp_path)
    assert optimizer_steps(model_a.checkpoint) == STEPS
    scenes = digit_scenes(seed=0, train=32, val=4, canvas=32, digit_size=16)
    sets = {s: SegmentationSet(i, m, tuple(f"{k:04d}" for k in range(len(i))), s) for s, (i, m) in scenes.items()}
    data = SegmentationData(sets["train"], sets["validation"], SCENE_CLASSES, ())
    seg_config = make_config(SegmentationConfig, "smoke", {"steps": STEPS, "batch_size": 8})
    assert budget(seg_config, "steps", len(data.train)).batches == 4
    result = train_segmenter("fcn32s", data, seg_config, watch=[0], seed=0, device=CPU, checkpoint_dir=tmp_path)
    assert optimizer_steps(result.checkpoint) == STEPS

"""GAN pieces: the WGAN-GP penalty, spectral norm, weight clipping, the method table, divergence."""
import pytest
import torch
from torch import nn

from helpers.core.checkpoint import load_checkpoint
from helpers.core.config import make_config
from helpers.core.images import ImageSet
from helpers.core.training import TrainingDiverged
from helpers.data.batches import Batches
from helpers.gans.config import GanConfig
from helpers.gans.losses import clip_weights, gradient_penalty
from helpers.gans.methods import build_gan, train_gan
from helpers.gans.networks import Discriminator, Generator


def test_gradient_penalty_equals_the_hand_computed_value():
    # D(x) = 3 x0 + 4 x1: its gradient is (3, 4, 0, 0) everywhere, norm 5, so the penalty is (5 - 1)^2 = 16.
    critic = nn.Sequential(nn.Flatten(), nn.Linear(4, 1, bias=False))
    with torch.no_grad():
        critic[1].weight.copy_(torch.tensor([[3.0, 4.0, 0.0, 0.0]]))
    real, fake = torch.randn(5, 1, 2, 2), torch.randn(5, 1, 2, 2)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(16.0)
    with torch.no_grad():
        critic[1].weight.copy_(torch.tensor([[0.6, 0.8, 0.0, 0.0]]))  # norm 1: no penalty
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-10)


def test_spectral_normalised_layers_have_largest_singular_value_one():
    torch.manual_seed(0)
    critic = Discriminator(16, 1, 8, norm="spectral")
    critic.train()
    for _ in range(30):  # power iterations run in training-mode forward passes
        critic(torch.randn(4, 1, 16, 16))
    critic.eval()
    convs = [m for m in critic.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3 and all(hasattr(m, "parametrizations") for m in convs)
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=0.05)


def test_weight_clipping_keeps_every_parameter_within_the_bound():
    critic = Discriminator(16, 1, 8, norm="batch")
    with torch.no_grad():
        for p in critic.parameters():
            p.normal_(0, 1)
    clip_weights(critic, 0.01)
    assert all(p.abs().max().item() <= 0.01 for p in critic.parameters())
    assert any(p.abs().max().item() == pytest.approx(0.01) for p in critic.parameters())


def test_generator_and_discriminator_are_sized_by_image_size_and_channels():
    generator = Generator(64, 3, 64)
    assert generator.project[0].out_features == 8192  # the reference printout: Linear(100 -> 8192)
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in generator.modules()) == 4
    assert generator(torch.randn(2, 100)).shape == (2, 3, 64, 64)
    assert Discriminator(64, 3, 64)(torch.randn(2, 3, 64, 64)).shape == (2,)
    assert Generator(32, 1, 8)(torch.randn(2, 100)).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="image_size=48"):
        Generator(48, 1, 8)


def test_unknown_method_names_are_refused_with_the_valid_choices():
    with pytest.raises(ValueError, match="dcgan, wgan, wgan-gp, sngan"):
        make_config(GanConfig, "smoke", {"methods": ("dcgan", "bigan")})
    with pytest.raises(ValueError, match="unknown GAN method 'bigan'"):
        build_gan("bigan", make_config(GanConfig, "smoke"), 1, "cpu")


@pytest.mark.parametrize("method", ["dcgan", "wgan", "wgan-gp", "sngan"])
def test_each_method_trains_a_step_and_its_constraint_holds(method):
    torch.manual_seed(0)
    config = make_config(GanConfig, "smoke", {"image_size": 16, "n_critic": 2})
    images = ImageSet(torch.randint(0, 256, (32, 1, 16, 16), dtype=torch.uint8), torch.zeros(32, dtype=torch.long), "noise")
    gan = build_gan(method, config, 1, "cpu")
    history = train_gan(gan, Batches(images, 8), epochs=1, checkpoint=None, seed=0)
    assert len(history["d_loss"]) == 1 and len(history["g_loss"]) == 1
    if method == "wgan":
        assert all(p.abs().max() <= config.wgan_clip for p in gan.discriminator.parameters())
    assert gan.steps == 4


def test_a_wgan_with_a_huge_learning_rate_diverges_with_a_named_error():
    torch.manual_seed(0)
    config = make_config(GanConfig, "smoke", {"image_size": 16, "wgan_lr": 1e30, "wgan_clip": 1e30, "n_critic": 1})
    images = ImageSet(torch.randint(0, 256, (64, 1, 16, 16), dtype=torch.uint8), torch.zeros(64, dtype=torch.long), "noise")
    gan = build_gan("wgan", config, 1, "cpu")
    with pytest.raises(TrainingDiverged, match="wgan: loss '(d|g)_loss' is (nan|inf|-inf)"):
        train_gan(gan, Batches(images, 8), epochs=3, checkpoint=None, seed=0)


def test_acgan_auxiliary_head_learns_from_real_images_unless_asked_for_the_papers_loss():
    """With aux_on_generated=False the discriminator's class loss ignores the requested labels of generated
    images: for the same images, its update is the same whatever the generator was asked for. The paper's
    loss depends on them."""
    from helpers.core.config import make_config
    from helpers.gans.acgan import build_acgan
    from helpers.gans.config import AcganConfig

    def discriminator_after_one_step(aux_on_generated: bool, wanted_offset: int) -> torch.Tensor:
        torch.manual_seed(0)
        config = make_config(AcganConfig, "smoke", {"image_size": 16})
        acgan = build_acgan(config, channels=1, n_classes=10, device="cpu")
        acgan.aux_on_generated = aux_on_generated
        real, labels = torch.rand(8, 1, 16, 16) * 2 - 1, torch.arange(8) % 10
        fake = (torch.rand(8, 1, 16, 16) * 2 - 1).requires_grad_()
        acgan.generator.forward = lambda z, wanted: fake * 1.0  # the same images whatever the label
        original_randint = torch.randint
        torch.randint = lambda low, high, size, **kw: (original_randint(low, high, size, **kw) + wanted_offset) % high
        try:
            torch.manual_seed(1)
            acgan.step((real, labels), 0.0)
        finally:
            torch.randint = original_randint
        return torch.cat([p.detach().flatten() for p in acgan.discriminator.parameters()])

    assert torch.allclose(discriminator_after_one_step(False, 0), discriminator_after_one_step(False, 3))
    assert not torch.allclose(discriminator_after_one_step(True, 0), discriminator_after_one_step(True, 3))


@pytest.mark.parametrize("method", ["dcgan", "wgan-gp", "sngan"])
def test_adam_methods_give_the_generator_g_lr_ratio_times_the_discriminators_rate(method):
    config = make_config(GanConfig, "smoke", {"image_size": 16, "g_lr_ratio": 10.0})
    gan = build_gan(method, config, 1, "cpu")
    assert gan.opt_g.param_groups[0]["lr"] == pytest.approx(10 * gan.opt_d.param_groups[0]["lr"])
    wgan = build_gan("wgan", config, 1, "cpu")  # WGAN keeps its paper's equal RMSProp rates
    assert wgan.opt_g.param_groups[0]["lr"] == wgan.opt_d.param_groups[0]["lr"] == config.wgan_lr


def test_wgan_gp_and_wgan_take_their_own_critic_steps_per_generator_step():
    config = make_config(GanConfig, "smoke", {"image_size": 16, "n_critic": 5, "wgan_gp_n_critic": 1})
    assert build_gan("wgan", config, 1, "cpu").n_critic == 5
    assert build_gan("wgan-gp", config, 1, "cpu").n_critic == 1


def test_samples_come_from_the_moving_average_of_the_generator_weights():
    torch.manual_seed(0)
    config = make_config(GanConfig, "smoke", {"image_size": 16, "ema_decay": 0.5})
    images = ImageSet(torch.randint(0, 256, (32, 1, 16, 16), dtype=torch.uint8), torch.zeros(32, dtype=torch.long), "noise")
    gan = build_gan("dcgan", config, 1, "cpu")
    assert gan.sampler is gan.ema.module
    snapshots = []
    original_step = gan.opt_g.step

    def step_and_record(*args, **kwargs):
        original_step(*args, **kwargs)
        snapshots.append(gan.generator.project[0].weight.detach().clone())

    gan.opt_g.step = step_and_record
    train_gan(gan, Batches(images, 8), epochs=1, checkpoint=None, seed=0)
    assert len(snapshots) == 4
    expected = snapshots[0]  # the first update copies the weights, then w_avg <- d w_avg + (1 - d) w
    for n, weights in enumerate(snapshots[1:], start=1):
        d = min(0.5, (1 + n) / (10 + n))  # the warm-up: 2/11, 3/12, 4/13
        expected = d * expected + (1 - d) * weights
    assert torch.allclose(gan.ema.module.project[0].weight, expected)
    assert not torch.allclose(gan.ema.module.project[0].weight, gan.generator.project[0].weight)
    off = build_gan("dcgan", make_config(GanConfig, "smoke", {"image_size": 16, "ema_decay": 0.0}), 1, "cpu")
    assert off.ema is None and off.sampler is off.generator


def test_the_latent_code_is_read_off_the_noise_uniformly_and_fixes_one_image():
    torch.manual_seed(0)
    generator = Generator(16, 1, 8, code=10).eval()
    z = torch.randn(20000, 100)
    counts = torch.bincount(generator.code_of(z), minlength=10)
    assert len(counts) == 10 and (counts - 2000).abs().max() < 200  # ten equally likely values
    assert generator.project[0].in_features == 110  # z and the one-hot code
    with torch.no_grad():
        assert torch.equal(generator(z[:4]), generator(z[:4].clone()))
        moved = z[:4].clone()
        moved[:, 0] = torch.where(generator.code_of(z[:4]) == 0, 3.0, -3.0)  # another code, the same z[1:]
        assert not torch.allclose(generator(z[:4]), generator(moved))
    assert Generator(16, 1, 8).project[0].in_features == 100  # code 0: the papers' z alone


@pytest.mark.parametrize("method", ["dcgan", "wgan-gp", "sngan"])
def test_the_info_term_trains_the_code_head(method):
    torch.manual_seed(0)
    images = ImageSet(torch.randint(0, 256, (32, 1, 16, 16), dtype=torch.uint8), torch.zeros(32, dtype=torch.long), "noise")
    coded = build_gan(method, make_config(GanConfig, "smoke", {"image_size": 16, "latent_code": 4}), 1, "cpu")
    plain = build_gan(method, make_config(GanConfig, "smoke", {"image_size": 16, "latent_code": 0}), 1, "cpu")
    assert coded.info_weight == 1.0 and plain.info_weight == 0.0 and plain.discriminator.classify is None
    head = [p.detach().clone() for p in coded.discriminator.classify.parameters()]
    z = torch.randn(64, 100)
    with torch.no_grad():
        before = torch.nn.functional.cross_entropy(coded.scores(coded.generator.eval()(z))[1], coded.generator.code_of(z))
    for _ in range(40):
        for batch in Batches(images, 8):
            coded.step(batch, 0.0)
    with torch.no_grad():
        after = torch.nn.functional.cross_entropy(coded.scores(coded.generator.eval()(z))[1], coded.generator.code_of(z))
    assert any(not torch.equal(a, b.detach()) for a, b in zip(head, coded.discriminator.classify.parameters()))
    if method == "dcgan":  # the head tells the codes apart and the generator keeps them apart
        assert after < 0.5 * before


def test_the_generator_runs_once_a_step_and_keeps_its_graph_only_for_generator_steps():
    torch.manual_seed(0)
    config = make_config(GanConfig, "smoke", {"image_size": 16, "n_critic": 3})
    images = ImageSet(torch.randint(0, 256, (48, 1, 16, 16), dtype=torch.uint8), torch.zeros(48, dtype=torch.long), "noise")
    gan = build_gan("wgan", config, 1, "cpu")
    graphs = []
    gan.generator.register_forward_hook(lambda module, inputs, output: graphs.append(output.requires_grad))
    for batch in Batches(images, 8):
        gan.step(batch, 0.0)
    assert graphs == [False, False, True] * 2  # six critic steps, a generator step on every third's images


def _tiny_jobs(config, names):
    from functools import partial

    from helpers.gans.experiment import GanJob
    build = {"dcgan": partial(build_gan, "dcgan", config, 1, "cpu"), "sngan": partial(build_gan, "sngan", config, 1, "cpu"),
             "wgan-gp": partial(build_gan, "wgan-gp", config, 1, "cpu")}
    return {name: GanJob(build[name], 1, "noise") for name in names}


def test_runs_trained_in_worker_processes_equal_runs_trained_here(tmp_path, monkeypatch):
    from helpers.gans import experiment
    from helpers.gans.methods import Gan
    from helpers.grading.judge import Judge, JudgeNet
    config = make_config(GanConfig, "smoke", {"image_size": 16, "eval_samples": 20})
    images = ImageSet(torch.randint(0, 256, (32, 1, 16, 16), dtype=torch.uint8), torch.zeros(32, dtype=torch.long), "noise")
    torch.manual_seed(0)
    judge = Judge(JudgeNet(1, 16).eval(), 1, 16, 0.5, torch.device("cpu"))  # pickled into the workers, as a notebook's
    here = experiment.run_gans(_tiny_jobs(config, ["dcgan", "sngan", "wgan-gp"]), images, config, device="cpu", seed=0,
                               checkpoint_dir=tmp_path / "here", judge=judge, processes=1)
    alone = experiment.run_gans(_tiny_jobs(config, ["sngan"]), images, config, device="cpu", seed=0,
                                checkpoint_dir=tmp_path / "alone", judge=judge, processes=1)
    monkeypatch.setattr(Gan, "step", lambda *args: pytest.fail("trained here, not in a worker"))
    # two workers of one thread each, as on two cores, though this process has one thread: the same arithmetic
    monkeypatch.setattr(experiment, "usable_processes", lambda processes: processes)
    workers = experiment.run_gans(_tiny_jobs(config, ["dcgan", "sngan", "wgan-gp"]), images, config, device="cpu",
                                  seed=0, checkpoint_dir=tmp_path / "workers", judge=judge, processes=2)
    assert set(workers) == {"dcgan", "sngan", "wgan-gp"}
    for name, run in workers.items():
        assert torch.equal(run.samples, here[name].samples), name
        assert run.history == here[name].history and len(run.history["d_loss"]) == 1
        assert load_checkpoint(run.checkpoint)["epoch"] == 1
    assert torch.equal(alone["sngan"].samples, here["sngan"].samples)  # a run does not depend on the runs before it


@pytest.mark.parametrize("bf16", [False, True])
def test_bf16_runs_the_forward_passes_in_bfloat16_and_keeps_weights_and_losses_float32(bf16):
    torch.manual_seed(0)
    config = make_config(GanConfig, "smoke", {"image_size": 16, "bf16": bf16})
    images = ImageSet(torch.randint(0, 256, (16, 1, 16, 16), dtype=torch.uint8), torch.zeros(16, dtype=torch.long), "noise")
    gan = build_gan("wgan-gp", config, 1, "cpu")  # the gradient penalty's double backward included
    assert gan.bf16 is bf16
    seen = []
    gan.discriminator.features.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    gan.generator.upsample.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    out = gan.step(next(iter(Batches(images, 8))), 0.0)
    assert set(seen) == {torch.bfloat16 if bf16 else torch.float32}
    assert out["d_loss"].dtype == out["g_loss"].dtype == torch.float32 and torch.isfinite(out["d_loss"])
    assert all(p.dtype == torch.float32 for p in [*gan.generator.parameters(), *gan.discriminator.parameters()])


def test_bf16_is_on_by_default_only_where_bfloat16_is_native(monkeypatch):
    from helpers.gans import config as gan_config
    monkeypatch.setattr(gan_config, "bfloat16_is_native", lambda: False)
    assert GanConfig().bf16 is False
    monkeypatch.setattr(gan_config, "bfloat16_is_native", lambda: True)
    assert GanConfig().bf16 is True


def test_a_worker_process_error_reaches_the_notebook_with_its_name(tmp_path, monkeypatch):
    from functools import partial

    from helpers.gans import experiment
    from helpers.gans.experiment import GanJob, run_gans
    config = make_config(GanConfig, "smoke", {"image_size": 16, "wgan_lr": 1e30, "wgan_clip": 1e30, "n_critic": 1})
    images = ImageSet(torch.randint(0, 256, (64, 1, 16, 16), dtype=torch.uint8), torch.zeros(64, dtype=torch.long), "noise")
    jobs = {name: GanJob(partial(build_gan, name, config, 1, "cpu"), 3, "noise") for name in ("dcgan", "wgan")}
    monkeypatch.setattr(experiment, "usable_processes", lambda processes: processes)  # workers on one thread
    with pytest.raises(TrainingDiverged, match="wgan: loss '(d|g)_loss' is (nan|inf|-inf)"):
        run_gans(jobs, images, config, device="cpu", seed=0, checkpoint_dir=tmp_path, processes=2)


def test_the_gpu_profile_prints_the_reference_dcgan_generator():
    config = make_config(GanConfig, "gpu")
    gan = build_gan("dcgan", config, 3, "cpu")
    linear = gan.generator.project[0]
    assert (linear.in_features, linear.out_features) == (100, 8192)  # DLCV HW2 P1's printout
    assert [m.out_channels for m in gan.generator.modules() if isinstance(m, nn.ConvTranspose2d)] == [256, 128, 64, 3]
    assert gan.discriminator.classify is None and config.processes == 1  # no code head; one GPU, one process


def test_a_training_set_smaller_than_a_batch_trains_in_one_clamped_batch(tmp_path):
    """6 images, batch 16: each GAN (and ACGAN) trains on batches of all 6, one step an epoch."""
    from helpers.core.config import budget
    from helpers.gans.acgan import build_acgan, run_acgan
    from helpers.gans.config import AcganConfig
    from helpers.gans.experiment import run_gan

    train = ImageSet(torch.randint(0, 256, (6, 1, 16, 16), dtype=torch.uint8), torch.arange(6) % 2, "six")
    config = make_config(GanConfig, "smoke", {"image_size": 16, "steps": 2, "eval_samples": 10, "batch_size": 16})
    assert budget(config, "steps", len(train)).batch_size == 6
    run = run_gan("dcgan", train, config, device="cpu", seed=0, checkpoint_dir=tmp_path, progress=False)
    assert len(run.history["d_loss"]) == 2  # 2 steps: 2 epochs of one batch
    acgan_config = make_config(AcganConfig, "smoke", {"image_size": 16, "steps": 2, "batch_size": 16})
    history, _ = run_acgan(build_acgan(acgan_config, 1, 2, "cpu"), train, acgan_config, device="cpu", seed=0,
                           checkpoint_dir=tmp_path)
    assert len(history["d_loss"]) == 2

"""The diffusion pipeline: UNet shapes, EMA training with checkpoints that resume, timed sampling, configs."""
import pytest
import torch

from helpers.core.checkpoint import load_checkpoint
from helpers.core.config import make_config
from helpers.core.images import ImageSet
from helpers.diffusion.config import ConditionalDiffusionConfig, DdpmConfig
from helpers.diffusion.experiment import (diffusion_checkpoint, digit_labels, generate, resize,
                                         train_diffusion, training_fields)
from helpers.diffusion.networks import UNet
from helpers.grading.judge import per_digit_accuracy


def tiny_set(n=40, channels=1, size=12):
    gen = torch.Generator().manual_seed(0)
    return ImageSet(torch.randint(0, 256, (n, channels, size, size), generator=gen, dtype=torch.uint8),
                    torch.arange(n) % 10, "tiny")


def tiny_config(cls=ConditionalDiffusionConfig, **overrides):
    return make_config(cls, "smoke", {"batch_size": 8, "T": 50, "sampler": "ddim-5", "samplers": ("ddpm", "ddim-5"),
                                      **overrides} if cls is ConditionalDiffusionConfig else {"batch_size": 8, "T": 50,
                                      "grid_sampler": "ddim-5", "fid_sampler": "ddim-5", **overrides})


@pytest.mark.parametrize("size, mults, attention", [(12, (1, 2), 6), (28, (1, 2, 2), 7), (16, (1, 2, 2), 4)])
def test_unet_keeps_the_shape_with_and_without_classes(size, mults, attention):
    x, t = torch.randn(3, 3, size, size), torch.tensor([0, 10, 999])
    conditional = UNet(3, size, 8, mults, num_classes=10, attention_resolution=attention)
    assert conditional(x, t, torch.tensor([0, 5, 10])).shape == x.shape  # 10: the null label
    assert conditional(x, t).shape == x.shape  # no labels: the null label
    unconditional = UNet(3, size, 8, mults, attention_resolution=attention)
    assert unconditional(x, t).shape == x.shape
    with pytest.raises(ValueError, match="unconditional"):
        unconditional(x, t, torch.tensor([0, 1, 2]))
    assert "SelfAttention" in str(conditional)


def test_a_checkpoint_saved_mid_training_resumes_to_the_same_weights(tmp_path, monkeypatch):
    import helpers.diffusion.experiment as experiment

    data, config = tiny_set(), tiny_config(epochs=2)  # 40 images, batch 8: 5 steps per epoch
    monkeypatch.setattr("helpers.core.training.SAVE_EVERY", 1)  # a checkpoint after every epoch, epoch 1's among them
    run = dict(conditional=True, name="run", seed=3, data="tiny")
    straight = train_diffusion(config, data, checkpoint_dir=tmp_path / "a", **run)
    assert straight.checkpoint.parent == tmp_path / "a" and straight.checkpoint.exists()

    real_loss, calls = experiment.diffusion_loss, []

    def killed_in_epoch_two(*args, **kwargs):
        calls.append(1)
        if len(calls) == 7:
            raise KeyboardInterrupt  # the kill, two steps into the second epoch
        return real_loss(*args, **kwargs)

    monkeypatch.setattr(experiment, "diffusion_loss", killed_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        train_diffusion(config, data, checkpoint_dir=tmp_path / "b", **run)
    assert load_checkpoint(tmp_path / "b" / straight.checkpoint.name)["epoch"] == 1
    monkeypatch.setattr(experiment, "diffusion_loss", real_loss)
    resumed = train_diffusion(config, data, checkpoint_dir=tmp_path / "b", **run)
    assert resumed.history == straight.history and len(resumed.history["loss"]) == 2
    for a, b in zip(straight.ema.parameters(), resumed.ema.parameters()):
        torch.testing.assert_close(a, b)
    assert not torch.equal(next(straight.ema.parameters()), next(straight.model.parameters()))  # EMA differs



@pytest.mark.parametrize("cls", [DdpmConfig, ConditionalDiffusionConfig])
def test_the_checkpoint_keeps_the_name_the_notebooks_gave_it(cls, tmp_path):
    """Checkpoints saved before train_diffusion named them still resume: the name is the one the ddpm and
    conditional_diffusion notebooks computed themselves, for every profile."""
    from helpers.core.checkpoint import checkpoint_path

    data = tiny_set()
    for profile in ("smoke", "cpu", "gpu"):
        config = make_config(cls, profile)
        if cls is DdpmConfig:  # the notebooks' own lines, as they were
            old = checkpoint_path(tmp_path, "ddpm", config=training_fields(config), data="embedded", seed=1,
                                  images=len(data), size=config.data_image_size)
        else:
            old = checkpoint_path(tmp_path, "conditional", config=training_fields(config), data="embedded", seed=1,
                                  images=len(data), size=config.judge_size, copies=config.copies)
        new = diffusion_checkpoint(tmp_path, config, data, conditional=cls is ConditionalDiffusionConfig,
                                   data="embedded", seed=1)
        assert new == old
    # every part of the identity counts
    config = make_config(cls, "smoke")
    base = diffusion_checkpoint(tmp_path, config, data, conditional=True, data="embedded", seed=1)
    changed = [diffusion_checkpoint(tmp_path, config, data, conditional=False, data="embedded", seed=1),
               diffusion_checkpoint(tmp_path, config, data, conditional=True, data="/course", seed=1),
               diffusion_checkpoint(tmp_path, config, data, conditional=True, data="embedded", seed=2),
               diffusion_checkpoint(tmp_path, config, tiny_set(n=41), conditional=True, data="embedded", seed=1),
               diffusion_checkpoint(tmp_path, make_config(cls, "smoke", {"lr": 1e-3}), data, conditional=True,
                                    data="embedded", seed=1)]
    assert len({base, *changed}) == 6
    # the loss weighting is part of the name when it is not the simple loss (which left it out before it existed)
    losses = [{"loss_weighting": "simple"}, {"loss_weighting": "min-snr", "min_snr_gamma": 5.0},
              {"loss_weighting": "min-snr", "min_snr_gamma": 1.0}]
    names = {diffusion_checkpoint(tmp_path, make_config(cls, "smoke", loss), data, conditional=True, data="embedded",
                                  seed=1) for loss in losses}
    simple = make_config(cls, "smoke", {"loss_weighting": "simple", "min_snr_gamma": 1.0})
    assert len(names) == 3 and "loss_weighting" not in training_fields(simple)


def test_a_checkpoint_folder_needs_the_data_that_names_it(tmp_path):
    with pytest.raises(ValueError, match="needs data="):
        train_diffusion(tiny_config(), tiny_set(), conditional=True, name="run", checkpoint_dir=tmp_path)
    assert train_diffusion(tiny_config(steps=1), tiny_set(), conditional=True, name="run").checkpoint is None

def test_generate_samples_from_the_ema_model_in_batches_and_times_them():
    data = tiny_set(channels=3)
    trained = train_diffusion(tiny_config(), data, conditional=True, name="tiny")
    labels = digit_labels(2)
    images, seconds, kept = generate(trained, 20, sampler="ddim-5", labels=labels, w=2.0, batch_size=7, seed=1,
                                     snapshots=(50, 0))
    assert images.shape == (20, 3, 12, 12) and seconds > 0 and images.abs().max() <= 1
    assert set(kept) == {50, 0} and torch.equal(kept[0], images[0]) and kept[50].abs().max() <= 1
    again, _, _ = generate(trained, 20, sampler="ddim-5", labels=labels, w=2.0, batch_size=7, seed=1)
    assert torch.equal(images, again)
    # a given starting noise: the same as drawing it from the seed (one draw of n = the batches' draws) ...
    noise = torch.randn(20, 3, 12, 12, generator=torch.Generator().manual_seed(1))
    given, _, _ = generate(trained, 20, sampler="ddim-5", labels=labels, w=2.0, batch_size=7, seed=99, x_T=noise)
    torch.testing.assert_close(given, images)
    # ... and a subset of it gives the same samples as in the full run (a sweep row starting from the grid's noise)
    part, _, _ = generate(trained, 4, sampler="ddim-5", labels=labels[[0, 1, 10, 11]], w=2.0, batch_size=50,
                          x_T=noise[[0, 1, 10, 11]])
    torch.testing.assert_close(part, images[[0, 1, 10, 11]], atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="x_T holds 3 noise images for n=20"):
        generate(trained, 20, sampler="ddim-5", labels=labels, x_T=noise[:3])


def test_per_digit_accuracy_and_resize():
    labels = digit_labels(2, classes=3)
    assert labels.tolist() == [0, 0, 1, 1, 2, 2]
    table = per_digit_accuracy(torch.tensor([0, 1, 1, 1, 0, 0]), labels, classes=3)
    assert table == {"0": 0.5, "1": 1.0, "2": 0.0, "overall": 0.5}
    assert resize(torch.zeros(2, 3, 16, 16, dtype=torch.uint8), 28).shape == (2, 3, 28, 28)


@pytest.mark.parametrize("cls, overrides, message", [
    (ConditionalDiffusionConfig, {"sampler": "ddim-5000"}, "steps=5000 must lie in 1..T=1000"),
    (ConditionalDiffusionConfig, {"samplers": ("ddpm-1000", "plms-20")}, "unknown sampler 'plms-20'"),
    (ConditionalDiffusionConfig, {"guidance": (0.0, -1.0)}, "guidance=-1.0 is out of range"),
    (ConditionalDiffusionConfig, {"w": -0.5}, "w=-0.5 is out of range"),
    (DdpmConfig, {"fid_sampler": "ddim"}, "unknown sampler 'ddim'"),
])
def test_bad_configuration_gives_clear_errors(cls, overrides, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        make_config(cls, "cpu", overrides)


@pytest.mark.parametrize("profile", ["cpu", "gpu"])
def test_every_sweep_row_samples_in_full_batches_of_the_grids_size(profile):
    """Seconds per 100 images compare samplers only at the same batch size: the grid, the DDIM rows and the
    DDPM row each fill whole batches of ``sample_batch`` images (the cost per image depends on the batch)."""
    config = make_config(ConditionalDiffusionConfig, profile)
    rows = [10 * config.ddpm_per_digit, 10 * config.sweep_per_digit, 10 * config.per_digit]
    assert all(n % config.sample_batch == 0 for n in rows), (rows, config.sample_batch)


def test_bf16_autocast_trains_and_samples_in_mixed_precision_and_is_part_of_the_checkpoint_identity():
    from helpers.diffusion.experiment import autocast_bf16, training_fields

    model = UNet(3, 12, 8, (1, 2), num_classes=10, attention_resolution=6).eval()
    x, t, y = torch.randn(4, 3, 12, 12), torch.tensor([0, 10, 500, 999]), torch.tensor([0, 1, 2, 10])
    assert autocast_bf16(model, "cpu", enabled=False) is model
    with torch.no_grad():
        full, mixed = model(x, t, y), autocast_bf16(model, "cpu")(x, t, y)
    assert mixed.dtype == torch.float32 and not torch.equal(full, mixed)  # bfloat16 inside, float32 out
    torch.testing.assert_close(mixed, full, atol=0.1, rtol=0.1)

    data = tiny_set(channels=3)
    trained = train_diffusion(tiny_config(bf16=True), data, conditional=True, name="tiny")
    assert trained.bf16 and all(p.dtype == torch.float32 for p in trained.ema.parameters())
    assert not train_diffusion(tiny_config(bf16=False), data, conditional=True, name="tiny").bf16
    images, _, _ = generate(trained, 10, sampler="ddim-5", labels=digit_labels(1), w=2.0, batch_size=5, seed=1)
    assert images.dtype == torch.float32 and images.shape == (10, 3, 12, 12)
    assert training_fields(tiny_config(bf16=True))["bf16"] and not training_fields(tiny_config(bf16=False))["bf16"]
    assert "bf16" not in training_fields(tiny_config(DdpmConfig))  # the DDPM notebook's checkpoints keep their names


def test_bf16_is_on_by_default_only_where_bfloat16_is_native(monkeypatch):
    import helpers.diffusion.config as diffusion_config
    monkeypatch.setattr(diffusion_config, "bfloat16_is_native", lambda: False)
    assert diffusion_config.ConditionalDiffusionConfig().bf16 is False
    monkeypatch.setattr(diffusion_config, "bfloat16_is_native", lambda: True)
    assert diffusion_config.ConditionalDiffusionConfig().bf16 is True
    assert diffusion_config.ConditionalDiffusionConfig(bf16=False).bf16 is False  # an explicit choice wins


def test_a_training_set_smaller_than_a_batch_trains_in_one_clamped_batch():
    """5 images, batch 8: the UNet trains on batches of all 5, one step an epoch (2 steps: 2 epochs)."""
    trained = train_diffusion(tiny_config(steps=2), tiny_set(n=5), conditional=True, name="five")
    assert len(trained.history["loss"]) == 2

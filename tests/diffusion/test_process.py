"""helpers.diffusion.process: the noise math, tested on models whose right answer is known."""
import pytest
import torch

from helpers.diffusion.process import (ddim_step, ddim_timesteps, ddpm_step, diffusion_loss, drop_labels, guided_eps,
                                       make_schedule, parse_sampler, q_sample, sample, sample_steps)


def test_q_sample_matches_the_closed_form():
    schedule = make_schedule(1000)
    x0, noise = torch.randn(5, 1, 4, 4), torch.randn(5, 1, 4, 4)
    t = torch.tensor([0, 10, 250, 500, 999])
    betas = schedule.betas.tolist()
    for i, step in enumerate(t.tolist()):
        abar = 1.0
        for b in betas[: step + 1]:
            abar *= 1 - b
        expected = abar**0.5 * x0[i] + (1 - abar) ** 0.5 * noise[i]
        torch.testing.assert_close(q_sample(schedule, x0, t, noise)[i], expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_alpha_bar_falls_monotonically_from_one_to_almost_zero(kind):
    abar = make_schedule(1000, kind).alpha_bar
    assert bool((abar[1:] < abar[:-1]).all())
    assert 0.99 < abar[0].item() < 1 and abar[-1].item() < 1e-3


def perfect_predictor(schedule, x0):
    """The model that knows x0: its noise estimate is exactly the noise that turns x0 into x_t."""
    def model(x, t, labels):
        abar = schedule.alpha_bar[t].float().reshape(-1, 1, 1, 1)
        return (x - abar.sqrt() * x0) / (1 - abar).sqrt()
    return model


@pytest.mark.parametrize("sampler", ["ddpm", "ddim-50", "ddim-7"])
def test_a_perfect_noise_predictor_recovers_x0(sampler):
    schedule = make_schedule(1000)
    x0 = torch.rand(4, 1, 6, 6) * 1.6 - 0.8
    out = sample(perfect_predictor(schedule, x0), schedule, tuple(x0.shape), sampler=sampler,
                 generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, x0, rtol=1e-4, atol=1e-4)


def test_one_ddpm_step_of_a_perfect_predictor_is_the_true_posterior_mean():
    schedule = make_schedule(100)
    x0, noise = torch.rand(3, 1, 4, 4), torch.randn(3, 1, 4, 4)
    t = 40
    x = q_sample(schedule, x0, torch.full((3,), t), noise)
    abar, beta = schedule.alpha_bar.float(), schedule.betas.float()
    mean = (abar[t - 1].sqrt() * beta[t] / (1 - abar[t])) * x0 + ((1 - beta[t]).sqrt() * (1 - abar[t - 1]) / (1 - abar[t])) * x
    gen = torch.Generator().manual_seed(1)
    out = ddpm_step(schedule, x, t, noise, generator=gen)
    z = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(out, mean + beta[t].sqrt() * z, rtol=1e-5, atol=1e-5)


def test_ddim_with_eta_zero_is_deterministic_and_ignores_the_step_generator():
    schedule = make_schedule(200)
    model = lambda x, t, labels: 0.5 * x  # noqa: E731 - any fixed model
    x_T = torch.randn(2, 1, 5, 5)
    runs = [sample(model, schedule, (2, 1, 5, 5), sampler="ddim-20", x_T=x_T, generator=torch.Generator().manual_seed(s))
            for s in (0, 0, 7)]
    assert torch.equal(runs[0], runs[1]) and torch.equal(runs[0], runs[2])
    seeded = [sample(model, schedule, (2, 1, 5, 5), sampler="ddim-20", generator=torch.Generator().manual_seed(3))
              for _ in range(2)]
    assert torch.equal(*seeded)
    noisy = [sample(model, schedule, (2, 1, 5, 5), sampler="ddim-20", x_T=x_T, eta=1.0,
                    generator=torch.Generator().manual_seed(s)) for s in (0, 7)]
    assert not torch.equal(*noisy)


def test_ddim_step_to_x0_with_the_true_noise_is_exact():
    schedule = make_schedule(1000)
    x0, noise = torch.rand(2, 3, 4, 4) * 2 - 1, torch.randn(2, 3, 4, 4)
    x = q_sample(schedule, x0, torch.full((2,), 600), noise)
    torch.testing.assert_close(ddim_step(schedule, x, 600, -1, noise), x0, rtol=1e-4, atol=1e-4)


def test_guidance_with_w_zero_is_the_conditional_prediction_and_w_follows_the_formula():
    def model(x, t, labels):
        return x * (labels.float() + 1).reshape(-1, 1, 1, 1)  # null label 10 -> factor 11
    x, t, labels = torch.randn(3, 1, 2, 2), torch.tensor([5, 5, 5]), torch.tensor([0, 1, 2])
    torch.testing.assert_close(guided_eps(model, x, t, labels, 0.0, 10), model(x, t, labels))
    w = 2.0
    expected = (1 + w) * model(x, t, labels) - w * model(x, t, torch.full_like(labels, 10))
    torch.testing.assert_close(guided_eps(model, x, t, labels, w, 10), expected)


def test_reverse_process_yields_the_papers_time_from_T_to_zero():
    schedule = make_schedule(100)
    model = lambda x, t, labels: torch.zeros_like(x)  # noqa: E731
    ts = [t for t, _ in sample_steps(model, schedule, (1, 1, 2, 2), sampler="ddpm")]
    assert ts == list(range(100, -1, -1))
    ts = [t for t, _ in sample_steps(model, schedule, (1, 1, 2, 2), sampler="ddim-10")]
    assert ts[0] == 100 and ts[-1] == 0 and len(ts) == 11
    assert ddim_timesteps(1000, 50)[0] == 999 and ddim_timesteps(1000, 50)[-1] == 0 and len(ddim_timesteps(1000, 50)) == 50


def test_label_drop_and_loss():
    labels = torch.arange(10).repeat(100)
    dropped = drop_labels(labels, 0.1, 10, torch.Generator().manual_seed(0))
    assert 0.05 < (dropped == 10).float().mean().item() < 0.15
    assert bool((dropped[dropped != 10] == labels[dropped != 10]).all())
    schedule = make_schedule(50)
    x0 = torch.randn(8, 1, 4, 4)
    assert diffusion_loss(lambda x, t, y: torch.zeros_like(x), schedule, x0).item() == pytest.approx(1.0, abs=0.3)


def test_min_snr_weighting_scales_each_image_by_min_snr_gamma_over_snr():
    """Hang et al.'s eps-prediction weight: 1 where SNR_t <= gamma, gamma / SNR_t on the nearly clean steps."""
    schedule = make_schedule(1000)
    x0 = torch.randn(64, 1, 4, 4)
    seen = {}

    def model(x, t, y):
        seen["t"] = t
        return torch.zeros_like(x)

    torch.manual_seed(0)
    simple = diffusion_loss(model, schedule, x0)
    torch.manual_seed(0)
    weighted = diffusion_loss(model, schedule, x0, weighting="min-snr", min_snr_gamma=5.0)
    torch.manual_seed(0)
    t = torch.randint(0, 1000, (64,))
    noise = torch.randn_like(x0)
    assert torch.equal(seen["t"], t)
    snr = schedule.alpha_bar[t] / (1 - schedule.alpha_bar[t])
    per_image = noise.square().flatten(1).mean(1)
    expected = (snr.clamp(max=5.0) / snr * per_image).mean()
    assert weighted.item() == pytest.approx(expected.item(), rel=1e-5)
    assert simple.item() == pytest.approx(per_image.mean().item(), rel=1e-5)
    assert (snr > 5).any() and (snr < 5).any() and weighted < simple  # both regimes drawn; the clean steps count less
    with pytest.raises(ValueError, match="weighting='snr'; expected one of simple, min-snr"):
        diffusion_loss(model, schedule, x0, weighting="snr")
    with pytest.raises(ValueError, match="min_snr_gamma=0.0 must be > 0"):
        diffusion_loss(model, schedule, x0, weighting="min-snr", min_snr_gamma=0.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"w": -1.0}, "guidance scale w=-1.0"),
    ({"sampler": "ddim-2000"}, "steps=2000 must lie in 1..T=1000"),
    ({"sampler": "ddim-0"}, "steps=0 must lie in 1..T=1000"),
    ({"sampler": "euler"}, "unknown sampler 'euler'"),
    ({"sampler": "ddim"}, "unknown sampler 'ddim'"),
    ({"sampler": "ddpm-50"}, "DDPM runs all T=1000 steps"),
])
def test_bad_parameters_give_clear_errors(kwargs, message):
    schedule = make_schedule(1000)
    model = lambda x, t, labels: torch.zeros_like(x)  # noqa: E731
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        sample(model, schedule, (1, 1, 2, 2), labels=torch.tensor([1]), null_label=10, **kwargs)


def test_bad_schedules_give_clear_errors():
    with pytest.raises(ValueError, match="unknown schedule 'quadratic'"):
        make_schedule(10, "quadratic")
    with pytest.raises(ValueError, match="T=0"):
        make_schedule(0)
    with pytest.raises(ValueError, match="valid choices"):
        parse_sampler("ddim-x", 10)

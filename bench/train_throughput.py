"""Training throughput: the helpers' loop (helpers.core.training.fit + batches + the method's step) against a
bare PyTorch loop of the same model, batch and data, for the DANN step and the DCGAN step.

Measures: images per second of each (DANN: source + target images; DCGAN: real images), and their ratio
(goal >= 0.97). Hardware: the 2-core CPU machine of docs/design.md (torch 2.14.1), cpu profiles.
Run: .venv/bin/python bench/train_throughput.py [--steps 120] [--repeats 3] [--only dann|dcgan] [--device cuda]
With ``--device cuda`` the gpu profile's settings are used, both loops keep their data on the GPU, the clock stops
after a synchronisation, and the helpers' loop is run once more under ``torch.cuda.set_sync_debug_mode("warn")``
to count its host synchronisations per step.
Got (2026-11-23, 2 cores, cpu profile, batch 64+64): see the closing note of the foundation issue.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import warnings

import torch
import torch.nn.functional as F

from helpers.adaptation.common import DomainPair
from helpers.adaptation.config import DannConfig
from helpers.adaptation.dann import build_dann, dann_step
from helpers.adaptation.networks import grl_lambda
from helpers.core.config import make_config
from helpers.core.images import to_float
from helpers.core.training import fit
from helpers.data import load_domains
from helpers.data.batches import Batches, PairedBatches
from helpers.gans import losses as gan_losses
from helpers.gans.config import GanConfig
from helpers.gans.methods import build_gan


class FirstSteps:
    """The first ``steps`` batches of an epoch: the same amount of work for both loops."""

    def __init__(self, batches: PairedBatches, steps: int) -> None:
        self.batches, self.steps = batches, steps

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        for i, batch in enumerate(self.batches):
            if i == self.steps:
                return
            yield batch


DEVICE = torch.device("cpu")  # --device
SYNCS: list[int] | None = None  # set by syncs_per_step: host synchronisations inside each fit() call


@contextlib.contextmanager
def counting_syncs():
    """Count the host synchronisations of the block (CUDA's sync debug mode warns on each) when asked to."""
    if SYNCS is None or DEVICE.type != "cuda":
        yield
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            yield
        finally:
            torch.cuda.set_sync_debug_mode("default")
    SYNCS.append(sum("synchroniz" in str(w.message) for w in caught))


def elapsed(start: float) -> float:
    """Seconds since ``start``, after the GPU has finished what was queued."""
    if DEVICE.type == "cuda":
        torch.cuda.synchronize(DEVICE)
    return time.perf_counter() - start


def helpers_loop(pair: DomainPair, config: DannConfig, steps: int) -> float:
    torch.manual_seed(0)
    model = build_dann(config, pair.channels).to(DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    batches = FirstSteps(PairedBatches(pair.source.train, pair.target.train, config.batch_size, DEVICE), steps)
    start = time.perf_counter()
    with counting_syncs():
        fit(dann_step(model, optimizer, config), lambda: batches, name="bench", epochs=1, modules={"model": model},
            optimizers={"adam": optimizer}, progress=False)
    return 2 * config.batch_size * steps / elapsed(start)


def bare_loop(pair: DomainPair, config: DannConfig, steps: int) -> float:
    torch.manual_seed(0)
    model = build_dann(config, pair.channels).to(DEVICE).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    xs_all, ys_all, xt_all = (t.to(DEVICE) for t in (pair.source.train.images, pair.source.train.labels,
                                                      pair.target.train.images))
    b = config.batch_size
    domains = torch.cat([torch.zeros(b), torch.ones(b)]).long().to(DEVICE)
    start = time.perf_counter()
    order_s, order_t = torch.randperm(len(xs_all), device=DEVICE), torch.randperm(len(xt_all), device=DEVICE)
    for i in range(steps):
        index_s = order_s[(i * b) % (len(xs_all) - b):][:b]
        index_t = order_t[(i * b) % (len(xt_all) - b):][:b]
        xs, ys, xt = to_float(xs_all[index_s]), ys_all[index_s], to_float(xt_all[index_t])
        model.domain_classifier.reversal.lambda_ = grl_lambda(i / steps, config.gamma)
        for group in optimizer.param_groups:
            group["lr"] = config.lr / (1 + 10 * i / steps) ** 0.75
        fs, ft = model.feature_extractor(xs), model.feature_extractor(xt)
        class_loss = F.cross_entropy(model.label_predictor(fs), ys)
        domain_loss = F.cross_entropy(model.domain_classifier(torch.cat([fs, ft])), domains)
        optimizer.zero_grad(set_to_none=True)
        (class_loss + config.domain_weight * domain_loss).backward()
        optimizer.step()
    return 2 * b * steps / elapsed(start)


def dcgan_helpers_loop(data, config: GanConfig, steps: int) -> float:
    torch.manual_seed(0)
    gan = build_gan("dcgan", config, data.channels, DEVICE)
    batches = FirstSteps(Batches(data, config.batch_size, DEVICE), steps)
    start = time.perf_counter()
    with counting_syncs():
        fit(gan.step, lambda: batches, name="bench", epochs=1,
            modules={"generator": gan.generator, "discriminator": gan.discriminator},
            optimizers={"generator": gan.opt_g, "discriminator": gan.opt_d}, progress=False)
    return config.batch_size * steps / elapsed(start)


def dcgan_bare_loop(data, config: GanConfig, steps: int) -> float:
    torch.manual_seed(0)
    gan = build_gan("dcgan", config, data.channels, DEVICE)
    generator, discriminator = gan.generator.train(), gan.discriminator.train()
    opt_g, opt_d = gan.opt_g, gan.opt_d
    b = config.batch_size
    images = data.images.to(DEVICE)
    start = time.perf_counter()
    order = torch.randperm(len(data), device=DEVICE)
    for i in range(steps):
        real = to_float(images[order[i * b:(i + 1) * b]])
        z = torch.randn(b, config.z_dim, device=DEVICE)
        with torch.autocast(DEVICE.type, dtype=torch.bfloat16, enabled=config.bf16):  # GanConfig.bf16, as the helpers
            fake = generator(z)
            real_out, fake_out = discriminator(real), discriminator(fake.detach())
            if generator.code:  # InfoGAN's term (GanConfig.latent_code): the Q head recovers the noise's code
                fake_score, code_logits = fake_out
                d_loss = (gan_losses.dcgan_d_loss(real_out[0].float(), fake_score.float())
                          + config.info_weight * gan_losses.info_loss(code_logits.float(), generator.code_of(z)))
            else:
                d_loss = gan_losses.dcgan_d_loss(real_out.float(), fake_out.float())
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        with torch.autocast(DEVICE.type, dtype=torch.bfloat16, enabled=config.bf16):
            out = discriminator(fake)  # the generator step reuses the discriminator step's images, as the helpers do
            if generator.code:
                g_loss = (gan_losses.dcgan_g_loss(out[0].float())
                          + config.info_weight * gan_losses.info_loss(out[1].float(), generator.code_of(z)))
            else:
                g_loss = gan_losses.dcgan_g_loss(out.float())
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        if gan.ema is not None:  # the weight average the samples come from (GanConfig.ema_decay)
            gan.ema.update_parameters(generator)
    return b * steps / elapsed(start)


def syncs_per_step(ours_fn, steps: int) -> float | None:
    """Host synchronisations per step inside the helpers' fit() (CUDA only; the model's and data's upload to the
    GPU before it are not counted: each tensor copied is one)."""
    global SYNCS
    if DEVICE.type != "cuda":
        return None
    SYNCS = []
    try:
        ours_fn(steps)
        return sum(SYNCS) / steps
    finally:
        SYNCS = None


def compare(label: str, ours_fn, bare_fn, steps: int, repeats: int) -> None:
    ours_fn(10), bare_fn(10)  # warm-up
    ours, bare = [], []
    for _ in range(repeats):  # interleaved, so drifts in machine load hit both alike
        ours.append(ours_fn(steps))
        bare.append(bare_fn(steps))
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    print(f"{label}, {steps} steps x {repeats}, {torch.get_num_threads()} threads")
    print(f"  helpers loop : {ours_median:8.0f} images/s  (runs: {', '.join(f'{v:.0f}' for v in ours)})")
    print(f"  bare PyTorch : {bare_median:8.0f} images/s  (runs: {', '.join(f'{v:.0f}' for v in bare)})")
    print(f"  ratio        : {ours_median / bare_median:8.3f}  (goal >= 0.97 on a CPU, >= 0.9 on a GPU)")
    syncs = syncs_per_step(ours_fn, steps)
    if syncs is not None:
        print(f"  host syncs   : {syncs:8.3f} per step of the helpers' loop inside fit (it reads its losses every 50 steps)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("dann", "dcgan"))
    parser.add_argument("--device", default="cpu", help="cpu (default; the cpu profiles) or cuda (the gpu profiles)")
    args = parser.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    profile = "gpu" if DEVICE.type == "cuda" else "cpu"
    print(f"device {DEVICE} ({torch.cuda.get_device_name(DEVICE) if DEVICE.type == 'cuda' else 'CPU'}), "
          f"{profile} profile, torch {torch.__version__}")
    if args.only in (None, "dann"):
        config = make_config(DannConfig, profile)
        domains = load_domains("embedded", ["digits-m", "digits-s"], copies=config.copies)
        pair = DomainPair.of(domains["digits-m"], domains["digits-s"])
        steps = min(args.steps, len(pair.source.train) // config.batch_size)
        compare(f"DANN step, batch {config.batch_size}+{config.batch_size}", lambda n: helpers_loop(pair, config, n),
                lambda n: bare_loop(pair, config, n), steps, args.repeats)
    if args.only in (None, "dcgan"):
        gan_config = make_config(GanConfig, profile)
        digits = load_domains("embedded", ["digits"], size=gan_config.image_size, copies=gan_config.copies)["digits"]
        steps = min(args.steps, len(digits.train) // gan_config.batch_size)
        compare(f"DCGAN step (G + D), batch {gan_config.batch_size}, {gan_config.image_size}x{gan_config.image_size}, "
                f"width {gan_config.width}", lambda n: dcgan_helpers_loop(digits.train, gan_config, n),
                lambda n: dcgan_bare_loop(digits.train, gan_config, n), steps, args.repeats)


if __name__ == "__main__":
    main()

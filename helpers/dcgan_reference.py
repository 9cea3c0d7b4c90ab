"""The DDPM notebook's reference DCGAN and its data: the GAN notebook's images (the embedded digits at the
GAN's size, or a flat folder of images), a DCGAN trained with the shared loop, and grading alike for every
row of the DCGAN vs DDPM table (classifier FID, recognised share, Inception FID when its weights exist).

Written for the DDPM notebook while the suite's GAN helpers were not on main yet; it reuses the GAN notebook's
metrics.json when that exists and matches."""
from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F

from helpers.data import EMBEDDED, embedded_domains
from helpers.data.batches import Batches
from helpers.data.course import DataLayoutError, decode
from helpers.data.images import Domain, ImageSet, to_float
from helpers.gans.experiment import grade as gan_grade
from helpers.grading.judge import Judge, class_entropy
from helpers.models.dcgan import Discriminator, Generator, init_weights
from helpers.report.metrics import earlier_results
from helpers.core.runtime import derive_seed
from helpers.core.training import History, fit

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def image_folder(root: Path | str, size: int, seed: int, held_out: float = 0.1) -> Domain:
    """Every image of a flat folder (e.g. MNIST digits or the course's faces), unlabelled, split at random."""
    root = Path(root).expanduser()
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if root.is_dir() else []
    if not files:
        raise DataLayoutError(f"data folder {root} does not exist or holds no .png/.jpg images; expected a flat "
                              f"folder of images, e.g. <data>/00000.png")
    images = [decode(p, size) for p in files]
    channels = max(im.shape[0] for im in images)
    images = torch.stack([im.expand(channels, -1, -1) for im in images])
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(derive_seed(seed, "folder")))
    cut = max(1, int(held_out * len(images)))
    labels = torch.zeros(len(images), dtype=torch.long)
    data = ImageSet(images, labels, root.name)
    return Domain(root.name, data.subset(order[cut:]), data.subset(order[:cut]))


def load_images(data: str, size: int, copies: int, seed: int) -> Domain:
    """The embedded ``digits`` at ``size`` (``copies`` renderings each, split by handwritten sample), or a folder."""
    if data == EMBEDDED:
        return embedded_domains(["digits"], seed=seed, size=size, copies=copies)["digits"]
    return image_folder(data, size, seed)


def train_dcgan(train: ImageSet, *, width: int, epochs: int, batch_size: int = 64, z_dim: int = 100, lr: float = 2e-4,
                device: torch.device | str = "cpu", seed: int = 0, checkpoint: Path | None = None) -> tuple[Generator, History]:
    """DCGAN with the non-saturating loss and Adam(0.5, 0.999), as in the paper."""
    torch.manual_seed(seed)
    size = train.images.shape[-1]
    generator = Generator(size, train.channels, width, z_dim).to(device)
    discriminator = Discriminator(size, train.channels, width).to(device)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    batches = Batches(train, min(batch_size, len(train)), device)

    def step(batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        real, _ = batch
        fake = generator(torch.randn(len(real), z_dim, device=real.device))
        ones, zeros = torch.ones(len(real), device=real.device), torch.zeros(len(real), device=real.device)
        d_loss = (F.binary_cross_entropy_with_logits(discriminator(real), ones)
                  + F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    history = fit(step, lambda: batches, name="DCGAN", epochs=epochs, modules={"generator": generator, "discriminator": discriminator},
                  optimizers={"generator": opt_g, "discriminator": opt_d}, checkpoint=checkpoint, seed=seed)
    return generator.eval(), history


@torch.no_grad()
def gan_samples(generator: Generator, n: int, seed: int) -> tuple[torch.Tensor, float]:
    """``n`` images in [-1, 1] from noise fixed by ``seed``, and the seconds they took."""
    device = next(generator.parameters()).device
    z = torch.randn(n, generator.z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    start = time.perf_counter()
    images = torch.cat([generator.eval()(z[i:i + 500]).cpu() for i in range(0, n, 500)])
    return images, time.perf_counter() - start


def grade(samples: torch.Tensor, reference: torch.Tensor, judge: Judge | None, *, device: torch.device | str,
          inception_weights: str | None = None) -> dict[str, float]:
    """The GAN table's columns (:func:`helpers.gans.experiment.grade`) and, with a judge, the
    diversity of the classes it reads."""
    row = gan_grade(samples, reference, judge, device=device, inception_weights=inception_weights)
    if judge is not None:
        row["diversity"] = class_entropy(judge, samples)
    return row


def real_floor(train: ImageSet, n: int, seed: int) -> torch.Tensor:
    """``n`` real training images, in [-1, 1]: graded against the held-out images they give the FID floor."""
    index = torch.randperm(len(train), generator=torch.Generator().manual_seed(derive_seed(seed, "floor")))[:n]
    return to_float(train.images[index])


def dcgan_row(train: ImageSet, reference: torch.Tensor, judge: Judge | None, *, config, profile: str, data: str,
              seed: int, device: torch.device | str, gan_metrics: Path | str, checkpoint: Path | None,
              inception_weights: str | None = None) -> tuple[dict[str, float], torch.Tensor | None, str]:
    """The DCGAN row of the comparison, its samples (None when reused) and where it comes from: the GAN notebook's
    metrics.json when it was made with the same profile, data, seed, image size and renderings; else a DCGAN
    trained here (``config``: the DDPM notebook's data_image_size, data_copies, dcgan_width, dcgan_epochs,
    eval_samples)."""
    same = {"profile": profile, "data": data, "seed": seed, "image_size": config.data_image_size,
            "copies": config.data_copies}
    row = earlier_results(gan_metrics, table="samples", row="dcgan", same=same)
    if row is not None:
        return dict(row), None, f"reused from {gan_metrics}"
    generator, _ = train_dcgan(train, width=config.dcgan_width, epochs=config.dcgan_epochs, device=device, seed=seed,
                               checkpoint=checkpoint)
    samples, seconds = gan_samples(generator, config.eval_samples, derive_seed(seed, "dcgan samples"))
    row = {**grade(samples, reference, judge, device=device, inception_weights=inception_weights),
           "seconds_per_100": 100 * seconds / len(samples)}
    return row, samples, (f"trained here ({config.dcgan_epochs} epochs, width {config.dcgan_width}; "
                          f"no GAN notebook metrics made alike at {gan_metrics})")

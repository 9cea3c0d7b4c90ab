"""What the diffusion notebooks measure and say: grading with the suite's digit classifier, the sweeps' and the
reverse process's figures, and observations written from the numbers."""
from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import torch

from helpers.core.images import as_uint8
from helpers.diffusion.experiment import resize
from helpers.grading.fid import classifier_fid
from helpers.grading.judge import Judge, label_agreement, per_digit_accuracy

Table = dict[str, dict[str, float]]


def for_judge(images: torch.Tensor, judge: Judge) -> torch.Tensor:
    """Samples resized to the classifier's input size (bilinear: the cpu profile samples at 16x16)."""
    return resize(images, judge.image_size).clamp(-1, 1)


def grade_conditional(judge: Judge, images: torch.Tensor, labels: torch.Tensor, reference: torch.Tensor,
                      seconds: float) -> dict[str, float]:
    """accuracy (the classifier reads the requested digit), classifier FID against the real held-out images,
    and sampling seconds per 100 images."""
    images = for_judge(images, judge)
    return {"accuracy": label_agreement(judge, images, labels), "fid_classifier": classifier_fid(judge, reference, images),
            "seconds_per_100": 100 * seconds / len(images)}


def per_digit(judge: Judge, images: torch.Tensor, labels: torch.Tensor) -> Table:
    predicted = judge.probabilities(for_judge(images, judge)).argmax(1)
    return {digit: {"accuracy": value} for digit, value in per_digit_accuracy(predicted, labels).items()}


def subset_per_digit(images: torch.Tensor, labels: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``k`` samples of each digit (samples are generated in class order)."""
    index = torch.cat([(labels == c).nonzero().flatten()[:k] for c in labels.unique(sorted=True)])
    return images[index], labels[index]


def per_digit_figure(rows: Mapping[str, Table]) -> plt.Figure:
    """Per-digit accuracy as a heatmap: one row per table (e.g. generated, real held-out), one column per digit and
    the overall share last."""
    frame = pd.DataFrame({name: {d: v["accuracy"] for d, v in table.items()} for name, table in rows.items()}).T
    fig, ax = plt.subplots(figsize=(0.55 * frame.shape[1] + 1.8, 0.45 * len(frame) + 1.0))
    sns.heatmap(frame, ax=ax, vmin=0, vmax=1, cmap="RdYlGn", annot=True, fmt=".0%", annot_kws={"fontsize": 7}, cbar=False)
    ax.set(xlabel="digit", ylabel="")
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig


def sweep_figure(guidance: Table, sampling: Table, counts: Mapping[str, int]) -> plt.Figure:
    """Accuracy and classifier FID against the guidance scale; seconds per 100 images (bars) and accuracy (dots)
    per sampler."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    sweep = pd.DataFrame([(float(w), row["accuracy"], row["fid_classifier"]) for w, row in guidance.items()],
                         columns=["guidance scale w", "classifier accuracy", "classifier FID"])
    sns.lineplot(sweep, x="guidance scale w", y="classifier accuracy", marker="o", ax=axes[0])
    axes[0].set_title("accuracy vs guidance")
    sns.lineplot(sweep, x="guidance scale w", y="classifier FID", marker="o", color="tab:red", ax=axes[1])
    axes[1].set_title("FID vs guidance (lower is better)")
    samplers = pd.DataFrame([(f"{name}\n({counts[name]} imgs)", row["seconds_per_100"], row["accuracy"])
                             for name, row in sampling.items()], columns=["sampler", "seconds per 100 images", "accuracy"])
    ax = axes[2]
    sns.barplot(samplers, x="sampler", y="seconds per 100 images", color="tab:gray", ax=ax)
    ax.set_yscale("log")
    ax.set(xlabel="", ylabel="seconds per 100 images (log)", title="samplers: time (bars), accuracy (dots)")
    ax.tick_params(axis="x", labelsize=8)
    twin = ax.twinx()
    twin.plot(range(len(samplers)), samplers["accuracy"], "o", color="tab:blue")
    twin.set_ylim(0, 1.05)
    twin.set_ylabel("accuracy", color="tab:blue")
    for a in axes[:2]:
        a.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def reverse_figure(snapshots: Mapping[int, torch.Tensor], label: str) -> plt.Figure:
    """The images x_t of one sample at the given times, left to right from pure noise to the sample."""
    times = sorted(snapshots, reverse=True)
    fig, axes = plt.subplots(1, len(times), figsize=(1.6 * len(times), 1.9))
    for ax, t in zip(axes, times):
        image = as_uint8(snapshots[t]).permute(1, 2, 0).numpy()
        ax.imshow(image.squeeze(-1) if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"t = {t}", fontsize=9)
        ax.axis("off")
    fig.suptitle(label, fontsize=10)
    fig.tight_layout()
    return fig


def conditional_observations(digits: Table, guidance: Table, sampling: Table, counts: Mapping[str, int],
                             *, sampler: str, w: float, judge_accuracy: float, real_digits: Table | None = None,
                             same_start: float | None = None) -> str:
    """Observations from the measured numbers of the conditional notebook (``real_digits``: the classifier's
    per-digit accuracy on real held-out images; ``same_start``: the accuracy of DDIM-50 samples drawn from the
    DDPM row's starting noise)."""
    overall = digits["overall"]["accuracy"]
    ranked = sorted((d for d in digits if d != "overall"), key=lambda d: digits[d]["accuracy"])

    def real(d: str) -> str:
        return f"; real held-out {d}s: {real_digits[d]['accuracy']:.0%}" if real_digits and d in real_digits else ""

    lines = [f"- **Class-conditional accuracy** ({sampler}, w = {w:g}): the classifier reads the requested digit in "
             f"{overall:.1%} of the samples (its own accuracy on real held-out images: {judge_accuracy:.1%}, "
             f"{'below' if judge_accuracy < overall else 'above'} the samples'); hardest digit {ranked[0]} "
             f"({digits[ranked[0]]['accuracy']:.0%}{real(ranked[0])}), easiest {ranked[-1]} "
             f"({digits[ranked[-1]]['accuracy']:.0%}{real(ranked[-1])})."]
    best_w = max(guidance, key=lambda k: guidance[k]["accuracy"])
    best_fid = min(guidance, key=lambda k: guidance[k]["fid_classifier"])
    lines.append("- **Guidance:** accuracy " + ", ".join(f"{guidance[k]['accuracy']:.1%} at w = {k}" for k in guidance)
                 + f"; classifier FID is lowest at w = {best_fid} ({guidance[best_fid]['fid_classifier']:.2f}), accuracy "
                 f"highest at w = {best_w}."
                 + (" Guidance buys fidelity to the label at the cost of distance to the real distribution (FID)."
                    if float(best_w) > float(best_fid) else ""))
    ddpm = next((n for n in sampling if n.startswith("ddpm")), None)
    ddim = "ddim-50" if "ddim-50" in sampling else None
    if ddpm and ddim:
        speed = sampling[ddpm]["seconds_per_100"] / sampling[ddim]["seconds_per_100"]
        gap = 100 * (sampling[ddpm]["accuracy"] - sampling[ddim]["accuracy"])
        lines.append(f"- **DDIM vs DDPM:** DDIM with 50 steps samples {speed:.1f}x faster than DDPM with "
                     f"{ddpm.split('-')[-1]} steps ({sampling[ddim]['seconds_per_100']:.1f} s vs "
                     f"{sampling[ddpm]['seconds_per_100']:.1f} s per 100 images), with accuracy "
                     f"{abs(gap):.1f} points {'lower' if gap > 0 else 'higher'} ({sampling[ddim]['accuracy']:.1%} on "
                     f"{counts[ddim]} samples vs {sampling[ddpm]['accuracy']:.1%} on {counts[ddpm]})"
                     + (f"; from the DDPM row's {counts[ddpm]} starting noises DDIM 50 reads {same_start:.1%} "
                        f"({100 * (sampling[ddpm]['accuracy'] - same_start):+.1f} points for DDPM)"
                        if same_start is not None else "")
                     + f". One sample moves the DDPM row's accuracy by {100 / counts[ddpm]:.1f} points.")
    few = min(sampling, key=lambda n: sampling[n]["seconds_per_100"])
    lines.append(f"- **Fewest steps ({few}):** accuracy {sampling[few]['accuracy']:.1%}, classifier FID "
                 f"{sampling[few]['fid_classifier']:.2f}. FIDs on fewer samples are biased upward, so compare FIDs only "
                 f"between rows with the same number of samples.")
    return "\n".join(lines)


def ddpm_observations(table: Table, dcgan_source: str) -> str:
    lines = []
    if "fid_classifier" in table.get("ddpm", {}):
        floor = table["real"]["fid_classifier"]
        d, g = table["ddpm"]["fid_classifier"], table["dcgan"].get("fid_classifier", math.nan)
        better = "DDPM" if d < g else "DCGAN"
        lines.append(f"- **Classifier FID:** DDPM {d:.2f}, DCGAN {g:.2f}, real-vs-real floor {floor:.2f}: {better} is "
                     f"closer to the real digits (DCGAN row {dcgan_source}).")
        if "real-resampled" in table and "fid_classifier" in table["real-resampled"]:
            lines.append(f"- **Resolution:** real images taken down to the UNet's resolution and back score "
                         f"{table['real-resampled']['fid_classifier']:.2f}: the part of the DDPM's FID that its "
                         f"resolution alone explains.")
    if "fid_random" in table.get("ddpm", {}):
        lines.append(f"- **Random-feature FID** (no labels needed): DDPM {table['ddpm']['fid_random']:.3g}, DCGAN "
                     f"{table['dcgan'].get('fid_random', math.nan):.3g}, real-vs-real floor "
                     f"{table['real']['fid_random']:.3g}.")
    if "face_share" in table.get("ddpm", {}):
        lines.append(f"- **Faces found** by OpenCV's Haar cascade: DDPM {table['ddpm']['face_share']:.0%}, DCGAN "
                     f"{table['dcgan'].get('face_share', math.nan):.0%}, real images {table['real']['face_share']:.0%} "
                     f"(the ceiling).")
    if "diversity" in table.get("ddpm", {}) and "diversity" in table.get("dcgan", {}):
        lines.append(f"- **Diversity** (entropy of the predicted digits, 2.30 = all ten equally often): DDPM "
                     f"{table['ddpm']['diversity']:.2f}, DCGAN {table['dcgan']['diversity']:.2f}, real "
                     f"{table['real']['diversity']:.2f}.")
    if "seconds_per_100" in table.get("dcgan", {}):
        ratio = table["ddpm"]["seconds_per_100"] / max(table["dcgan"]["seconds_per_100"], 1e-9)
        lines.append(f"- **Sampling time:** DDPM needs {table['ddpm']['seconds_per_100']:.2f} s per 100 images, DCGAN "
                     f"{table['dcgan']['seconds_per_100']:.3f} s: one generator pass against one UNet pass per "
                     f"denoising step ({ratio:.0f}x).")
    return "\n".join(lines)

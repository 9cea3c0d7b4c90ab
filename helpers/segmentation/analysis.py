"""What the segmentation notebook shows: the mIoU table, predictions over epochs, curves and observations."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from helpers.core.plots import confusion_heatmaps, line_panels
from helpers.segmentation.data import SegmentationData
from helpers.segmentation.experiment import SegmentationResult
from helpers.segmentation.masks import index_to_rgb, overlay

TITLES = {"fcn32s": "FCN32s", "deeplabv3": "DeepLabV3"}


def miou_results(results: Sequence[SegmentationResult]) -> dict[str, dict[str, float | None]]:
    """``{model: {class: IoU, ..., "mean": mIoU}}``, the layout of metrics.json's ``results.miou``."""
    return {r.name: dict(r.miou) for r in results}


def miou_frame(table: Mapping[str, Mapping[str, float | None]]) -> pd.DataFrame:
    """Classes as rows (mean last), models as columns."""
    frame = pd.DataFrame(table).rename(columns=TITLES)
    return frame.loc[[*(c for c in frame.index if c != "mean"), "mean"]].rename_axis("class")


def legend(data: SegmentationData) -> list[Patch]:
    return [Patch(color=np.array(c) / 255, label=name) for name, c in zip(data.classes, data.palette.tolist())]


def background_class(data: SegmentationData) -> int | None:
    """The class drawn clear in overlays (the embedded scenes' background); None for the satellite data."""
    return data.classes.index("background") if "background" in data.classes else None


def examples_figure(data: SegmentationData, count: int = 8) -> plt.Figure:
    """Training images above their label masks."""
    fig, axes = plt.subplots(2, count, figsize=(1.5 * count, 3.3), squeeze=False)
    for i in range(min(count, len(data.train))):
        axes[0, i].imshow(data.train.images[i].permute(1, 2, 0).numpy())
        axes[1, i].imshow(index_to_rgb(data.train.masks[i], data.palette).permute(1, 2, 0).numpy())
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("image")
    axes[1, 0].set_ylabel("label")
    fig.legend(handles=legend(data), loc="lower center", ncol=min(len(data.classes), 11), fontsize=7,
               bbox_to_anchor=(0.5, -0.06))
    fig.tight_layout()
    return fig


def predictions_figure(data: SegmentationData, results: Sequence[SegmentationResult], watch: Sequence[int]) -> plt.Figure:
    """One row per watched validation image: the image, its ground truth, then each model's prediction at
    its snapshot epochs (first, middle, last), all overlaid on the image."""
    skip = background_class(data)
    columns = [("image", None), ("ground truth", None)]
    columns += [(f"{TITLES.get(r.name, r.name)}\nepoch {epoch}", (r, epoch)) for r in results for epoch in sorted(r.snapshots)]
    fig, axes = plt.subplots(len(watch), len(columns), figsize=(1.6 * len(columns), 1.75 * len(watch) + 0.6), squeeze=False)
    for row, index in enumerate(watch):
        image = data.validation.images[index]
        for col, (title, source) in enumerate(columns):
            if col == 0:
                shown = image
            elif source is None:
                shown = overlay(image, data.validation.masks[index], data.palette, skip=skip)
            else:
                result, epoch = source
                shown = overlay(image, result.snapshots[epoch][row], data.palette, skip=skip)
            ax = axes[row, col]
            ax.imshow(shown.permute(1, 2, 0).numpy())
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title, fontsize=8)
        axes[row, 0].set_ylabel(data.validation.names[index], fontsize=8)
    fig.legend(handles=legend(data), loc="lower center", ncol=min(len(data.classes), 11), fontsize=7,
               bbox_to_anchor=(0.5, -0.04))
    fig.tight_layout()
    return fig


def miou_curves(results: Sequence[SegmentationResult]) -> plt.Figure:
    """Validation mIoU after each epoch, one line per model."""
    frame = pd.DataFrame([("validation mIoU", TITLES.get(r.name, r.name), epoch, value) for r in results
                          for epoch, value in enumerate(r.history.get("val mIoU", []), start=1)],
                         columns=["panel", "model", "epoch", "validation mIoU"])
    return line_panels(frame, panel="panel", line="model", y="validation mIoU", ylabel="validation mIoU", ylim=(0, 1))


def confusion_figure(results: Sequence[SegmentationResult], classes: Sequence[str]) -> plt.Figure:
    """Each model's validation confusion matrix, rows normalised: which classes it takes for which."""
    return confusion_heatmaps({TITLES.get(r.name, r.name): r.confusion for r in results if r.confusion is not None},
                              classes)


def observations(table: Mapping[str, Mapping[str, float | None]], results: Sequence[SegmentationResult], *,
                 image_size: int, output_strides: Mapping[str, int]) -> str:
    """A few sentences of Markdown written from the measured mIoU per class and per epoch; ``output_strides``
    (model -> stride of its class-score map) says how coarse each model's prediction is before upsampling."""
    names = [r.name for r in results]
    maps = ", ".join(f"{TITLES.get(n, n)} scores a {max(1, image_size // output_strides[n])}x"
                     f"{max(1, image_size // output_strides[n])} map (stride {output_strides[n]})" for n in names)
    lines = [f"On {image_size}x{image_size} images, {maps} before upsampling to every pixel.\n"]
    for r in results:
        row = {k: v for k, v in table[r.name].items() if k != "mean" and v is not None}
        best, worst = max(row, key=row.get), min(row, key=row.get)
        curve = r.history.get("val mIoU", [])
        middle = curve[(len(curve) - 1) // 2] if curve else float("nan")
        lines.append(f"- **{TITLES.get(r.name, r.name)}**: mIoU {table[r.name]['mean']:.3f} on the validation split; "
                     f"best class {best} ({row[best]:.3f}), worst {worst} ({row[worst]:.3f}). Validation mIoU went "
                     f"{curve[0]:.3f} -> {middle:.3f} -> {curve[-1]:.3f} over the first, middle and last epoch."
                     + (f" {len(zero)} of {len(row)} classes ({', '.join(zero)}) have IoU 0: never predicted right."
                        if (zero := [c for c, v in row.items() if v == 0]) else "")
                     + (f" Only {best} is ever predicted right: at this budget and resolution this model has not "
                        "learned to segment." if len(row) > 1 and len(zero) == len(row) - 1 else ""))
    if len(names) == 2:
        a, b = (table[n]["mean"] for n in names)
        better, worse = (names[1], names[0]) if b > a else (names[0], names[1])
        gap = abs(b - a)
        classes = [c for c in table[names[0]] if c != "mean" and table[names[0]][c] is not None and table[names[1]][c] is not None]
        wins = sum(table[better][c] > table[worse][c] for c in classes)
        lines.append(f"\n{TITLES.get(better, better)} is ahead by {gap:.3f} mIoU and better on {wins} of the "
                     f"{len(classes)} classes.")
    return "\n".join(lines)

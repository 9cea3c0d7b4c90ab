"""mIoU as the course defines it (DLCV HW1's mean_iou_evaluation.py): for each class, TP / (TP + FP + FN)
over all pixels of the set, then the mean over the evaluated classes. A class left out of the mean (the
satellite data's ``unknown``) still counts as an error when another class is predicted on its pixels."""
from __future__ import annotations

from collections.abc import Sequence

import torch


def confusion_matrix(predicted: torch.Tensor, target: torch.Tensor, n_classes: int) -> torch.Tensor:
    """``[n_classes, n_classes]`` pixel counts, rows the true class and columns the predicted one."""
    if predicted.shape != target.shape:
        raise ValueError(f"predicted masks {tuple(predicted.shape)} and targets {tuple(target.shape)} differ in shape")
    index = target.flatten().long() * n_classes + predicted.flatten().long()
    return torch.bincount(index, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def iou_per_class(confusion: torch.Tensor) -> list[float | None]:
    """TP / (TP + FP + FN) of every class; None for a class that is neither present nor predicted."""
    tp = confusion.diag().double()
    union = confusion.sum(0).double() + confusion.sum(1).double() - tp
    return [float(t / u) if u > 0 else None for t, u in zip(tp, union)]


def miou_table(confusion: torch.Tensor, classes: Sequence[str], exclude: Sequence[str] = ()) -> dict[str, float | None]:
    """``{class: IoU, ..., "mean": mIoU}`` over the classes not in ``exclude`` (rounded to 4 decimals)."""
    if len(classes) != len(confusion):
        raise ValueError(f"{len(classes)} class names for a {len(confusion)}-class confusion matrix")
    ious = {name: iou for name, iou in zip(classes, iou_per_class(confusion)) if name not in exclude}
    defined = [v for v in ious.values() if v is not None]
    table = {name: None if v is None else round(v, 4) for name, v in ious.items()}
    table["mean"] = round(sum(defined) / len(defined), 4) if defined else None
    return table

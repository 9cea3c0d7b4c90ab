"""Accuracy of a prediction CSV against a truth CSV: the measure of dann, adda, classification and byol.

Rows are matched by their key column (``image_name``, ``filename``); every truth row must have a
prediction, else the error lists the first few without one. Predictions for images TRUTH does not list
are counted as ``unscored`` (the course's ``<domain>/data`` holds train and val images, ``val.csv`` only
the val ones).
"""
from __future__ import annotations

import re
from pathlib import Path

import torch

from helpers.core.images import label_in_name
from helpers.deliverables.files import image_files, read_csv
from helpers.deliverables.record import DeliverableError


def labels_by_key(path: Path, key: str, *, parameter: str, numeric: bool = True) -> dict[str, str]:
    """``{key: label}`` of a CSV, each label :func:`canonical`. An empty label, or with ``numeric`` one that is not a
    whole number (dann, adda, classification; byol's Office-Home labels may be class names), raises an error naming
    the file, the line and the value: it would otherwise count as a wrong prediction, or as a class of its own."""
    rows = read_csv(path, [key, "label"], parameter=parameter)
    labels: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        if row[key] in labels:
            raise DeliverableError(f"{parameter} {path}, line {line}: {key} {row[key]!r} appears twice")
        label = canonical(row["label"])
        if not label or (numeric and not re.fullmatch(r"-?[0-9]+", label)):
            raise DeliverableError(f"{parameter} {path}, line {line}: the label of {row[key]!r} is {row['label']!r}; "
                                   f"expected {'a whole number' if numeric else 'a class name or number'}")
        labels[row[key]] = label
    return labels


def canonical(label: str) -> str:
    """'3', '03', ' 3' and '3.0' are the same class; other text is itself, stripped ('3.5' stays '3.5')."""
    label = label.strip()
    try:
        number = float(label)
    except ValueError:
        return label
    return str(int(number)) if number.is_integer() else label


def labels_from_names(folder: Path, key: str = "filename") -> dict[str, str]:
    """The course's class folders name each image ``<label>_<idx>.png``: its truth is in its name. (``key``: the
    CSV's key column, named in the error when a folder's images are named otherwise.)"""
    labels = {}
    for path in image_files(folder, parameter="TRUTH"):
        label = label_in_name(path)
        if label is None:
            raise DeliverableError(f"TRUTH {folder}: {path.name} is not named <label>_<idx>; pass a CSV with the "
                                   f"columns {key},label (e.g. the course's val.csv)")
        labels[path.name] = str(label)
    return labels


def csv_accuracy(pred: Path, truth: Path | str, *, key: str, numeric: bool = True) -> dict[str, float]:
    """``{"accuracy", "images"}``: the share of truth rows whose predicted label equals theirs (``numeric``: the
    labels are whole numbers)."""
    predicted = labels_by_key(Path(pred), key, parameter="PRED", numeric=numeric)
    true = (labels_from_names(Path(truth), key) if Path(truth).is_dir()
            else labels_by_key(Path(truth), key, parameter="TRUTH", numeric=numeric))
    missing = sorted(set(true) - set(predicted))
    if missing:
        raise DeliverableError(f"PRED {pred} has no prediction for {len(missing)} of TRUTH {truth}'s images "
                               f"(e.g. {missing[:3]})")
    # PRED may list more: the course predicts a whole <domain>/data folder and grades against val.csv.
    hits = torch.tensor([predicted[name] == label for name, label in true.items()], dtype=torch.float64)
    return {"accuracy": float(hits.mean()), "images": float(len(true)),
            "unscored": float(len(set(predicted) - set(true)))}


def evaluate_image_name(pred: Path, truth: Path | str, *, device: torch.device, **_: object) -> dict[str, float]:
    """dann, adda: ``image_name,label`` CSVs (the course's ``val.csv`` is a TRUTH)."""
    return csv_accuracy(pred, truth, key="image_name")


def evaluate_filename(pred: Path, truth: Path | str, *, device: torch.device, **_: object) -> dict[str, float]:
    """classification: ``filename,label`` CSVs, or TRUTH a folder of ``<label>_<idx>.png`` (HW1's val set)."""
    return csv_accuracy(pred, truth, key="filename")


def evaluate_office(pred: Path, truth: Path | str, *, device: torch.device, **_: object) -> dict[str, float]:
    """byol: Office-Home ``id,filename,label`` CSVs, matched by filename (labels: class names or numbers)."""
    return csv_accuracy(pred, truth, key="filename", numeric=False)

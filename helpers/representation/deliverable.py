"""Predictions of the representation notebooks' classifiers: classification (model A or B) and byol (a
fine-tuned setting), as the course's CSVs.

    classification  --input a folder of images             -> CSV filename,label (every image, by name)
    byol            --input a CSV id,filename[,label]      -> CSV id,filename,label (the input's rows, in order)

byol's images are in the folder named as the CSV's stem beside it (``office/val.csv`` -> ``office/val/``,
the course's layout); when there is no such folder, in the CSV's own folder. A CSV without an ``id``
column gets the row numbers (0, 1, ...) as ids; its ``label`` column, if any, is ignored.

Images are prepared as the notebooks' loaders and accuracy prepare them: decoded with
:func:`helpers.data.course.decode` (gray stays gray, anything else RGB; resized to the record's
``image_size`` with antialiased bilinear interpolation), given the record's channels (gray repeated to
RGB), scaled to [-1, 1] and classified in evaluation mode by :func:`helpers.core.evaluation.apply`. The label
written for class ``i`` is the record's ``classes[i]``: the class number of the course's file names, or
the label text of the Office-Home training CSV.

Which checkpoint a notebook names as its deliverable: :func:`best_model`.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from helpers.core.evaluation import apply
from helpers.core.images import Domain, ImageSet
from helpers.data.course import DataLayoutError, decode, outside_folder
from helpers.deliverables.files import check_destination, image_files, read_csv, write_csv
from helpers.deliverables.record import DeliverableError, deliverable, load_weights
from helpers.representation.config import ByolConfig, ClassificationConfig
from helpers.representation.data import n_classes
from helpers.representation.networks import finetuned_classifier, model_a, resnet18_small

BUILDERS = {"model_a": model_a, "resnet18_small": resnet18_small, "finetuned_classifier": finetuned_classifier}


def best_model(accuracies: Mapping[str, float]) -> str:
    """The model with the highest validation accuracy; a tie goes to the first listed (the notebooks list
    model A before B, settings in A-E order)."""
    if not accuracies:
        raise ValueError("no trained model to choose from")
    return max(accuracies, key=lambda name: accuracies[name])  # max keeps the first of equal values


def classifier(record: Mapping[str, Any], weights: Mapping[str, Any]) -> nn.Module:
    """The record's model with the checkpoint's weights, in evaluation mode."""
    settings = record["settings"]
    builder = BUILDERS.get(settings.get("builder"))
    if builder is None:
        raise DeliverableError(f"the checkpoint's record names the builder {settings.get('builder')!r}; this suite "
                               f"knows {', '.join(BUILDERS)}")
    model = builder(**settings["arguments"])
    load_weights(model, weights[record["modules"]], settings["model"])
    return model.eval()


def with_channels(image: torch.Tensor, channels: int) -> torch.Tensor:
    """``[C, H, W]`` with ``channels`` channels, converted as :meth:`ImageSet.with_channels` converts."""
    if image.shape[0] == channels:
        return image
    if image.shape[0] == 1:
        return image.repeat(channels, 1, 1)
    return image.float().mean(0, keepdim=True).round().to(torch.uint8)


def load_images(files: list[Path], settings: Mapping[str, Any]) -> ImageSet:
    """The files as the notebook's loaders give them: every one decoded before any is classified."""
    images = []
    for path in files:
        try:
            image = decode(path, settings["image_size"])
        except DataLayoutError as error:
            raise DeliverableError(str(error)) from None
        images.append(with_channels(image, settings["channels"]))
    return ImageSet(torch.stack(images), torch.zeros(len(images), dtype=torch.long), "input")


def predicted_labels(record: Mapping[str, Any], weights: Mapping[str, Any], images: ImageSet, *,
                     batch_size: int, device: torch.device | str) -> list[str]:
    """The class name of every image, by the checkpoint's classifier."""
    model = classifier(record, weights).to(device)
    classes = record["settings"]["classes"]
    return [classes[i] for i in apply(model, images, device, batch_size=batch_size).argmax(1).tolist()]


def predict_classification(record: Mapping[str, Any], weights: Mapping[str, Any], *, input: Path, output: Path,
                           batch_size: int = 256, device: torch.device | str = "cpu",
                           overwrite: bool = False, **_: Any) -> Path:
    """CSV ``filename,label`` for every image of the ``input`` folder (sorted by name)."""
    input, output = Path(input), Path(output)
    if input.is_file():
        raise DeliverableError(f"--input {input} is a file; classification takes a folder of images "
                               f"(e.g. hw1_data/p1_data/val_50)")
    check_destination(output, overwrite)  # refused before any image is read
    files = image_files(input)
    labels = predicted_labels(record, weights, load_images(files, record["settings"]), batch_size=batch_size,
                              device=device)
    return write_csv(output, ["filename", "label"], [(path.name, label) for path, label in zip(files, labels)],
                     overwrite=overwrite)


def images_beside(csv_path: Path) -> Path:
    """Where the images a byol CSV names are: the folder named as its stem beside it, else its own folder."""
    beside = csv_path.with_suffix("")
    return beside if beside.is_dir() else csv_path.parent


def predict_byol(record: Mapping[str, Any], weights: Mapping[str, Any], *, input: Path, output: Path,
                 batch_size: int = 256, device: torch.device | str = "cpu", overwrite: bool = False,
                 **_: Any) -> Path:
    """CSV ``id,filename,label`` for the rows of the ``input`` CSV, in its order, with its ids."""
    input, output = Path(input), Path(output)
    if input.is_dir():
        raise DeliverableError(f"--input {input} is a folder; byol takes a CSV id,filename[,label] with the images "
                               f"in the folder beside it (e.g. hw1_data/p2_data/office/val.csv and office/val/)")
    check_destination(output, overwrite)
    rows = read_csv(input, ["filename"], parameter="--input")
    folder = images_beside(input)
    files = []
    for line, row in enumerate(rows, start=2):
        path = folder / row["filename"]
        if outside_folder(row["filename"]):
            raise DeliverableError(f"--input {input}, line {line}: image {row['filename']!r} is outside {folder}; "
                                   f"a row must name an image inside the images' folder")
        if not row["filename"] or not path.is_file():
            raise DeliverableError(f"--input {input}, line {line}: image {path} does not exist (the images of "
                                   f"{input.name} are looked for in {input.with_suffix('')}/, else in {input.parent}/)")
        files.append(path)
    labels = predicted_labels(record, weights, load_images(files, record["settings"]), batch_size=batch_size,
                              device=device)
    ids = [row.get("id", str(i)) for i, row in enumerate(rows)]
    return write_csv(output, ["id", "filename", "label"],
                     [(id_, row["filename"], label) for id_, row, label in zip(ids, rows, labels)], overwrite=overwrite)


def classification_record(model: str, builder: str, arguments: dict, config: ClassificationConfig, domain: Domain) -> dict:
    """What ``helpers.predict classification`` needs to rebuild ``model`` and prepare images as the notebook
    does: the builder (a function of :mod:`helpers.representation.networks`) and its arguments, the image size
    and channels, and the class names (label ``i`` is written as ``classes[i]``)."""
    return deliverable("classification", modules="model", model=model, builder=builder, arguments=arguments,
                       image_size=config.image_size, channels=domain.train.channels,
                       classes=[str(c) for c in range(n_classes(domain))])


def byol_record(setting: str, config: ByolConfig, classes: list[str]) -> dict:
    """What ``helpers.predict byol`` needs to rebuild a setting's classifier (:func:`finetuned_classifier`'s
    arguments) and prepare images as the notebook does: size, RGB, and the class names (label ``i`` is
    written as ``classes[i]``, the label text of the training CSV)."""
    return deliverable("byol", modules="model", model=f"setting {setting}", builder="finetuned_classifier",
                       arguments={"stem": config.stem, "n_classes": len(classes), "polarity": config.polarity,
                                  "width": config.width, "gray": config.gray}, image_size=config.image_size,
                       channels=3, classes=list(classes))

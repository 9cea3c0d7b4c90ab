"""dann and adda: the adapted digit classifier on a folder of target-domain images, as ``image_name,label``.

Each image is prepared as the notebooks' loader prepares the target's test split: decoded and resized
by :func:`helpers.data.course.decode`, brought to the model's channels the way
:meth:`ImageSet.with_channels` pairs domains (gray repeated, colour averaged), and classified through
:func:`helpers.core.evaluation.apply` (uint8 to [-1, 1]). So a CSV for ``<target>/data`` and its ``val.csv``
gives the accuracy the notebook reports.

The record's settings (:func:`helpers.adaptation.common.model_settings`): ``pair``, ``source``, ``target``,
``image_size``, ``channels``, ``pixel_range``, ``input_norm``, ``widths``, ``padding``, ``hidden``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from helpers.adaptation.common import digit_classifier
from helpers.adaptation.config import DannConfig
from helpers.adaptation.dann import build_dann
from helpers.core.evaluation import apply
from helpers.core.images import ImageSet, list_images
from helpers.data import COURSE_NAME, EMBEDDED
from helpers.data.course import DataLayoutError, decode
from helpers.deliverables.example import predict_entry, predict_markdown
from helpers.deliverables.files import image_files, write_csv
from helpers.deliverables.record import DeliverableError, load_weights

HEADER = ("image_name", "label")


def backbone_config(settings: Mapping[str, Any]) -> DannConfig:
    """The notebook's configuration, as far as it shapes the network."""
    return DannConfig(image_size=settings["image_size"], widths=tuple(settings["widths"]),
                      padding=settings["padding"], hidden=settings["hidden"], input_norm=settings["input_norm"])


def dann_model(record: Mapping[str, Any], weights: Mapping[str, Any]) -> nn.Module:
    """The DANN network (its label path classifies)."""
    settings = record["settings"]
    model = build_dann(backbone_config(settings), settings["channels"])
    load_weights(model, weights["model"], "DANN")
    return model.eval()


def adda_model(record: Mapping[str, Any], weights: Mapping[str, Any]) -> nn.Module:
    """ADDA's adapted classifier: the target encoder followed by the source label predictor."""
    settings = record["settings"]
    model = digit_classifier(backbone_config(settings), settings["channels"])
    load_weights(model.feature_extractor, weights["target_encoder"], "target encoder")
    load_weights(model.label_predictor, weights["label_predictor"], "label predictor")
    return model.eval()


def target_images(folder: Path | str, settings: Mapping[str, Any]) -> tuple[list[Path], ImageSet]:
    """The images of ``folder`` (sorted by name), prepared as the notebook's loader prepares the target domain."""
    folder = Path(folder)
    if folder.is_file():
        raise DeliverableError(f"--input {folder} is a file; pass the folder of target-domain images "
                               f"(the course's <domain>/data, e.g. hw2_data/digits/{settings['target']}/data)")
    if folder.is_dir() and (folder / "data").is_dir() and not list_images(folder):
        raise DeliverableError(f"--input {folder} holds a data/ folder and no images; pass {folder / 'data'}")
    files = image_files(folder)
    size = settings["image_size"]
    decoded = []
    for path in files:
        try:
            decoded.append(decode(path, size))
        except DataLayoutError as error:
            raise DeliverableError(str(error)) from None
        except (SyntaxError, ValueError) as error:  # what PIL raises for some damaged files
            raise DeliverableError(f"cannot decode image {path}: {error}") from None
    # As helpers.data.course.load_split (gray expanded to the folder's colour), then DomainPair.of.
    channels = max(image.shape[0] for image in decoded)
    images = torch.stack([image.expand(channels, -1, -1) for image in decoded]).contiguous()
    data = ImageSet(images, torch.zeros(len(images), dtype=torch.long), str(folder))
    return files, data.with_channels(settings["channels"])


def predict_labels(model: nn.Module, record: Mapping[str, Any], *, input: Path, output: Path, batch_size: int,
                   device: torch.device, overwrite: bool) -> Path:
    """Classify every image of ``input`` and write ``image_name,label`` rows to ``output`` (``helpers.predict`` has
    checked it: a CSV path, free or ``overwrite``)."""
    settings = record["settings"]
    if list(settings.get("pixel_range", [])) != [-1, 1]:
        raise DeliverableError(f"the record's pixel range {settings.get('pixel_range')} is not the suite's [-1, 1]")
    files, data = target_images(input, settings)
    with torch.no_grad():
        labels = apply(model.to(device), data, device, batch_size).argmax(1).tolist()
    return write_csv(output, HEADER, [(path.name, label) for path, label in zip(files, labels)], overwrite=overwrite)


def predict_dann(record: Mapping[str, Any], weights: Mapping[str, Any], *, input: Path, output: Path,
                 batch_size: int = 256, device: torch.device = torch.device("cpu"), overwrite: bool = False,
                 **_: Any) -> Path:
    """``helpers.predict dann``: the CSV of DANN's labels for a folder of target-domain images."""
    return predict_labels(dann_model(record, weights), record, input=input, output=output, batch_size=batch_size,
                          device=device, overwrite=overwrite)


def predict_adda(record: Mapping[str, Any], weights: Mapping[str, Any], *, input: Path, output: Path,
                 batch_size: int = 256, device: torch.device = torch.device("cpu"), overwrite: bool = False,
                 **_: Any) -> Path:
    """``helpers.predict adda``: the CSV of ADDA's labels (target encoder + source classifier)."""
    return predict_labels(adda_model(record, weights), record, input=input, output=output, batch_size=batch_size,
                          device=device, overwrite=overwrite)


def pairs_entry(problem: str, results: Sequence[Any], data: str) -> dict[str, Any]:
    """metrics.json's ``predict`` for a notebook that adapts several pairs: every pair's entry under ``pairs``
    (``helpers.predict`` without ``--checkpoint`` takes the one :func:`pair_for_input` picks) and the first
    pair's at the top, as the report's example.
    ``results`` are the notebook's :class:`MethodResult` of ``problem``; example paths follow the course's
    layout (the data folder itself when ``data`` is one)."""
    pairs = {}
    for result in results:
        if result.checkpoint is None:
            raise ValueError(f"{problem} {result.pair} was trained without a checkpoint; nothing to predict from")
        target = result.pair.split("->")[1]
        domain = f"hw2_data/digits/{COURSE_NAME.get(target, target)}" if data == EMBEDDED else f"{data}/{target}"
        pairs[result.pair] = predict_entry(problem, result.checkpoint, input=f"{domain}/data",
                                           output=f"{problem}_{Path(domain).name}.csv", truth=f"{domain}/val.csv")
    if not pairs:
        raise ValueError(f"no {problem} results to name")
    return {**next(iter(pairs.values())), "pairs": pairs}


def pairs_markdown(entry: Mapping[str, Any]) -> str:
    """The report's paragraph: the first pair's command, then every pair's checkpoint."""
    names = list(entry["pairs"])
    lines = [predict_markdown(entry), "", f"That model is the one adapted for {names[0]}. Each pair has its own; "
             f"`make predict` (without `CHECKPOINT=`) takes the pair whose target domain the `INPUT` path names "
             f"(`<domain>/data`):", ""]
    lines += [f"- {name}: `{entry['pairs'][name]['checkpoint']}`" for name in names]
    return "\n".join(lines)


def course_target(pair: str) -> str:
    """``pair``'s target domain by its course name (``digits-u`` is usps)."""
    target = pair.split("->")[-1]
    return COURSE_NAME.get(target, target)


def target_names(pair: str) -> set[str]:
    """The names a folder of ``pair``'s target images may have: the target's own and its course name."""
    return {pair.split("->")[-1], course_target(pair)}


def pair_for_input(problem: str, pairs: Mapping[str, Mapping[str, Any]], input: Path | str) -> str:
    """The pair of ``pairs`` (metrics.json's ``predict.pairs``) whose target domain the ``input`` path names, as
    the course's layout ``<domain>/data`` does: the folder nearest the images named after a pair's target
    (``usps``, or ``digits-u`` for the embedded stand-in). A notebook of one pair needs no name. A path that names
    no target, or a target of several pairs, stops with each pair's checkpoint to pass instead."""
    choices = "\n".join(f"  {name}: --checkpoint {entry['checkpoint']}  (make predict: CHECKPOINT={entry['checkpoint']})"
                        for name, entry in pairs.items())
    for part in reversed(Path(input).expanduser().absolute().parts):
        named = [name for name in pairs if part in target_names(name)]
        if len(named) == 1:
            return named[0]
        if named:
            raise DeliverableError(f"--input {input} is the target domain {part} of {len(named)} of the {problem} "
                                   f"notebook's pairs ({', '.join(named)}); pass the checkpoint of the one you "
                                   f"want:\n{choices}")
    if len(pairs) == 1:
        return next(iter(pairs))
    targets = sorted({course_target(name) for name in pairs})
    raise DeliverableError(f"--input {input}: no folder of this path is named after a target domain of the {problem} "
                           f"notebook's pairs ({', '.join(targets)}; the course's layout is <domain>/data), so which "
                           f"pair's model should label it is unknown. Pass the checkpoint of the pair whose target "
                           f"these images are:\n{choices}")

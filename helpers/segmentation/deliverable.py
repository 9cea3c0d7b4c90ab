"""Segmentation's deliverable: RGB masks from a checkpoint, and mIoU from two mask folders.

    python -m helpers.predict segmentation --checkpoint reports/segmentation/checkpoints/deeplabv3_....pt \\
        --input hw1_data/p3_data/validation --output pred_masks
    python -m helpers.evaluate segmentation pred_masks hw1_data/p3_data/validation

``predict`` writes one ``NNNN_mask.png`` per ``NNNN_sat.jpg`` (or ``NNNN_sat.png``) of the input folder, at
the image's own size, in the colours of the classes the model was trained on (the 7 land-cover colours, or
the digit-scenes palette). ``evaluate`` is the notebook's mIoU (:mod:`helpers.segmentation.metrics`): pixels
counted over the whole set, then the mean over classes, with the same classes left out.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers.core.images import is_image, to_float
from helpers.data.scenes import SCENE_CLASSES
from helpers.deliverables.files import read_image, staged_folder
from helpers.deliverables.record import DeliverableError, deliverable, load_weights
from helpers.segmentation.data import SATELLITE_EXCLUDE, SegmentationData, resize_images
from helpers.segmentation.masks import LAND_COVER, palette_of, write_masks
from helpers.segmentation.metrics import confusion_matrix, miou_table
from helpers.segmentation.networks import BUILDERS, builder_arguments

EXPECTED_INPUT = "NNNN_sat.jpg (or NNNN_sat.png) images, as in the course's hw1_data/p3_data/validation"

# The two palettes a mask may be drawn in: classes in palette order, and the classes mIoU leaves out
# (the same as helpers.segmentation.data gives the notebook).
PALETTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "land-cover": (tuple(LAND_COVER), SATELLITE_EXCLUDE),
    "digit-scenes": (SCENE_CLASSES, ()),
}


# --- the record a training checkpoint carries ------------------------------------------------------

def segmentation_record(name: str, data: SegmentationData, config) -> dict[str, Any]:
    """What :func:`predict_masks` needs to rebuild model ``name`` and prepare images as the notebook does."""
    return deliverable(
        "segmentation", modules="model", model=name, builder=builder_arguments(name, config),
        classes=list(data.classes), palette=data.palette.tolist(), exclude=list(data.exclude),
        image_size=list(data.train.images.shape[-2:]),  # images are resized to this (bilinear, antialiased)
        normalisation="uint8 / 127.5 - 1 (helpers.core.images.to_float)")


def better_result(results: Sequence[Any]) -> Any:
    """The notebook's deliverable among its trained models (``SegmentationResult``): the higher validation
    mIoU; DeepLabV3, the course's model B, on a tie."""
    return max(results, key=lambda r: (r.miou["mean"] or 0.0, r.name == "deeplabv3"))


def rebuild_model(settings: dict[str, Any], state: dict[str, torch.Tensor]) -> nn.Module:
    """The trained model of a record's ``settings`` with its weights, in eval mode."""
    name = settings.get("model")
    if name not in BUILDERS:
        raise DeliverableError(f"the checkpoint's record names model {name!r}; this suite builds {', '.join(BUILDERS)}")
    model = BUILDERS[name](len(settings["classes"]), **settings["builder"])
    load_weights(model, state, name)
    if getattr(model, "aux_classifier", None) is not None:
        model.aux_classifier = None  # DeepLabV3's auxiliary head only helps training; "out" does not use it
    return model.eval()


# --- predict -----------------------------------------------------------------------------------------

def satellite_images(folder: Path | str) -> list[tuple[str, Path]]:
    """``(NNNN, path)`` of every ``NNNN_sat.jpg`` / ``NNNN_sat.png`` in ``folder``, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DeliverableError(f"--input {folder}: not a folder; expected a folder of {EXPECTED_INPUT}")
    images: dict[str, Path] = {}
    for path in sorted(folder.glob("*_sat.*")):
        if not is_image(path):
            continue
        stem = path.name[: -len("_sat" + path.suffix)]
        if stem in images:
            raise DeliverableError(f"--input {folder}: {images[stem].name} and {path.name} are the same image "
                                   f"{stem}; keep one")
        images[stem] = path
    if not images:
        raise DeliverableError(f"--input {folder}: no *_sat.* images; expected {EXPECTED_INPUT}")
    return sorted(images.items())


@torch.no_grad()
def predict_batch(model: nn.Module, images: Sequence[torch.Tensor], size: Sequence[int],
                  device: torch.device) -> list[torch.Tensor]:
    """Class masks for uint8 images ``[3, H, W]`` (any sizes): each resized to ``size`` as in training, the
    class scores resized back to the image's own size (bilinear), then the best class per pixel."""
    batch = torch.cat([resize_images(image[None], size) for image in images]).to(device)
    scores = model(to_float(batch))["out"]
    masks = []
    for image, score in zip(images, scores):
        if tuple(score.shape[-2:]) != tuple(image.shape[-2:]):
            score = F.interpolate(score[None], size=image.shape[-2:], mode="bilinear", align_corners=False)[0]
        masks.append(score.argmax(0).cpu())
    return masks


def predict_masks(record: dict[str, Any], weights: dict[str, Any], *, input: Path, output: Path, batch_size: int,
                  device: torch.device, overwrite: bool = False, **_: Any) -> Path:
    """One RGB ``NNNN_mask.png`` in ``output`` per ``NNNN_sat.*`` image of ``input``."""
    settings = record["settings"]
    images = satellite_images(input)
    model = rebuild_model(settings, weights[record["modules"]]).to(device)
    return write_folder_masks(model, images, size=settings["image_size"],
                              palette=torch.tensor(settings["palette"], dtype=torch.uint8), output=output,
                              batch_size=batch_size, device=device, overwrite=overwrite)


def write_folder_masks(model: nn.Module, images: Sequence[tuple[str, Path]], *, size: Sequence[int],
                       palette: torch.Tensor, output: Path | str, batch_size: int, device: torch.device,
                       overwrite: bool) -> Path:
    """``model``'s mask of each ``(NNNN, path)`` of :func:`satellite_images`, ``output/NNNN_mask.png`` in RGB at the
    image's own size (:func:`predict_batch`, in evaluation mode); ``output`` appears whole, replacing what was
    there."""
    model.eval()

    def read(path: Path) -> torch.Tensor:
        return read_image(path, mode="RGB")

    def write(mask: torch.Tensor, stem: str) -> Path:
        return write_masks([mask], [stem], palette, stage)

    # On a GPU, decoding the images and encoding the PNGs can take longer than the model: threads share them.
    with staged_folder(output, overwrite=overwrite) as stage, ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
        for start in tqdm(range(0, len(images), batch_size), desc="segmentation masks", unit="batch", leave=False):
            chunk = images[start:start + batch_size]
            try:
                masks = predict_batch(model, list(pool.map(read, [path for _, path in chunk])), size, device)
            except torch.cuda.OutOfMemoryError:
                raise DeliverableError(f"--batch-size {batch_size}: {len(chunk)} images do not fit in the memory of "
                                       f"{device}; pass a smaller --batch-size") from None
            list(pool.map(write, masks, [stem for stem, _ in chunk]))
    return Path(output)


# --- evaluate ----------------------------------------------------------------------------------------

def colour_codes(palette: torch.Tensor) -> list[int]:
    """RGB colours ``[n, 3]`` as 24-bit integers."""
    return (palette.long() * torch.tensor([65536, 256, 1])).sum(1).tolist()


# Every colour of either palette, numbered once (black is both land-cover's unknown and the scenes' background).
COLOURS: list[int] = list(dict.fromkeys(c for classes, _ in PALETTES.values() for c in colour_codes(palette_of(classes))))
PALETTE_INDEX = {name: [COLOURS.index(c) for c in colour_codes(palette_of(classes))]
                 for name, (classes, _) in PALETTES.items()}


def mask_files(folder: Path | str, parameter: str) -> dict[str, Path]:
    """``{NNNN: path}`` of the ``NNNN_mask.png`` files in ``folder`` (other files are ignored)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DeliverableError(f"{parameter} {folder}: not a folder; expected a folder of NNNN_mask.png masks")
    masks = {p.name.removesuffix("_mask.png"): p for p in sorted(folder.glob("*_mask.png")) if p.is_file()}
    if not masks:
        raise DeliverableError(f"{parameter} {folder}: no NNNN_mask.png masks")
    return masks


def read_colour_mask(path: Path) -> torch.Tensor:
    """An RGB mask file as indices into :data:`COLOURS` ``[H, W]``; a colour of no palette names the file."""
    rgb = read_image(path, mode="RGB")
    codes = (rgb.long() * torch.tensor([65536, 256, 1]).view(3, 1, 1)).sum(0).numpy()
    known = np.array(COLOURS)
    order = np.argsort(known)
    found = np.searchsorted(known[order], codes).clip(0, len(known) - 1)
    bad = known[order][found] != codes
    if bad.any():
        y, x = (int(v[0]) for v in np.nonzero(bad))
        raise DeliverableError(
            f"mask {path}: colour {tuple(rgb[:, y, x].tolist())} (row {y}, column {x}; {int(bad.sum())} such pixels) "
            f"is in neither palette; land-cover: {palette_of(PALETTES['land-cover'][0]).tolist()}, "
            f"digit-scenes: {palette_of(PALETTES['digit-scenes'][0]).tolist()}")
    return torch.from_numpy(order[found])


def palette_used(confusion: torch.Tensor, first_seen: dict[int, Path]) -> str:
    """The palette whose colours the masks use: digit-scenes when any of its own colours appears, else land-cover
    (black alone is read as land-cover's unknown); colours of both is an error naming a file of each."""
    present = {i for i in range(len(COLOURS)) if confusion[i].sum() + confusion[:, i].sum() > 0}
    own = {name: present - {i for other, index in PALETTE_INDEX.items() if other != name for i in index}
           for name in PALETTES}
    if own["land-cover"] and own["digit-scenes"]:
        land, scene = min(own["land-cover"]), min(own["digit-scenes"])
        raise DeliverableError(f"the masks mix two palettes: {first_seen[land]} has the land-cover colour "
                               f"{COLOURS[land]:06x}, {first_seen[scene]} the digit-scenes colour {COLOURS[scene]:06x}")
    return "digit-scenes" if own["digit-scenes"] else "land-cover"


def evaluate_masks(pred: Path, truth: Path | str, *, device: torch.device | None = None,
                   **_: Any) -> dict[str, float | None]:
    """``{"mIoU", "IoU <class>"..., "images"}`` of PRED's ``NNNN_mask.png`` against TRUTH's, the course's
    definition over the whole set (the notebook's :func:`miou_table`, so rounded to 4 decimals as it is)."""
    predicted, true = mask_files(pred, "PRED"), mask_files(truth, "TRUTH")
    missing = sorted(set(true) - set(predicted))
    extra = sorted(set(predicted) - set(true))
    if missing or extra:
        raise DeliverableError(
            f"PRED {pred} and TRUTH {truth} hold different masks: "
            + (f"{len(missing)} without a prediction (e.g. {[f'{m}_mask.png' for m in missing[:3]]})" if missing else "")
            + ("; " if missing and extra else "")
            + (f"{len(extra)} not in TRUTH (e.g. {[f'{e}_mask.png' for e in extra[:3]]})" if extra else ""))
    confusion = torch.zeros(len(COLOURS), len(COLOURS), dtype=torch.long)
    first_seen: dict[int, Path] = {}
    for name, truth_path in tqdm(sorted(true.items()), desc="mIoU", unit="mask", leave=False):
        target, guess = read_colour_mask(truth_path), read_colour_mask(predicted[name])
        if target.shape != guess.shape:
            raise DeliverableError(f"PRED {predicted[name]} is {guess.shape[1]}x{guess.shape[0]} but TRUTH {truth_path} "
                                   f"is {target.shape[1]}x{target.shape[0]} (width x height)")
        for path, mask in ((truth_path, target), (predicted[name], guess)):
            for i in mask.unique().tolist():
                first_seen.setdefault(i, path)
        confusion += confusion_matrix(guess, target, len(COLOURS))
    palette = palette_used(confusion, first_seen)
    classes, exclude = PALETTES[palette]
    index = torch.tensor(PALETTE_INDEX[palette])
    table = miou_table(confusion[index][:, index], classes, exclude)
    return {"mIoU": table.pop("mean"), **{f"IoU {c}": v for c, v in table.items()}, "images": float(len(true))}

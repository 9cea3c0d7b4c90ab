"""Training and evaluation of a segmentation model: per-pixel cross-entropy (plus DeepLabV3's auxiliary
loss), Adam with a cosine schedule, validation loss and mIoU after every epoch, and the predictions for a
few fixed validation images kept at chosen epochs (saved beside the checkpoint, so a resumed run has them)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from helpers.core.config import budget
from helpers.core.evaluation import check_device
from helpers.core.images import to_float
from helpers.core.runtime import place
from helpers.core.training import History, fit
from helpers.data import EMBEDDED
from helpers.data.batches import Batches
from helpers.deliverables.files import staged_folder
from helpers.segmentation.config import SegmentationConfig
from helpers.segmentation.data import SegmentationData, SegmentationSet, random_windows, satellite_root
from helpers.segmentation.deliverable import satellite_images, segmentation_record, write_folder_masks
from helpers.segmentation.masks import write_masks
from helpers.segmentation.metrics import confusion_matrix, miou_table
from helpers.segmentation.networks import build_model, imagenet_file


@dataclass
class SegmentationResult:
    name: str
    model: nn.Module
    history: History
    miou: dict[str, float | None]   # per class and "mean", on the validation split
    snapshots: dict[int, torch.Tensor]  # epoch (1-based) -> predicted masks of the watched images
    checkpoint: Path | None = None  # where the trained model is (with its record for helpers.predict)
    confusion: torch.Tensor | None = None  # [true class, predicted class] pixel counts on the validation split


def segmentation_loss(outputs: dict[str, torch.Tensor], masks: torch.Tensor, aux_weight: float) -> torch.Tensor:
    loss = F.cross_entropy(outputs["out"], masks)
    if "aux" in outputs:
        loss = loss + aux_weight * F.cross_entropy(outputs["aux"], masks)
    return loss


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, device: torch.device, batch_size: int = 64) -> torch.Tensor:
    """Class masks ``[N, H, W]`` (on the CPU) for uint8 images ``[N, 3, H, W]``."""
    device = check_device(model, device)
    model.eval()
    return torch.cat([model(to_float(images[i:i + batch_size].to(device)))["out"].argmax(1).cpu()
                      for i in range(0, len(images), batch_size)])


@torch.no_grad()
def evaluate(model: nn.Module, data: SegmentationSet, n_classes: int, device: torch.device,
             batch_size: int = 64) -> tuple[float, torch.Tensor]:
    """Mean per-pixel cross-entropy of the main output, and the confusion matrix, over ``data``."""
    device = check_device(model, device)
    model.eval()
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.long)
    total = 0.0
    for i in range(0, len(data), batch_size):
        images, masks = to_float(data.images[i:i + batch_size].to(device)), data.masks[i:i + batch_size].to(device).long()
        logits = model(images)["out"]
        total += F.cross_entropy(logits, masks, reduction="sum").item()
        confusion += confusion_matrix(logits.argmax(1).cpu(), masks.cpu(), n_classes)
    return total / data.masks.numel(), confusion


def snapshot_epochs(epochs: int) -> list[int]:
    """The first, middle and last epoch (1-based, without repeats)."""
    return sorted({1, (epochs + 1) // 2, epochs})


def segmenter_checkpoint(folder: Path | str, name: str, config: SegmentationConfig, *, data_name: str,
                         seed: int) -> Path:
    """Where model ``name``'s training keeps its checkpoint: named by the configuration, the data, the seed and the
    ImageNet weights file it starts from, so that a run after the file is put in place (``pretrained="auto"``)
    trains from those weights instead of resuming the one trained from scratch."""
    weights = imagenet_file(name, config.pretrained, config.backbone)
    return checkpoint_path(folder, name, data=data_name, seed=seed, config=config, weights=str(weights))


def train_segmenter(name: str, data: SegmentationData, config: SegmentationConfig, *, watch: Sequence[int],
                    seed: int, device: torch.device, checkpoint_dir: Path | str | None = None,
                    data_name: str = "embedded") -> SegmentationResult:
    """Train model ``name`` on ``data.train`` (a random ``config.crop_size`` window of each image per step); after
    each epoch measure the validation loss and mIoU on whole images, and at :func:`snapshot_epochs` keep the
    predictions for the validation images ``watch``."""
    n_classes = len(data.classes)
    torch.manual_seed(seed)
    model = place(build_model(name, n_classes, config), device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    length = budget(config, "steps", len(data.train))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=length.epochs)
    batches = Batches(data.train.as_image_set(), length.batch_size, device)
    watched = data.validation.images[list(watch)]

    checkpoint, snapshot_file, snapshots = None, None, {}
    if checkpoint_dir is not None:
        checkpoint = segmenter_checkpoint(checkpoint_dir, name, config, data_name=data_name, seed=seed)
        snapshot_file = checkpoint.with_name(f"{checkpoint.stem}_snapshots.pt")
        if snapshot_file.exists() and checkpoint.exists():
            snapshots = load_checkpoint(snapshot_file)

    def step(batch: tuple[torch.Tensor, torch.Tensor], progress: float) -> dict[str, torch.Tensor]:
        images, masks = random_windows(*batch, config.crop_size)
        loss = segmentation_loss(model(images), masks.long(), config.aux_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"train loss": loss.detach()}

    last: dict[str, torch.Tensor] = {}  # the last epoch's confusion matrix: the trained model's

    def on_epoch_end(epoch: int) -> dict[str, float]:
        val_loss, confusion = evaluate(model, data.validation, n_classes, device)
        last["confusion"] = confusion
        if epoch + 1 in snapshot_epochs(length.epochs):
            snapshots[epoch + 1] = predict(model, watched, device)
            if snapshot_file is not None:
                save_checkpoint(snapshots, snapshot_file)
        return {"val loss": val_loss, "val mIoU": miou_table(confusion, data.classes, data.exclude)["mean"] or 0.0}

    history = fit(step, lambda: batches, name=name, epochs=length.epochs, max_steps=length.max_steps,
                  modules={"model": model}, optimizers={"adam": optimizer}, schedulers={"cosine": schedule},
                  checkpoint=checkpoint, seed=seed, on_epoch_end=on_epoch_end,
                  deliverable=segmentation_record(name, data, config))
    # measured after the last epoch (a run that trained here); a finished checkpoint's is measured now
    confusion = last["confusion"] if "confusion" in last else evaluate(model, data.validation, n_classes, device)[1]
    return SegmentationResult(name, model, history, miou_table(confusion, data.classes, data.exclude), snapshots,
                              checkpoint, confusion)


def validation_masks(model: nn.Module, dataset: SegmentationData, data: str, folder: Path | str,
                     device: torch.device) -> Path:
    """``model``'s masks of the whole validation split, ``folder/NNNN_mask.png`` in the course's RGB format. From
    the course's folder each mask has its image's own size, as the course's evaluation script reads them (the
    model sees the images resized); the embedded scenes have one size. ``folder`` is replaced whole, so no mask of
    an earlier run (other data, other names) stays beside them."""
    if data == EMBEDDED:
        with staged_folder(folder, overwrite=True) as stage:
            write_masks(predict(model, dataset.validation.images, device), dataset.validation.names, dataset.palette,
                        stage)
        return Path(folder)
    images = satellite_images(satellite_root(data) / "validation")
    return write_folder_masks(model, images, size=list(dataset.validation.images.shape[-2:]), palette=dataset.palette,
                              output=folder, batch_size=16, device=device, overwrite=True)

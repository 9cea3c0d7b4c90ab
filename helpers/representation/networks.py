"""The networks of the representation notebooks: model A (the suite's digit CNN, trained from scratch) and
torchvision's ResNet18 adapted to small images (model B, and the backbone BYOL pretrains)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import BasicBlock
from torchvision.transforms.v2.functional import rgb_to_grayscale

from helpers.core.digit_cnn import DigitClassifier, FeatureExtractor, LabelPredictor, standardize
from helpers.core.images import Domain
from helpers.core.runtime import derive_seed, place
from helpers.representation.config import ByolConfig, ClassificationConfig
from helpers.representation.data import n_classes
from helpers.representation.pretrained import Initialisation


def model_a(channels: int, n_classes: int, widths: Sequence[int], hidden: int, image_size: int) -> DigitClassifier:
    """Conv-BN-ReLU-pool blocks and a two-hidden-layer classifier; its last hidden layer is the feature
    the report embeds with PCA and t-SNE."""
    features = FeatureExtractor(channels, widths, padding=2, image_size=image_size)
    return DigitClassifier(features, LabelPredictor(features.out_features, hidden, n_classes))


def penultimate(model: DigitClassifier) -> nn.Module:
    """Model A up to its last hidden layer (everything but the final Linear), sharing its weights."""
    return nn.Sequential(model.feature_extractor, *list(model.label_predictor)[:-1])


def basic_stage(channels_in: int, channels_out: int, stride: int) -> nn.Sequential:
    """Two of torchvision's residual BasicBlocks, the first striding (and projecting its shortcut when the
    shape changes), as each stage of ResNet18 is."""
    shortcut = None
    if stride != 1 or channels_in != channels_out:
        shortcut = nn.Sequential(nn.Conv2d(channels_in, channels_out, 1, stride, bias=False), nn.BatchNorm2d(channels_out))
    return nn.Sequential(BasicBlock(channels_in, channels_out, stride, shortcut), BasicBlock(channels_out, channels_out))


def resnet18_small(channels: int, n_classes: int, *, stem: str = "maxpool", weights: Path | None = None,
                   width: int = 64) -> torchvision.models.ResNet:
    """torchvision's ResNet18 for 16-32 px images: the stem's 7x7 convolution keeps its size (and, with
    ImageNet ``weights``, its filters) but strides 1 instead of 2; ``stem="cifar"`` also drops the max-pool,
    as CIFAR ResNets do ("maxpool" keeps it: 4x fewer operations). ``width``: the channels of the stem and
    first stage, doubled by each of the other three (64: torchvision's ResNet18, 512-d features; 32: the
    same layout at a quarter of the operations). ``n_classes=0``: no classifier, the forward pass returns
    the ``8 * width``-d features."""
    if weights is not None and width != 64:
        raise ValueError(f"ImageNet weights fit ResNet18's own width 64, not width={width}")
    model = torchvision.models.resnet18()
    if weights is not None:
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    if width != 64:
        model.bn1 = nn.BatchNorm2d(width)
        model.layer1 = basic_stage(width, width, 1)
        model.layer2 = basic_stage(width, 2 * width, 2)
        model.layer3 = basic_stage(2 * width, 4 * width, 2)
        model.layer4 = basic_stage(4 * width, 8 * width, 2)
    conv = model.conv1
    model.conv1 = nn.Conv2d(channels, width, kernel_size=7, stride=1, padding=3, bias=False)
    with torch.no_grad():
        # other than RGB: the RGB filters summed and shared, so a gray image gives what its RGB copy gives
        if width == 64:
            weight = conv.weight if channels == 3 else conv.weight.sum(1, keepdim=True).repeat(1, channels, 1, 1) / channels
            model.conv1.weight.copy_(weight)
    if stem == "cifar":
        model.maxpool = nn.Identity()
    model.fc = nn.Linear(8 * width, n_classes) if n_classes > 0 else nn.Identity()
    return model


class Standardize(nn.Module):
    """Per-image contrast normalisation (zero mean, unit deviation), as model A's first step does."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return standardize(images)


class Gray(nn.Module):
    """Luminance in all three channels (torchvision's ``rgb_to_grayscale``). The colour of a street-number
    digit and of its background says nothing about the digit: with 69 labels a classifier that also sees
    colour learns less (a random backbone's frozen features on digits-s, logistic regression on the 69
    labels: 12% from colour, 21% from gray images). BYOL's gray views are then what fine-tuning sees too.
    For digit images only (not photos)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return rgb_to_grayscale(images, num_output_channels=images.shape[1])


class Polarity(nn.Module):
    """Makes the background dark: a standardised image whose border (the outer eighth on each side) is
    brighter than its mean is negated. A street-number digit is as often dark on light as light on dark;
    after this step it is light on dark, as the handwritten ``digits`` are, and a classifier no longer has
    to learn both polarities of every digit from a few labels. For digit images only (not photos)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        gray = images.mean(1)
        b = max(1, images.shape[-1] // 8)
        border = torch.cat([gray[:, :b].flatten(1), gray[:, -b:].flatten(1),
                            gray[:, :, :b].flatten(1), gray[:, :, -b:].flatten(1)], 1).mean(1)
        return torch.where((border > 0).view(-1, 1, 1, 1), -images, images)


def model_a_arguments(config: ClassificationConfig, domain: Domain) -> dict:
    """The keyword arguments of :func:`model_a` for this data (plain values: they go into the checkpoint)."""
    return {"channels": domain.train.channels, "n_classes": n_classes(domain), "widths": list(config.widths),
            "hidden": config.hidden, "image_size": config.image_size}


def model_b_arguments(config: ClassificationConfig, domain: Domain) -> dict:
    """The keyword arguments of :func:`resnet18_small` for this data, the initial weights left out."""
    return {"channels": domain.train.channels, "n_classes": n_classes(domain), "stem": config.stem}


def build_model_a(config: ClassificationConfig, domain: Domain) -> torch.nn.Module:
    return model_a(**model_a_arguments(config, domain))


def build_model_b(config: ClassificationConfig, domain: Domain, init: Initialisation) -> torch.nn.Module:
    return resnet18_small(**model_b_arguments(config, domain), weights=init.weights)


def random_backbone(config: ByolConfig, seed: int, device: torch.device | str = "cpu") -> nn.Module:
    """The ResNet18 every pretraining starts from (the same weights for the same seed), after a per-image
    contrast normalisation (the street-number digits differ most in colour and contrast) and, with
    ``config.polarity``, the polarity normalisation (dark background); with ``config.gray``, gray images. On
    ``device``."""
    torch.manual_seed(derive_seed(seed, "backbone"))
    return place(resnet_backbone(config.stem, config.polarity, config.width, config.gray), device)


def feature_width(width: int) -> int:
    """The backbone's representation: ResNet18's last stage has 8x the channels of its first (512 at 64)."""
    return 8 * width


def resnet_backbone(stem: str, polarity: bool = False, width: int = 64, gray: bool = False) -> nn.Module:
    """With ``gray``, :class:`Gray`; per-image contrast normalisation (and, with ``polarity``,
    :class:`Polarity`); then ResNet18 for small images without its classifier (``feature_width(width)``-d
    out). The normalisations have no weights: the checkpoint's keys are the same either way."""
    steps = [Gray()] if gray else []
    steps += [Standardize(), Polarity()] if polarity else [Standardize()]
    return nn.Sequential(nn.Sequential(*steps), resnet18_small(3, 0, stem=stem, width=width))


class Finetuned(nn.Module):
    """A backbone and a linear classifier; a frozen backbone gets no gradients and stays in evaluation
    mode (its BatchNorm statistics do not move either)."""

    def __init__(self, backbone: nn.Module, features: int, n_classes: int, frozen: bool) -> None:
        super().__init__()
        self.backbone, self.classifier, self.frozen = backbone, nn.Linear(features, n_classes), frozen
        if frozen:
            self.backbone.requires_grad_(False)

    def train(self, mode: bool = True) -> Finetuned:
        super().train(mode)
        if self.frozen:
            self.backbone.eval()
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.backbone(images))


def finetuned_classifier(stem: str, n_classes: int, polarity: bool = False, width: int = 64,
                         gray: bool = False) -> Finetuned:
    """A setting's classifier with fresh weights, the shape its checkpoint's weights load into."""
    return Finetuned(resnet_backbone(stem, polarity, width, gray), feature_width(width), n_classes, frozen=False)

"""The digit CNN of the DANN paper (Ganin & Lempitsky 2015, MNIST architecture), sized by widths."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def standardize(images: torch.Tensor, eps: float = 0.1) -> torch.Tensor:
    """Per-image contrast normalisation (zero mean, unit deviation over channels and pixels), the global
    contrast normalisation long used for SVHN; ``eps`` keeps flat images from being blown up."""
    mean = images.mean((1, 2, 3), keepdim=True)
    return (images - mean) / (images.std((1, 2, 3), keepdim=True) + eps)


class FeatureExtractor(nn.Sequential):
    """Conv(5x5) - BatchNorm - ReLU - MaxPool(2) blocks, then flatten; dropout before the last pool.
    With ``standardize`` each input image is first contrast-normalised (see :func:`standardize`)."""

    def __init__(self, in_channels: int = 3, widths: Sequence[int] = (32, 48), padding: int = 0,
                 image_size: int = 28, dropout: float = 0.1, standardize: bool = True) -> None:
        layers: list[nn.Module] = []
        channels = in_channels
        for i, width in enumerate(widths):
            layers += [nn.Conv2d(channels, width, 5, padding=padding), nn.BatchNorm2d(width)]
            if i == len(widths) - 1 and dropout > 0:
                layers.append(nn.Dropout2d(dropout))
            layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            channels = width
        layers.append(nn.Flatten())
        super().__init__(*layers)
        self.standardize = standardize
        with torch.no_grad():
            self.out_features = self(torch.zeros(2, in_channels, image_size, image_size)).shape[1]
        if self.out_features == 0:
            raise ValueError(f"widths {tuple(widths)} with padding {padding} shrink a {image_size}px image to nothing")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return super().forward(standardize(images) if self.standardize else images)


class LabelPredictor(nn.Sequential):
    """Two hidden fully connected layers, then the class logits."""

    def __init__(self, in_features: int, hidden: int = 100, n_classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__(
            nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, n_classes),
        )


class DigitClassifier(nn.Module):
    """Feature extractor + label predictor: the source-only and target-only model."""

    def __init__(self, feature_extractor: FeatureExtractor, label_predictor: nn.Module) -> None:
        super().__init__()
        self.feature_extractor = feature_extractor
        self.label_predictor = label_predictor

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.label_predictor(self.feature_extractor(images))

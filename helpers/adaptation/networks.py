"""Gradient reversal and the domain classifier of DANN (Ganin & Lempitsky 2015)."""
from __future__ import annotations

import math

import torch
from torch import nn


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, lambda_: float) -> torch.Tensor:  # type: ignore[override]
        ctx.lambda_ = lambda_
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.lambda_ * grad, None


class GradientReversal(nn.Module):
    """Identity forward; multiplies the gradient by ``-lambda_`` backward. Set ``lambda_`` each step."""

    def __init__(self, lambda_: float = 1.0) -> None:
        super().__init__()
        self.lambda_ = lambda_

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ReverseGradient.apply(x, self.lambda_)

    def extra_repr(self) -> str:
        return "lambda = 2 / (1 + exp(-gamma * p)) - 1"


def grl_lambda(progress: float, gamma: float = 10.0) -> float:
    """The paper's schedule: 0 at the start of training, approaching 1 at the end (p in [0, 1])."""
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


class DomainClassifier(nn.Sequential):
    """Gradient reversal, then one hidden layer that tells source (0) from target (1), as in the paper's
    digit network (fc 100 - ReLU - fc)."""

    def __init__(self, in_features: int, hidden: int = 100) -> None:
        super().__init__(
            GradientReversal(),
            nn.Linear(in_features, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 2),
        )

    @property
    def reversal(self) -> GradientReversal:
        return self[0]


class DANN(nn.Module):
    """Feature extractor shared by the label predictor and, through gradient reversal, the domain classifier."""

    def __init__(self, feature_extractor: nn.Module, label_predictor: nn.Module, domain_classifier: DomainClassifier) -> None:
        super().__init__()
        self.feature_extractor = feature_extractor
        self.label_predictor = label_predictor
        self.domain_classifier = domain_classifier

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits, so that evaluation treats DANN like any classifier."""
        return self.label_predictor(self.feature_extractor(images))

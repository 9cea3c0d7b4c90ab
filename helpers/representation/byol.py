"""BYOL (Grill et al. 2020, "Bootstrap your own latent"): an online network (backbone, projector, predictor)
learns to predict a target network's projection of another view of the same image; the target is an
exponential moving average (EMA) of the online backbone and projector and gets no gradients.

    loss = 2 - 2 cos(q(z_online(v1)), z_target(v2))  +  the same with v1 and v2 swapped
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Sequential):
    """Projector and predictor: Linear - BatchNorm - ReLU - Linear (the paper's, with smaller widths)."""

    def __init__(self, in_features: int, hidden: int, out_features: int) -> None:
        super().__init__(nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out_features))


def regression_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """2 - 2 cos(p, z) per sample: the squared distance of the L2-normalised vectors (0 when aligned)."""
    return 2 - 2 * F.cosine_similarity(prediction, target, dim=-1)


def target_decay(tau_base: float, progress: float) -> float:
    """The paper's EMA decay: tau = 1 - (1 - tau_base) (cos(pi p) + 1) / 2, from tau_base to 1 over training."""
    return 1 - (1 - tau_base) * (math.cos(math.pi * progress) + 1) / 2


class BYOL(nn.Module):
    """Online (backbone -> projector) + predictor, and the EMA target (backbone -> projector)."""

    def __init__(self, backbone: nn.Module, feature_dim: int, hidden: int = 512, projection: int = 128) -> None:
        super().__init__()
        self.online = nn.Sequential()
        self.online.add_module("backbone", backbone)
        self.online.add_module("projector", MLP(feature_dim, hidden, projection))
        self.predictor = MLP(projection, hidden, projection)
        self.target = copy.deepcopy(self.online)
        self.target.requires_grad_(False)

    @property
    def backbone(self) -> nn.Module:
        """The online backbone: what fine-tuning starts from."""
        return self.online.backbone

    def forward(self, view1: torch.Tensor, view2: torch.Tensor) -> torch.Tensor:
        """The symmetric loss, averaged over the batch."""
        views = torch.cat([view1, view2])  # one pass for both views
        predictions = self.predictor(self.online(views))
        with torch.no_grad():
            targets = self.target(views)
        p1, p2 = predictions.chunk(2)
        z1, z2 = targets.chunk(2)
        return (regression_loss(p1, z2) + regression_loss(p2, z1)).mean()

    @torch.no_grad()
    def update_target(self, tau: float) -> None:
        """target <- tau * target + (1 - tau) * online, parameters and BatchNorm statistics alike."""
        for target, online in zip(self.target.parameters(), self.online.parameters()):
            target.mul_(tau).add_(online, alpha=1 - tau)
        for target, online in zip(self.target.buffers(), self.online.buffers()):
            if target.dtype.is_floating_point:
                target.mul_(tau).add_(online, alpha=1 - tau)
            else:
                target.copy_(online)


@torch.no_grad()
def embedding_std(embeddings: torch.Tensor) -> float:
    """Mean over dimensions of the standard deviation of the L2-normalised embeddings (SimSiam's collapse
    check): 0 when every image maps to one point, about 1/sqrt(dim) when they spread over the sphere."""
    return F.normalize(embeddings.float(), dim=1).std(0).mean().item()

"""The two segmentation models: FCN32s (Long et al. 2015) on VGG16's features, and DeepLabV3 (Chen et al.
2017) from torchvision.models.segmentation, with its auxiliary classifier.

The ``reference`` backbones are the course's: torchvision's VGG16 and ResNet50, with ImageNet weights from the
torch cache or a folder (:func:`imagenet_file`; never downloaded; read with ``weights_only=True``, so a file
that holds more than tensors is refused instead of unpickled). The ``narrow`` backbones keep the layouts (VGG16's
2-2-3-3-3 convolutions with five poolings; ResNet50's stem and four stages of Bottleneck blocks, stages 3-4
dilated instead of strided) with fewer channels, for a CPU.
"""
from __future__ import annotations

import pickle
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import ResNet50_Weights, VGG16_Weights, vgg16
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.resnet import Bottleneck
from torchvision.models.segmentation import DeepLabV3, deeplabv3_resnet50
from torchvision.models.segmentation.deeplabv3 import ASPP
from torchvision.models.segmentation.fcn import FCNHead
from torchvision.models.vgg import make_layers

from helpers.core.weights import missing_imagenet_message, torch_cache
from helpers.segmentation.config import PRETRAINED_CHOICES

IMAGENET_WEIGHTS = {"fcn32s": VGG16_Weights.IMAGENET1K_V1, "deeplabv3": ResNet50_Weights.IMAGENET1K_V1}


def weights_file(model: str) -> Path:
    """Where torch.hub keeps the ImageNet weights of ``model``'s reference backbone."""
    return torch_cache() / Path(IMAGENET_WEIGHTS[model].url).name


def missing_weights_message(model: str, path: Path) -> str:
    """Which file is missing, where it goes (the folder ``path`` is in: the torch cache or the one given as
    ``pretrained``), how to get it, and what to pass instead."""
    builder = {"fcn32s": "vgg16", "deeplabv3": "resnet50"}[model]
    return missing_imagenet_message(f"{model}'s {builder} backbone", path, builder=builder,
                                    url=IMAGENET_WEIGHTS[model].url, files="files",
                                    elsewhere=f"pretrained=<a folder holding {' and '.join(weights_files())}>")


def weights_files() -> list[str]:
    """torchvision's file names of the reference backbones' ImageNet weights."""
    return [Path(weights.url).name for weights in IMAGENET_WEIGHTS.values()]


def imagenet_file(model: str, pretrained: str, backbone: str) -> Path | None:
    """The ImageNet weights file of ``model``'s backbone, by ``pretrained`` (:class:`SegmentationConfig`):
    ``"auto"``: the torch cache's (:func:`weights_file`) when it is there, else None (trained from scratch;
    :func:`weights_note` says so); ``"imagenet"``: the torch cache's, which must be there; ``"none"``: None; any
    other value: a folder, which must hold torchvision's file. The narrow backbones have no ImageNet weights:
    ``"auto"`` and ``"none"`` give None, a request for weights is an error."""
    if pretrained == "none":
        return None
    if backbone != "reference":
        if pretrained == "auto":
            return None
        raise ValueError(f"pretrained={pretrained!r} asks for ImageNet weights, which only the reference backbones "
                         f"have (backbone='reference'); the {backbone} backbones are trained from scratch "
                         f"(pretrained='auto' or 'none')")
    cached = weights_file(model)
    if pretrained == "auto":
        return cached if cached.is_file() else None
    if pretrained == "imagenet":
        path = cached
    else:
        folder = Path(pretrained).expanduser()
        if not folder.is_dir():
            given = "a file; give the folder that holds it" if folder.is_file() else "neither one of " + \
                f"{', '.join(PRETRAINED_CHOICES)} nor an existing folder"
            raise FileNotFoundError(f"pretrained={pretrained!r} is {given} (segmentation takes a folder holding "
                                    f"{' and '.join(weights_files())})")
        path = folder / cached.name
    if not path.is_file():
        raise FileNotFoundError(missing_weights_message(model, path))
    return path


def imagenet_state_dict(model: str, path: Path) -> dict[str, torch.Tensor]:
    """The ImageNet weights of ``model``'s reference backbone from ``path`` (:func:`imagenet_file`), read with
    ``torch.load(weights_only=True)``: tensors and plain containers only, so a file that would run code when
    unpickled is refused (torchvision's own loader, ``torch.hub.load_state_dict_from_url``, unpickles anything).
    Nothing is downloaded."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, ValueError) as error:
        raise RuntimeError(f"ImageNet weights file {path} is damaged or holds more than tensors ({error}); delete it "
                           f"and put torchvision's {path.name} there ({IMAGENET_WEIGHTS[model].url})") from None


class FCN32s(nn.Module):
    """VGG16's convolutional features (stride 32), fc6/fc7 as convolutions, a 1x1 classifier, and the class
    scores upsampled 32x back to the input size; bilinear and fixed, as the paper fixes FCN-32s' last
    upsampling ("final layer deconvolutional filters are fixed to bilinear interpolation")."""

    def __init__(self, features: nn.Sequential, feature_channels: int, n_classes: int, hidden: int = 4096,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.fc6 = nn.Sequential(nn.Conv2d(feature_channels, hidden, 7, padding=3), nn.ReLU(inplace=True),
                                 nn.Dropout2d(dropout))
        self.fc7 = nn.Sequential(nn.Conv2d(hidden, hidden, 1), nn.ReLU(inplace=True), nn.Dropout2d(dropout))
        self.score = nn.Conv2d(hidden, n_classes, 1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        scores = self.score(self.fc7(self.fc6(self.features(x))))
        return {"out": F.interpolate(scores, size=x.shape[-2:], mode="bilinear", align_corners=False)}


def fcn32s(n_classes: int, *, backbone: str, widths: Sequence[int] = (), hidden: int = 4096,
           weights: Path | None = None) -> FCN32s:
    """FCN32s on torchvision's VGG16 (``reference``; ImageNet ``weights`` when given, :func:`imagenet_file`) or on
    VGG16's layout with ``widths`` per block and batch normalisation (``narrow``, trained from scratch)."""
    if backbone == "reference":
        vgg = vgg16(init_weights=weights is None)  # as vgg16(weights=...) builds it: no initialisation to overwrite
        if weights is not None:
            vgg.load_state_dict(imagenet_state_dict("fcn32s", weights))
        return FCN32s(vgg.features, 512, n_classes, hidden)
    w1, w2, w3, w4, w5 = widths
    layout = [w1, w1, "M", w2, w2, "M", w3, w3, w3, "M", w4, w4, w4, "M", w5, w5, w5, "M"]
    return FCN32s(make_layers(layout, batch_norm=True), w5, n_classes, hidden)


def dilated_resnet(widths: Sequence[int], blocks: Sequence[int], output_stride: int = 8) -> nn.Sequential:
    """ResNet50's layout with ``widths`` (the Bottleneck widths; outputs are 4x) and ``blocks`` per stage.
    As torchvision builds DeepLabV3, the last stages are dilated instead of strided: stages 3-4 for output
    stride 8, stages 2-4 for output stride 4 (small images: an 8x8 map cannot draw a 3-pixel stroke)."""
    if output_stride not in (4, 8):
        raise ValueError(f"output_stride={output_stride} is not valid; valid choices: 4, 8")
    strides, dilations = ((1, 2, 1, 1), (1, 1, 2, 4)) if output_stride == 8 else ((1, 1, 1, 1), (1, 2, 4, 8))
    stem = widths[0]
    layers: OrderedDict[str, nn.Module] = OrderedDict(
        conv1=nn.Conv2d(3, stem, 7, stride=2, padding=3, bias=False), bn1=nn.BatchNorm2d(stem),
        relu=nn.ReLU(inplace=True), maxpool=nn.MaxPool2d(3, stride=2, padding=1))
    channels = stem
    for stage, (width, count, stride, dilation) in enumerate(zip(widths, blocks, strides, dilations), 1):
        out = width * Bottleneck.expansion
        stage_blocks = []
        for b in range(count):
            downsample = None
            if b == 0 and (stride != 1 or channels != out):
                downsample = nn.Sequential(nn.Conv2d(channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))
            stage_blocks.append(Bottleneck(channels, width, stride if b == 0 else 1, downsample, dilation=dilation))
            channels = out
        layers[f"layer{stage}"] = nn.Sequential(*stage_blocks)
    return nn.Sequential(layers)


def deeplab_head(in_channels: int, n_classes: int, rates: Sequence[int], channels: int) -> nn.Sequential:
    """torchvision's DeepLabHead (ASPP, 3x3 convolution, 1x1 classifier) with its width and rates as
    parameters: rates suited to the feature map's size (an 8x8 map has no use for a rate of 24)."""
    return nn.Sequential(ASPP(in_channels, list(rates), channels), nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, n_classes, 1))


def deeplabv3(n_classes: int, *, backbone: str, widths: Sequence[int] = (), blocks: Sequence[int] = (),
              rates: Sequence[int] = (12, 24, 36), aspp_channels: int = 256, output_stride: int = 8,
              weights: Path | None = None) -> DeepLabV3:
    """torchvision's DeepLabV3 with the auxiliary FCN head on stage 3: ResNet50 (``reference``, the course's
    model; ImageNet ``weights`` when given, :func:`imagenet_file`) or :func:`dilated_resnet` (``narrow``)."""
    if backbone == "reference":
        if output_stride != 8:
            raise ValueError(f"output_stride={output_stride}: the reference ResNet50 backbone has output stride 8")
        model = deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=n_classes, aux_loss=True)
        if weights is not None:  # ResNet50's layers up to layer4; its classifier (fc) is not part of the backbone
            state = imagenet_state_dict("deeplabv3", weights)
            model.backbone.load_state_dict({k: v for k, v in state.items() if not k.startswith("fc.")})
        return model
    body = IntermediateLayerGetter(dilated_resnet(widths, blocks, output_stride), return_layers={"layer4": "out", "layer3": "aux"})
    out = widths[3] * Bottleneck.expansion
    return DeepLabV3(body, deeplab_head(out, n_classes, rates, aspp_channels), FCNHead(widths[2] * Bottleneck.expansion, n_classes))


BUILDERS = {"fcn32s": fcn32s, "deeplabv3": deeplabv3}


def builder_arguments(name: str, config) -> dict:
    """The keyword arguments of model ``name``'s builder (:data:`BUILDERS`) for the configuration
    (:class:`SegmentationConfig`), the initial ``weights`` aside: what a checkpoint's record keeps to rebuild it."""
    narrow = config.backbone == "narrow"  # the reference backbones have torchvision's widths, blocks and rates
    if name == "fcn32s":
        return {"backbone": config.backbone, "hidden": config.fcn_hidden,
                **({"widths": list(config.fcn_widths)} if narrow else {})}
    if name == "deeplabv3":
        return {"backbone": config.backbone, "output_stride": config.output_stride,
                **({"widths": list(config.deeplab_widths), "blocks": list(config.deeplab_blocks),
                    "rates": list(config.atrous_rates), "aspp_channels": config.aspp_channels} if narrow else {})}
    raise ValueError(f"unknown model {name!r}; valid choices: {', '.join(BUILDERS)}")


def build_model(name: str, n_classes: int, config) -> nn.Module:
    """``fcn32s`` or ``deeplabv3`` as the configuration (:class:`SegmentationConfig`) describes it."""
    arguments = builder_arguments(name, config)  # an unknown name raises here, listing the valid ones
    return BUILDERS[name](n_classes, **arguments, weights=imagenet_file(name, config.pretrained, config.backbone))


def weights_note(config) -> str:
    """The hyperparameter table's line on ImageNet weights: which were used, or why none were. A ``pretrained``
    that names a missing file or folder, or asks the narrow backbones for weights, raises here."""
    files = {model: imagenet_file(model, config.pretrained, config.backbone) for model in IMAGENET_WEIGHTS}
    if config.backbone != "reference":
        return f"none: the {config.backbone} backbones are trained from scratch"
    if config.pretrained == "none":
        return "none (pretrained='none'): trained from scratch"
    notes = []
    for model, backbone in (("fcn32s", "VGG16"), ("deeplabv3", "ResNet50")):
        notes.append(f"{backbone}: ImageNet, {files[model]}" if files[model] is not None else
                     f"{backbone}: not found at {weights_file(model)}, trained from scratch (put the file there, "
                     f"or pass pretrained=<a folder holding both files>)")
    return "; ".join(notes)

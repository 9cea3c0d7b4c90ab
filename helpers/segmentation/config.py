"""Configuration of the segmentation notebook, with a profile per machine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helpers.core.config import steps_field

MODELS = ("fcn32s", "deeplabv3")
# The reference backbones' ImageNet weights (helpers.segmentation.networks.imagenet_file): "auto": from the torch
# cache when there, else from scratch (said in the table); "imagenet": the cache's, which must be there; "none":
# from scratch; anything else: a folder holding torchvision's vgg16-397923af.pth and resnet50-0676ba61.pth.
PRETRAINED_CHOICES = ("auto", "imagenet", "none")


@dataclass
class SegmentationConfig:
    """Defaults of the segmentation notebook (the cpu profile); ``PROFILES`` overrides per profile.

    ``backbone="narrow"`` keeps VGG16's and ResNet50's layouts with the widths below (trained from scratch);
    ``"reference"`` is the course's: torchvision's VGG16 and ResNet50, with ImageNet weights by ``pretrained``."""

    PROFILES: ClassVar[dict[str, dict]] = {
        "smoke": dict(train_scenes=48, val_scenes=16, steps=12, batch_size=8, fcn_widths=(4, 8, 8, 16, 16),
                      fcn_hidden=32, deeplab_widths=(4, 8, 8, 16), aspp_channels=16, image_size=64,
                      crop_size=32),  # windows smaller than the images, so that the tests' runs take that path
        # cpu-lite: for a slower CPU (helpers.core.config.auto_choice), 0.7x the cpu
        # profile's steps (7 epochs of the embedded scenes; at 4 DeepLabV3 had not yet learnt the digits: 11% mIoU)
        "cpu-lite": dict(steps=322),
        "cpu": dict(),
        # The course's models; canvases twice as large, so that output stride 8 keeps a 16x16 map.
        "gpu": dict(backbone="reference", output_stride=8, canvas_size=128, digit_size=64, train_scenes=8000,
                    val_scenes=1000, steps=15000, batch_size=16, lr=1e-4, fcn_hidden=4096, atrous_rates=(12, 24, 36),
                    aspp_channels=256, image_size=512, crop_size=None),
    }

    # embedded digit-scenes
    train_scenes: int = field(default=1500, metadata={"min": 1})
    val_scenes: int = field(default=300, metadata={"min": 3})
    canvas_size: int = field(default=64, metadata={"min": 32})
    digit_size: int = field(default=32, metadata={"min": 8})
    grid: int = field(default=2, metadata={"min": 1})
    digits_per_canvas: tuple[int, int] = field(default=(2, 4), metadata={"min": 1, "each": True})
    # course satellite data: images and masks resized to image_size x image_size (the course's are 512)
    image_size: int = field(default=128, metadata={"min": 32})
    # training windows: each step trains on a random crop_size x crop_size window of each image (the same window of
    # its mask), so that a step costs the same on the course's 128x128 images as on the 64x64 canvases; validation
    # and predictions see whole images. None: whole images.
    crop_size: int | None = field(default=64, metadata={"min": 32})
    # models
    backbone: str = field(default="narrow", metadata={"choices": ("narrow", "reference")})
    pretrained: str = "auto"  # the reference backbones' ImageNet weights: PRETRAINED_CHOICES or a folder
    fcn_widths: tuple[int, ...] = field(default=(8, 16, 32, 64, 64), metadata={"min": 1, "each": True})
    fcn_hidden: int = field(default=128, metadata={"min": 1})  # fc6/fc7 channels (VGG16: 4096)
    deeplab_widths: tuple[int, ...] = field(default=(16, 24, 32, 64), metadata={"min": 1, "each": True})
    deeplab_blocks: tuple[int, ...] = field(default=(1, 1, 1, 1), metadata={"min": 1, "each": True})  # ResNet50: 3, 4, 6, 3
    output_stride: int = field(default=4, metadata={"choices": (4, 8)})  # narrow DeepLabV3 (ResNet50: 8)
    atrous_rates: tuple[int, ...] = field(default=(2, 4, 6), metadata={"min": 1, "each": True})
    aspp_channels: int = field(default=32, metadata={"min": 1})
    # training
    steps: int = steps_field(460)  # 10 epochs of the embedded scenes
    epochs: int | None = field(default=None, metadata={"min": 1})  # set: this many epochs instead of the steps
    batch_size: int = field(default=32, metadata={"min": 2})
    lr: float = field(default=3e-3, metadata={"min": 0.0})
    weight_decay: float = field(default=1e-4, metadata={"min": 0.0})
    aux_weight: float = field(default=0.5, metadata={"min": 0.0})  # DeepLabV3's auxiliary loss (torchvision's recipe)

    def __post_init__(self) -> None:
        for name, count in (("fcn_widths", 5), ("deeplab_widths", 4), ("deeplab_blocks", 4), ("digits_per_canvas", 2)):
            if len(getattr(self, name)) != count:
                raise ValueError(f"{name}={getattr(self, name)!r} must have {count} values")
        if self.digits_per_canvas[0] > self.digits_per_canvas[1] or self.digits_per_canvas[1] > self.grid ** 2:
            raise ValueError(f"digits_per_canvas={self.digits_per_canvas!r} must be (min, max) with max <= grid**2 = {self.grid ** 2}")

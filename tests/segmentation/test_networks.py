"""helpers/segmentation/networks.py: the models and where their ImageNet weights come from."""
from __future__ import annotations

import pytest
import torch

from helpers.core.config import make_config
from helpers.segmentation.config import SegmentationConfig
from helpers.segmentation.networks import build_model, dilated_resnet, imagenet_weights, weights_note


def test_the_narrow_models_segment_at_full_resolution_and_deeplab_has_its_aux_head():
    config = make_config(SegmentationConfig, "smoke")
    x = torch.randn(2, 3, 64, 64)
    fcn, deeplab = build_model("fcn32s", 11, config), build_model("deeplabv3", 11, config)
    assert fcn(x)["out"].shape == (2, 11, 64, 64)
    out = deeplab(x)
    assert out["out"].shape == out["aux"].shape == (2, 11, 64, 64)
    for stride in (4, 8):  # layer4's map: 64 / stride
        body = dilated_resnet((4, 4, 4, 4), (1, 1, 1, 1), output_stride=stride)
        assert body(x).shape[-1] == 64 // stride
    with pytest.raises(ValueError, match="unknown model"):
        build_model("unet", 11, config)


def test_imagenet_weights_only_from_the_torch_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    reference = make_config(SegmentationConfig, "gpu")
    assert imagenet_weights("fcn32s", True) is None
    assert "not found at" in weights_note(reference) and str(tmp_path) in weights_note(reference)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "vgg16-397923af.pth").touch()
    assert imagenet_weights("fcn32s", True) is not None and imagenet_weights("fcn32s", False) is None
    assert "VGG16: ImageNet" in weights_note(reference)
    assert "from scratch" in weights_note(make_config(SegmentationConfig, "cpu"))

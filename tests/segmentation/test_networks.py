"""helpers/segmentation/networks.py: the models and where their ImageNet weights come from."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torchvision.models import resnet50

from helpers.core.config import make_config
from helpers.segmentation.config import SegmentationConfig
from helpers.segmentation.experiment import segmenter_checkpoint
from helpers.segmentation.networks import build_model, dilated_resnet, imagenet_file, imagenet_state_dict, weights_note


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


def test_imagenet_weights_from_the_torch_cache_or_a_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    reference = make_config(SegmentationConfig, "gpu")
    assert imagenet_file("fcn32s", "auto", "reference") is None
    assert "not found at" in weights_note(reference) and str(tmp_path) in weights_note(reference)
    cached = tmp_path / "checkpoints" / "vgg16-397923af.pth"
    cached.parent.mkdir()
    torch.save({"features.0.bias": torch.ones(2)}, cached)
    assert imagenet_file("fcn32s", "auto", "reference") == imagenet_file("fcn32s", "imagenet", "reference") == cached
    assert torch.equal(imagenet_state_dict("fcn32s", cached)["features.0.bias"], torch.ones(2))
    assert imagenet_file("fcn32s", "none", "reference") is None
    assert "VGG16: ImageNet" in weights_note(reference) and "ResNet50: not found" in weights_note(reference)
    assert "from scratch" in weights_note(make_config(SegmentationConfig, "gpu", {"pretrained": "none"}))
    assert "from scratch" in weights_note(make_config(SegmentationConfig, "cpu"))
    missing = r"resnet50-0676ba61\.pth\n.*torchvision\.models\.resnet50\(weights='IMAGENET1K_V1'\).*pretrained='none'"
    with pytest.raises(FileNotFoundError, match=missing):  # the file, where it goes, what to run instead
        imagenet_file("deeplabv3", "imagenet", "reference")

    folder = tmp_path / "weights"
    folder.mkdir()
    torch.save({"features.0.bias": torch.zeros(2)}, folder / "vgg16-397923af.pth")
    assert imagenet_file("fcn32s", str(folder), "reference") == folder / "vgg16-397923af.pth"
    with pytest.raises(FileNotFoundError) as error:  # the folder given is where the missing file goes
        weights_note(make_config(SegmentationConfig, "gpu", {"pretrained": str(folder)}))
    assert re.search(rf"not found: {re.escape(str(folder))}/resnet50-0676ba61\.pth\nPut the file resnet50-0676ba61\.pth "
                     rf"in the folder given as pretrained, {re.escape(str(folder))} ", str(error.value))
    torch.save(resnet50().state_dict(), folder / "resnet50-0676ba61.pth")
    note = weights_note(make_config(SegmentationConfig, "gpu", {"pretrained": str(folder)}))
    assert note == f"VGG16: ImageNet, {folder / 'vgg16-397923af.pth'}; ResNet50: ImageNet, {folder / 'resnet50-0676ba61.pth'}"
    with pytest.raises(FileNotFoundError, match="pretrained='/nowhere'.*neither one of auto, imagenet, none"):
        imagenet_file("fcn32s", "/nowhere", "reference")
    with pytest.raises(FileNotFoundError, match="is a file; give the folder that holds it"):
        imagenet_file("fcn32s", str(folder / "vgg16-397923af.pth"), "reference")
    with pytest.raises(ValueError, match="only the reference backbones"):  # the narrow ones have no ImageNet weights
        weights_note(make_config(SegmentationConfig, "cpu", {"pretrained": "imagenet"}))


def test_a_checkpoint_trained_from_scratch_is_not_resumed_once_imagenet_weights_are_there(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    reference = make_config(SegmentationConfig, "gpu")
    before = segmenter_checkpoint(tmp_path / "ck", "fcn32s", reference, data_name="embedded", seed=0)
    (tmp_path / "checkpoints").mkdir()
    torch.save({}, tmp_path / "checkpoints" / "vgg16-397923af.pth")
    after = segmenter_checkpoint(tmp_path / "ck", "fcn32s", reference, data_name="embedded", seed=0)
    assert after != before
    assert segmenter_checkpoint(tmp_path / "ck", "deeplabv3", reference, data_name="embedded", seed=0).name.startswith("deeplabv3_")


class Payload:
    """Unpickling it opens (creates) a file: what a weights file can do to a loader that unpickles anything."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def test_imagenet_weights_load_as_tensors_only_and_a_file_with_more_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    reference = make_config(SegmentationConfig, "gpu")
    path = tmp_path / "checkpoints" / "resnet50-0676ba61.pth"
    path.parent.mkdir()
    torch.manual_seed(0)
    state = resnet50().state_dict()
    torch.save(state, path)
    model = build_model("deeplabv3", 11, reference)
    assert all(torch.equal(v, state[k]) for k, v in model.backbone.state_dict().items())
    elsewhere = tmp_path / "weights"  # the same file from a folder given as pretrained
    elsewhere.mkdir()
    path.rename(elsewhere / path.name)
    from_folder = make_config(SegmentationConfig, "gpu", {"pretrained": str(elsewhere)})
    model = build_model("deeplabv3", 11, from_folder)
    assert all(torch.equal(v, state[k]) for k, v in model.backbone.state_dict().items())
    path = elsewhere / path.name

    marker = tmp_path / "payload-ran"
    torch.save({**state, "payload": Payload(marker)}, path)
    with pytest.raises(RuntimeError, match=f"{re.escape(str(path))}.*holds more than tensors"):
        build_model("deeplabv3", 11, from_folder)
    assert not marker.exists()

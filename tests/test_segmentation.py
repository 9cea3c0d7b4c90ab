"""helpers/segmentation and helpers/data/scenes.py: mIoU, RGB masks, the satellite layout, the scenes, the models."""
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.models import resnet50

from helpers.core.config import make_config
from helpers.data.course import DataLayoutError
from helpers.data.scenes import SCENE_CLASSES, digit_scenes
from helpers.segmentation.config import SegmentationConfig
from helpers.segmentation.data import SegmentationData, SegmentationSet, read_rgb, satellite_data
from helpers.segmentation.masks import LAND_COVER, MaskColourError, index_to_rgb, palette_of, rgb_to_index, write_masks
from helpers.segmentation.metrics import confusion_matrix, miou_table
from helpers.segmentation.networks import (build_model, dilated_resnet, imagenet_state_dict, imagenet_weights,
                                          weights_note)
from helpers.segmentation.experiment import snapshot_epochs, train_segmenter

LAND = palette_of(tuple(LAND_COVER))

# Worked by hand: class 0 has TP 3, FP 1 (row 2, column 2), FN 1 (row 0, column 1): 3/5.
# Class 1: TP 4, FP 1, FN 0: 4/5. Class 2: TP 7, FP 0, FN 1: 7/8. Mean (0.6 + 0.8 + 0.875) / 3.
TARGET = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2], [2, 2, 2, 2]])
PREDICTED = torch.tensor([[0, 1, 1, 1], [0, 0, 1, 1], [2, 2, 0, 2], [2, 2, 2, 2]])


def test_miou_on_a_hand_worked_4x4_example():
    table = miou_table(confusion_matrix(PREDICTED, TARGET, 3), ["a", "b", "c"])
    assert table == {"a": 0.6, "b": 0.8, "c": 0.875, "mean": pytest.approx((0.6 + 0.8 + 0.875) / 3, abs=1e-4)}


def test_an_excluded_class_leaves_the_mean_but_still_counts_as_a_false_positive():
    # "c" excluded as the course excludes "unknown": class a keeps the FP on a c pixel (3/5, not 3/4).
    table = miou_table(confusion_matrix(PREDICTED, TARGET, 3), ["a", "b", "c"], exclude=["c"])
    assert table == {"a": 0.6, "b": 0.8, "mean": 0.7}


def test_a_class_neither_present_nor_predicted_has_no_iou_and_no_weight_in_the_mean():
    table = miou_table(confusion_matrix(PREDICTED, TARGET, 4), ["a", "b", "c", "d"])
    assert table["d"] is None and table["mean"] == pytest.approx((0.6 + 0.8 + 0.875) / 3, abs=1e-4)


def test_miou_rejects_shapes_that_differ():
    with pytest.raises(ValueError, match="differ in shape"):
        confusion_matrix(PREDICTED[:3], TARGET, 3)


def test_rgb_masks_round_trip_through_png_files(tmp_path):
    masks = torch.randint(0, len(LAND_COVER), (3, 9, 7))
    folder = write_masks(masks, ["0000", "0001", "0017"], LAND, tmp_path / "masks")
    assert sorted(p.name for p in folder.iterdir()) == ["0000_mask.png", "0001_mask.png", "0017_mask.png"]
    for mask, name in zip(masks, ["0000", "0001", "0017"]):
        rgb = read_rgb(folder / f"{name}_mask.png")
        assert rgb.shape == (3, 9, 7)
        assert torch.equal(rgb_to_index(rgb, LAND), mask)
    urban = index_to_rgb(torch.zeros(1, 1, dtype=torch.long), LAND)[:, 0, 0].tolist()
    assert urban == [0, 255, 255]


def test_a_mask_write_that_fails_halfway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    folder = write_masks(torch.zeros(2, 4, 4, dtype=torch.long), ["0000", "0001"], LAND, tmp_path / "masks")
    old = {p.name: p.read_bytes() for p in folder.iterdir()}
    save = Image.Image.save

    def fail(self, path, *args, **kwargs):
        if "0001" in str(path):
            Path(path).write_bytes(old["0001_mask.png"][:20])  # half written, then the disk is full
            raise OSError(28, "No space left on device")
        return save(self, path, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", fail)
    with pytest.raises(OSError, match="No space left"):
        write_masks(torch.ones(2, 4, 4, dtype=torch.long), ["0000", "0001"], LAND, folder)
    assert (folder / "0001_mask.png").read_bytes() == old["0001_mask.png"]  # the old mask, whole
    assert sorted(p.name for p in folder.iterdir()) == ["0000_mask.png", "0001_mask.png"]  # no temporary file


def test_an_unknown_colour_names_the_file_the_colour_and_the_pixel():
    rgb = index_to_rgb(torch.zeros(4, 4, dtype=torch.long), LAND)
    rgb[:, 2, 1] = torch.tensor([10, 20, 30], dtype=torch.uint8)
    with pytest.raises(MaskColourError, match=r"0042_mask.png: pixel \(row 2, column 1\) has colour \(10, 20, 30\)"):
        rgb_to_index(rgb, LAND, "0042_mask.png")


def make_satellite_tree(root, sizes=None, count=4):
    rng = np.random.default_rng(0)
    colours = np.array(list(LAND_COVER.values()), dtype=np.uint8)
    for split in ("train", "validation"):
        (root / split).mkdir(parents=True)
        for i in range(count):
            image_size, mask_size = (sizes or {}).get((split, i), (32, 32))
            Image.fromarray(rng.integers(0, 255, (image_size, image_size, 3), dtype=np.uint8)).save(root / split / f"{i:04d}_sat.jpg")
            classes = rng.integers(0, len(colours), (mask_size // 8, mask_size // 8)).repeat(8, 0).repeat(8, 1)
            Image.fromarray(colours[classes]).save(root / split / f"{i:04d}_mask.png")
    return root


def test_the_satellite_layout_loads_with_names_classes_and_unknown_left_out(tmp_path):
    data = satellite_data(make_satellite_tree(tmp_path / "sat"), size=16)
    assert data.classes == tuple(LAND_COVER) and data.exclude == ("unknown",)
    assert data.train.images.shape == (4, 3, 16, 16) and data.validation.masks.shape == (4, 16, 16)
    assert data.validation.names == ("0000", "0001", "0002", "0003")
    assert int(data.train.masks.max()) < len(LAND_COVER)


def test_a_mask_of_another_size_than_its_image_is_an_error_naming_both(tmp_path):
    root = make_satellite_tree(tmp_path / "sat", sizes={("validation", 2): (32, 24)})
    with pytest.raises(DataLayoutError, match=r"0002_mask.png is 24x24 but its image 0002_sat.jpg is 32x32"):
        satellite_data(root)


def test_a_satellite_mask_with_another_colour_is_an_error_naming_the_file(tmp_path):
    root = make_satellite_tree(tmp_path / "sat")
    Image.fromarray(np.full((32, 32, 3), (255, 0, 0), dtype=np.uint8)).save(root / "train" / "0001_mask.png")
    with pytest.raises(MaskColourError, match=r"train/0001_mask.png: .* colour \(255, 0, 0\)"):
        satellite_data(root)


def test_missing_folders_and_unpaired_files_are_errors_with_the_layout(tmp_path):
    with pytest.raises(DataLayoutError, match="does not exist"):
        satellite_data(tmp_path / "nowhere")
    root = make_satellite_tree(tmp_path / "sat")
    (root / "validation" / "0003_mask.png").unlink()
    with pytest.raises(DataLayoutError, match="0003_sat.jpg has no mask 0003_mask.png"):
        satellite_data(root)
    (root / "validation" / "0003_sat.jpg").unlink()
    (root / "train" / "0002_sat.jpg").unlink()
    with pytest.raises(DataLayoutError, match="0002_mask.png has no image 0002_sat.jpg"):
        satellite_data(root)


def test_digit_scenes_are_fixed_by_the_seed_and_labelled_where_the_strokes_are():
    first = digit_scenes(seed=1, train=12, val=6, canvas=64)
    again = digit_scenes.__wrapped__(seed=1, train=12, val=6, canvas=64)  # not the cached object
    other = digit_scenes(seed=2, train=12, val=6, canvas=64)
    images, masks = first["train"]
    assert images.shape == (12, 3, 64, 64) and images.dtype == torch.uint8 and masks.shape == (12, 64, 64)
    assert torch.equal(images, again["train"][0]) and torch.equal(masks, again["train"][1])
    assert not torch.equal(images, other["train"][0])
    assert 0 <= int(masks.min()) and int(masks.max()) < len(SCENE_CLASSES)
    for mask in masks:  # two to four digits per canvas, each a few percent of it
        digits = mask.unique()[1:]
        assert 1 <= len(digits) <= 4
        assert 0.01 < (mask > 0).float().mean() < 0.35
    with pytest.raises(ValueError, match="digits per canvas"):
        digit_scenes(seed=0, grid=1, digits=(2, 4))


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
    torch.save({"features.0.bias": torch.ones(2)}, tmp_path / "checkpoints" / "vgg16-397923af.pth")
    assert torch.equal(imagenet_weights("fcn32s", True)["features.0.bias"], torch.ones(2))
    assert imagenet_weights("fcn32s", False) is None
    assert "VGG16: ImageNet" in weights_note(reference)
    assert "from scratch" in weights_note(make_config(SegmentationConfig, "cpu"))
    missing = r"resnet50-0676ba61\.pth\n.*torchvision\.models\.resnet50\(weights='IMAGENET1K_V1'\).*imagenet=False"
    with pytest.raises(FileNotFoundError, match=missing):  # the file, where it goes, what to run instead
        imagenet_state_dict("deeplabv3")


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

    marker = tmp_path / "payload-ran"
    torch.save({**state, "payload": Payload(marker)}, path)
    with pytest.raises(RuntimeError, match=f"{re.escape(str(path))}.*holds more than tensors"):
        build_model("deeplabv3", 11, reference)
    assert not marker.exists()


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="fcn_widths"):
        make_config(SegmentationConfig, "cpu", {"fcn_widths": (8, 16)})
    with pytest.raises(ValueError, match="output_stride"):
        make_config(SegmentationConfig, "cpu", {"output_stride": 16})
    with pytest.raises(ValueError, match="backbone"):
        make_config(SegmentationConfig, "cpu", {"backbone": "resnet18"})


def tiny_data():
    scenes = digit_scenes(seed=0, train=16, val=6, canvas=32, digit_size=16)
    sets = {s: SegmentationSet(i, m, tuple(f"{k:04d}" for k in range(len(i))), s) for s, (i, m) in scenes.items()}
    return SegmentationData(sets["train"], sets["validation"], SCENE_CLASSES, ())


def test_training_keeps_snapshots_and_resumes_to_the_same_numbers(tmp_path):
    config = make_config(SegmentationConfig, "smoke", {"epochs": 3})
    data = tiny_data()
    run = train_segmenter("deeplabv3", data, config, watch=[0, 2, 4], seed=0, device=torch.device("cpu"),
                          checkpoint_dir=tmp_path)
    assert sorted(run.snapshots) == snapshot_epochs(3) == [1, 2, 3]
    assert all(s.shape == (3, 32, 32) for s in run.snapshots.values())
    assert set(run.history) == {"train loss", "val loss", "val mIoU"} and len(run.history["val mIoU"]) == 3
    assert set(run.miou) == {*SCENE_CLASSES, "mean"}
    again = train_segmenter("deeplabv3", data, config, watch=[0, 2, 4], seed=0, device=torch.device("cpu"),
                            checkpoint_dir=tmp_path)  # finished checkpoint: nothing is trained again
    assert again.miou == run.miou and again.history == run.history
    assert all(torch.equal(again.snapshots[e], run.snapshots[e]) for e in run.snapshots)


def test_observations_are_written_from_the_numbers():
    from helpers.segmentation.analysis import miou_frame, observations
    from helpers.segmentation.experiment import SegmentationResult

    table = {"fcn32s": {"background": 0.9, "0": 0.2, "1": None, "2": 0.0, "mean": 0.3667},
             "deeplabv3": {"background": 0.95, "0": 0.5, "1": 0.7, "2": 0.1, "mean": 0.5625}}
    results = [SegmentationResult(name, None, {"val mIoU": [0.1, 0.3, table[name]["mean"]]}, table[name], {})
               for name in table]
    text = observations(table, results, image_size=64, output_strides={"fcn32s": 32, "deeplabv3": 4})
    assert "FCN32s scores a 2x2 map (stride 32)" in text and "DeepLabV3 scores a 16x16 map (stride 4)" in text
    assert "DeepLabV3 is ahead by 0.196 mIoU and better on 3 of the 3 classes" in text
    assert "best class background (0.900), worst 2 (0.000)" in text
    assert "1 of 3 classes (2) have IoU 0" in text and text.count("have IoU 0") == 1
    assert list(miou_frame(table).index) == ["background", "0", "1", "2", "mean"]

"""helpers/segmentation/data.py and helpers/data/scenes.py: the satellite layout and the digit scenes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.data.course import DataLayoutError
from helpers.data.scenes import SCENE_CLASSES, digit_scenes
from helpers.segmentation.data import satellite_data, satellite_root
from helpers.segmentation.masks import LAND_COVER, MaskColourError


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


def test_data_may_name_the_courses_hw1_data_folder_above_p3_data(tmp_path):
    make_satellite_tree(tmp_path / "hw1_data" / "p3_data")
    assert satellite_root(tmp_path / "hw1_data") == tmp_path / "hw1_data" / "p3_data"
    assert satellite_root(tmp_path / "hw1_data" / "p3_data") == tmp_path / "hw1_data" / "p3_data"
    assert satellite_data(tmp_path / "hw1_data", size=16).validation.names == ("0000", "0001", "0002", "0003")
    (tmp_path / "other").mkdir()
    with pytest.raises(DataLayoutError, match="missing folder .*other/train"):
        satellite_data(tmp_path / "other")


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


def test_random_windows_cut_the_same_window_of_each_image_and_its_mask():
    from helpers.segmentation.data import random_windows, windows_note

    n, size = 6, 40
    position = torch.arange(size * size).reshape(size, size)  # each pixel's own number
    images = torch.stack([torch.stack([position + 10_000 * k] * 3) for k in range(n)])
    masks = torch.stack([position + 10_000 * k for k in range(n)])
    torch.manual_seed(0)
    windows, window_masks = random_windows(images, masks, 16)
    assert windows.shape == (n, 3, 16, 16) and window_masks.shape == (n, 16, 16)
    assert torch.equal(windows[:, 0], window_masks)  # the mask's window is the image's
    corners = window_masks[:, 0, 0] - 10_000 * torch.arange(n)
    assert all((corners[k] // size) <= size - 16 and (corners[k] % size) <= size - 16 for k in range(n))
    # each window is contiguous: a run of 16 columns and 16 rows of its own image
    assert torch.equal(window_masks - window_masks[:, :1, :1], (position[:16, :16] - position[0, 0]).expand(n, 16, 16))
    assert len(set(corners.tolist())) > 1  # drawn per image
    torch.manual_seed(0)
    assert torch.equal(random_windows(images, masks, 16)[1], window_masks)  # the seeded generator decides
    assert random_windows(images, masks, None)[0] is images and random_windows(images, masks, 40)[1] is masks
    assert windows_note(images, 16) == "a random 16x16 window of each 40x40 image"
    assert windows_note(images, 64) == windows_note(images, None) == "whole 40x40 images"
    wide = images[:, :, :24, :]  # 24 high, 40 wide: the window keeps the short side whole
    torch.manual_seed(0)
    windows, window_masks = random_windows(wide, masks[:, :24, :], 32)
    assert windows.shape == (n, 3, 24, 32) and torch.equal(windows[:, 0], window_masks)
    assert torch.equal(window_masks - window_masks[:, :1, :1], (position[:24, :32] - position[0, 0]).expand(n, 24, 32))
    assert ((window_masks[:, 0, 0] - 10_000 * torch.arange(n)) // size == 0).all()  # every window starts on row 0
    assert windows_note(wide, 32) == "a random 32x24 window of each 40x24 image"

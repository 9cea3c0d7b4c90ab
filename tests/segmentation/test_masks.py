"""helpers/segmentation/masks.py: RGB masks to class indices and back, written atomically."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from helpers.segmentation.data import read_rgb
from helpers.segmentation.masks import LAND_COVER, MaskColourError, index_to_rgb, palette_of, rgb_to_index, write_masks


LAND = palette_of(tuple(LAND_COVER))


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

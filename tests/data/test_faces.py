"""Flat image folders (helpers/data/faces.py): how a small folder is split."""
import numpy as np
import pytest
from PIL import Image

from helpers.data.course import DataLayoutError
from helpers.data.faces import image_folder


def write_folder(folder, n):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(folder / f"{i:05d}.png")


def test_a_small_folder_holds_out_two_images_the_fewest_a_fid_is_measured_on(tmp_path):
    write_folder(tmp_path / "face", 12)  # 10% would be one image
    domain = image_folder(tmp_path / "face", size=8)
    assert (len(domain.train), len(domain.test)) == (10, 2)
    write_folder(tmp_path / "three", 3)
    assert len(image_folder(tmp_path / "three", size=8).train) == 1


def test_a_folder_of_two_images_is_refused_saying_how_many_are_needed(tmp_path):
    write_folder(tmp_path / "face", 2)
    with pytest.raises(DataLayoutError, match="holds 2 image\\(s\\); at least 3 are needed"):
        image_folder(tmp_path / "face", size=8)

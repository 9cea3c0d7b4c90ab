"""helpers/core/images.py: the label in a <label>_<idx> file name, as every reader of such names takes it."""
from pathlib import Path

import pytest

from helpers.core.images import label_in_name
from helpers.data.class_folder import parse_label
from helpers.data.course import DataLayoutError
from helpers.deliverables.record import DeliverableError
from helpers.deliverables.scores import labels_from_names
from helpers.grading.folders import labels_in_names


@pytest.mark.parametrize(("name", "label"), [("3_017.png", 3), ("12_345.png", 12), ("0_0.jpg", 0), ("03_1.png", 3),
                                             ("3_a.png", None), ("3.png", None), ("a_1.png", None), ("3_1_2.png", None),
                                             ("-1_2.png", None), ("3_017", 3)])
def test_the_label_is_the_whole_number_before_the_one_underscore(name, label):
    assert label_in_name(Path(name)) == label


def test_the_three_readers_of_such_names_take_the_same_label_and_refuse_the_same_names(tmp_path):
    from PIL import Image

    for name in ("7_001.png", "3_a.png"):
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        Image.new("L", (8, 8)).save(folder / name)
        if name == "7_001.png":
            assert parse_label(folder / name) == 7
            assert labels_from_names(folder) == {name: "7"}
            assert labels_in_names([folder / name], folder).tolist() == [7]
        else:
            with pytest.raises(DataLayoutError):
                parse_label(folder / name)
            with pytest.raises(DeliverableError):
                labels_from_names(folder)
            with pytest.raises(DeliverableError):
                labels_in_names([folder / name], folder)


def test_generated_digits_are_named_by_one_digit():
    with pytest.raises(DeliverableError, match="12_001.png is not named <digit>_<idx>.png"):
        labels_in_names([Path("12_001.png")], Path("out"))

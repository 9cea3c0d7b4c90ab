"""The class-folder layout (<label>_<idx>.png) and the Office-Home style CSV layout."""
import numpy as np
import pytest
from PIL import Image

from helpers.data import DataLayoutError
from helpers.data.class_folder import class_folder_domain
from helpers.data.office import class_names, load_csv_folder, load_unlabeled_folder


def write_images(folder, names, size=32):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(folder / name)


def test_class_folders_load_with_labels_from_the_names(tmp_path):
    write_images(tmp_path / "train_50", ["0_1.png", "0_2.png", "12_3.png", "3_40.png"])
    write_images(tmp_path / "val_50", ["12_100.png", "3_5.png"])
    domain = class_folder_domain(tmp_path, size=16)
    assert tuple(domain.train.images.shape) == (4, 3, 16, 16)
    assert domain.train.labels.tolist() == [0, 0, 12, 3]  # sorted by file name
    assert domain.test.labels.tolist() == [12, 3]


def test_an_unparsable_file_name_is_named_in_the_error(tmp_path):
    write_images(tmp_path / "train_50", ["0_1.png", "cat.png"])
    write_images(tmp_path / "val_50", ["0_2.png"])
    with pytest.raises(DataLayoutError, match=r"cat\.png.*<label>_<idx>\.png"):
        class_folder_domain(tmp_path)


def test_missing_split_folder_and_unknown_validation_label(tmp_path):
    write_images(tmp_path / "train", ["0_1.png"])
    with pytest.raises(DataLayoutError, match=r"no val_50 or val folder.*found: \['train'\]"):
        class_folder_domain(tmp_path)
    write_images(tmp_path / "val", ["7_1.png"])
    with pytest.raises(DataLayoutError, match=r"labels \[7\] have no training image"):
        class_folder_domain(tmp_path)


def test_csv_folders_number_class_names_in_sorted_order(tmp_path):
    office = tmp_path / "office"
    write_images(office / "train", ["a.jpg", "b.jpg", "c.jpg"])
    (office / "train.csv").write_text("id,filename,label\n0,a.jpg,Mug\n1,b.jpg,Couch\n2,c.jpg,Mug\n")
    classes = class_names(office / "train.csv", office / "train")
    assert classes == ["Couch", "Mug"]
    data = load_csv_folder(office / "train.csv", office / "train", size=8, classes=classes)
    assert data.labels.tolist() == [1, 0, 1] and tuple(data.images.shape) == (3, 3, 8, 8)


def test_csv_errors_name_the_row(tmp_path):
    office = tmp_path / "office"
    write_images(office / "val", ["a.jpg"])
    (office / "val.csv").write_text("filename,label\na.jpg,Bike\nmissing.jpg,Mug\n")
    with pytest.raises(DataLayoutError, match=r"line 3: image .*missing\.jpg does not exist"):
        load_csv_folder(office / "val.csv", office / "val", size=8, classes=["Bike", "Mug"])
    (office / "val.csv").write_text("filename,label\na.jpg,Bike\n")
    with pytest.raises(DataLayoutError, match=r"line 2: label 'Bike' is not a class"):
        load_csv_folder(office / "val.csv", office / "val", size=8, classes=["Mug"])


def test_unlabeled_folder(tmp_path):
    write_images(tmp_path / "mini" / "train", ["x.jpg", "y.png"])
    data = load_unlabeled_folder(tmp_path / "mini" / "train", size=8)
    assert len(data) == 2 and data.labels.tolist() == [-1, -1]
    with pytest.raises(DataLayoutError, match="missing image folder"):
        load_unlabeled_folder(tmp_path / "nothing", size=8)

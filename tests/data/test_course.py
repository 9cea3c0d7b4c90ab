"""The course digits layout: good trees load, broken ones fail naming the culprit."""
import numpy as np
import pytest
from PIL import Image

from helpers.data import DataLayoutError, course_domain, load_domains


def make_domain(root, name="mnistm", n=6, size=28, channels=3):
    data = root / name / "data"
    data.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        shape = (size, size, channels) if channels == 3 else (size, size)
        Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(data / f"{i:05d}.png")
        rows.append(f"{i:05d}.png,{i % 10}")
    (root / name / "train.csv").write_text("image_name,label\n" + "\n".join(rows[:4]) + "\n")
    (root / name / "val.csv").write_text("image_name,label\n" + "\n".join(rows[4:]) + "\n")
    return root / name


def test_good_tree_loads_into_tensors(tmp_path):
    make_domain(tmp_path)
    make_domain(tmp_path, "usps", size=16, channels=1)
    domains = load_domains(str(tmp_path), ["mnistm", "usps"], size=28)
    assert tuple(domains["mnistm"].train.images.shape) == (4, 3, 28, 28)
    assert tuple(domains["usps"].test.images.shape) == (2, 1, 28, 28)  # resized from 16x16
    assert domains["mnistm"].train.labels.tolist() == [0, 1, 2, 3]


def test_the_domains_own_folder_loads_as_its_digits_folder_does(tmp_path):
    """DATA=hw2_data/digits/mnistm (what helpers.evaluate already took as TRUTH) reads as DATA=hw2_data/digits."""
    mnistm = make_domain(tmp_path)
    loaded = load_domains(str(mnistm), ["mnistm"], size=28)["mnistm"]
    assert loaded.train.labels.tolist() == load_domains(str(tmp_path), ["mnistm"], size=28)["mnistm"].train.labels.tolist()
    with pytest.raises(DataLayoutError, match=r"mnistm/svhn/data for domain 'svhn'"):  # another domain is not in it
        course_domain(mnistm, "svhn")


def test_the_conditional_record_finds_mnistm_s_own_size_from_either_folder(tmp_path):
    """predict writes conditional samples at the course MNIST-M's 28x28 whichever folder DATA named."""
    from helpers.core.config import make_config
    from helpers.diffusion.config import ConditionalDiffusionConfig
    from helpers.diffusion.deliverable import conditional_record

    mnistm = make_domain(tmp_path, size=28)
    config = make_config(ConditionalDiffusionConfig, "smoke")
    assert [conditional_record(config, 3, data=str(data))["settings"]["course_size"] for data in (tmp_path, mnistm)] == [28, 28]


def test_missing_data_folder(tmp_path):
    with pytest.raises(DataLayoutError, match=r"data folder .*nowhere does not exist[\s\S]*expected layout"):
        course_domain(tmp_path / "nowhere", "mnistm")


def test_missing_domain_folder_lists_what_is_there(tmp_path):
    make_domain(tmp_path, "svhn")
    with pytest.raises(DataLayoutError, match=r"mnistm/data.*found: \['svhn'\]"):
        course_domain(tmp_path, "mnistm")


def test_missing_csv(tmp_path):
    (make_domain(tmp_path) / "val.csv").unlink()
    with pytest.raises(DataLayoutError, match=r"missing label file .*val\.csv"):
        course_domain(tmp_path, "mnistm")


def test_corrupt_png_is_named(tmp_path):
    domain = make_domain(tmp_path)
    (domain / "data" / "00002.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(DataLayoutError, match=r"cannot decode image .*00002\.png"):
        course_domain(tmp_path, "mnistm")


@pytest.mark.parametrize("label, message", [("x", r"label 'x' is not an integer"), ("12", r"label 12 is not a class")])
def test_bad_label_names_file_and_line(tmp_path, label, message):
    domain = make_domain(tmp_path)
    (domain / "train.csv").write_text(f"image_name,label\n00000.png,1\n00001.png,{label}\n")
    with pytest.raises(DataLayoutError, match=rf"train\.csv, line 3: {message}"):
        course_domain(tmp_path, "mnistm")


def test_csv_naming_a_missing_file(tmp_path):
    domain = make_domain(tmp_path)
    (domain / "train.csv").write_text("image_name,label\n99999.png,1\n")
    with pytest.raises(DataLayoutError, match=r"train\.csv, line 2: image .*99999\.png does not exist"):
        course_domain(tmp_path, "mnistm")


@pytest.mark.parametrize("name", ["../data/00001.png", "../../mnistm/data/00001.png", "./x/../../data/00001.png",
                                  "ABSOLUTE"])
def test_csv_naming_an_image_outside_its_folder_is_refused_naming_the_row(tmp_path, name):
    domain = make_domain(tmp_path)  # every name above reaches an image that exists
    name = str(domain / "data" / "00001.png") if name == "ABSOLUTE" else name
    (domain / "train.csv").write_text(f"image_name,label\n00000.png,1\n{name},2\n")
    with pytest.raises(DataLayoutError, match=r"train\.csv, line 3: image .* is outside the image folder"):
        course_domain(tmp_path, "mnistm")


def test_office_csv_naming_an_image_outside_its_folder_is_refused_naming_the_row(tmp_path):
    from helpers.data.office import read_rows

    (tmp_path / "train").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "secret.jpg")
    (tmp_path / "train.csv").write_text("id,filename,label\n0,../secret.jpg,Couch\n")
    with pytest.raises(DataLayoutError, match=r"train\.csv, line 2: image '\.\./secret\.jpg' is outside"):
        read_rows(tmp_path / "train.csv", tmp_path / "train")


def test_unknown_course_domain(tmp_path):
    with pytest.raises(ValueError, match=r"unknown course domain 'mnist'.*mnistm, svhn, usps"):
        load_domains(str(tmp_path), ["mnist"])


def test_csv_with_the_office_header_is_refused_naming_the_columns(tmp_path):
    domain = make_domain(tmp_path)
    (domain / "train.csv").write_text("filename,label\n00000.png,1\n")
    with pytest.raises(DataLayoutError, match=r"train\.csv: header must have the columns image_name,label, "
                                              r"got \['filename', 'label'\]"):
        course_domain(tmp_path, "mnistm")


def as_excel_saves_it(path):
    """Rewrite a CSV as Excel's "CSV UTF-8" does: a byte-order mark first and CRLF line ends."""
    path.write_bytes("\ufeff".encode() + path.read_text().replace("\n", "\r\n").encode())


def test_csvs_with_a_byte_order_mark_and_crlf_line_ends_load(tmp_path):
    """The digits' train.csv/val.csv, Office-Home's and the faces' attribute CSV, saved by Excel."""
    from helpers.data.faces import read_attribute
    from helpers.data.office import read_rows

    domain = make_domain(tmp_path)
    for split in ("train", "val"):
        as_excel_saves_it(domain / f"{split}.csv")
    assert (domain / "train.csv").read_bytes().startswith(b"\xef\xbb\xbfimage_name,label\r\n")
    loaded = load_domains(str(tmp_path), ["mnistm"], size=28)["mnistm"]
    assert loaded.train.labels.tolist() == [0, 1, 2, 3] and loaded.test.labels.tolist() == [4, 5]
    (tmp_path / "office").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "office" / "a.jpg")
    (tmp_path / "office.csv").write_text("id,filename,label\n0,a.jpg,Couch\n")
    as_excel_saves_it(tmp_path / "office.csv")
    assert [(p.name, label) for p, label in read_rows(tmp_path / "office.csv", tmp_path / "office")] == [("a.jpg", "Couch")]
    (tmp_path / "faces.csv").write_text("image_name,Smiling\n00000.png,1\n00001.png,-1\n")
    as_excel_saves_it(tmp_path / "faces.csv")
    assert read_attribute(tmp_path / "faces.csv", "Smiling") == {"00000.png": 1, "00001.png": 0}


def test_a_csv_that_is_not_utf8_text_is_an_error_naming_it(tmp_path):
    """An image given where a CSV belongs, or a CSV saved in a legacy code page: a message, not a traceback."""
    from helpers.data.faces import read_attribute
    from helpers.deliverables.files import read_csv
    from helpers.deliverables.record import DeliverableError

    domain = make_domain(tmp_path)
    Image.new("RGB", (4, 4)).save(domain / "train.csv", format="JPEG")  # JPEG bytes under the CSV's name
    with pytest.raises(DataLayoutError, match=r"train\.csv: not a UTF-8 text CSV \(byte 0xff at offset 0"):
        course_domain(tmp_path, "mnistm")
    (tmp_path / "faces.csv").write_bytes("image_name,Smiling\n00000.png,1\n".encode() + "Caf\u00e9.png,1\n".encode("cp1252"))
    with pytest.raises(DataLayoutError, match=r"faces\.csv: not a UTF-8 text CSV \(byte 0xe9 .*save it as \"CSV UTF-8\""):
        read_attribute(tmp_path / "faces.csv", "Smiling")
    with pytest.raises(DeliverableError, match=r"--input .*train\.csv: not a UTF-8 text CSV"):
        read_csv(domain / "train.csv", ["id", "filename"], parameter="--input")

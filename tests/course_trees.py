"""Course-layout trees for the notebook runs (tests/conftest.py's notebook_runs): each notebook on a small tree of
its own, in the course's folder layout and file formats, with fewer images than one batch and CSVs as Excel saves
them; and the papermill runs on them (:func:`course_tasks`)."""
from __future__ import annotations

import numpy as np


def write_csv(path, header, rows):
    """A CSV as Excel's "CSV UTF-8" saves it: a byte-order mark first and CRLF line ends (the course trees below
    are all written so; plain CSVs are the readers' unit tests')."""
    path.write_bytes("\ufeff".encode() + "\r\n".join([header, *rows, ""]).encode())


def build_digit_domains(root):
    """hw2_data/digits: mnistm, svhn and usps, 40 training images per domain (fewer than one batch of 64); the CSVs
    have a byte-order mark and CRLF ends."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for domain, channels in (("mnistm", 3), ("svhn", 3), ("usps", 1)):
        (root / "digits" / domain / "data").mkdir(parents=True)
        for split, count in (("train", 40), ("val", 12)):
            rows = []
            for i in range(count):
                image = f"{split}_{i:04d}.png"
                shape = (28, 28, channels) if channels == 3 else (16, 16)
                pixels = rng.integers(0, 255, shape, dtype=np.uint8)
                Image.fromarray(pixels).save(root / "digits" / domain / "data" / image)
                rows.append(f"{image},{i % 10}")
            write_csv(root / "digits" / domain / f"{split}.csv", "image_name,label", rows)


SATELLITE = {"train": [f"{i:04d}" for i in range(6)], "validation": ["0003", "0010", "0257", "1000"]}


def build_satellite(root):
    """hw1_data/p3_data: 6 training image/mask pairs (fewer than one batch of 8) and 4 validation pairs of 96x96,
    and a mask an earlier run (other data) left in the reports."""
    from PIL import Image

    from helpers.segmentation.masks import LAND_COVER

    rng = np.random.default_rng(0)
    colours = np.array(list(LAND_COVER.values()), dtype=np.uint8)
    for split, stems in SATELLITE.items():
        (root / "sat" / split).mkdir(parents=True)
        for stem in stems:
            pixels = rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / "sat" / split / f"{stem}_sat.jpg")
            classes = rng.integers(0, len(colours), (6, 6)).repeat(16, 0).repeat(16, 1)
            Image.fromarray(colours[classes]).save(root / "sat" / split / f"{stem}_mask.png")
    stale = root / "reports" / "segmentation" / "masks" / "0006_mask.png"
    stale.parent.mkdir(parents=True)
    Image.fromarray(colours[np.zeros((64, 64), dtype=int)]).save(stale)


def build_mnistm(root):
    """hw2_data/digits/mnistm alone: 40 training images (fewer than one batch of 64), CSVs with a BOM and CRLF."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "digits" / "mnistm" / "data").mkdir(parents=True)
    for split, count in (("train", 40), ("val", 20)):
        rows = []
        for i in range(count):
            image = f"{split}_{i:04d}.png"
            pixels = rng.integers(0, 255, (28, 28, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / "digits" / "mnistm" / "data" / image)
            rows.append(f"{image},{i % 10}")
        write_csv(root / "digits" / "mnistm" / f"{split}.csv", "image_name,label", rows)


def write_png(path, rng, size=32):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(path)


def build_class_folders(root):
    """hw1_data/p1_data/{train_50,val_50}/<label>_<idx>.png."""
    rng = np.random.default_rng(0)
    for split, count in (("train_50", 80), ("val_50", 30)):
        for i in range(count):
            write_png(root / "hw1_data" / "p1_data" / split / f"{i % 5}_{i}.png", rng)


def build_byol_folders(root):
    """p2_data/mini/train/*.png (no labels) and office/{train,val} + CSVs with a BOM and CRLF; 40 and 30 images are
    fewer than one batch of 64 and of 32."""
    rng = np.random.default_rng(0)
    for i in range(40):
        write_png(root / "p2_data" / "mini" / "train" / f"{i:05d}.png", rng)
    for split, count in (("train", 30), ("val", 12)):
        rows = []
        for i in range(count):
            write_png(root / "p2_data" / "office" / split / f"{i:05d}.png", rng)
            rows.append(f"{i},{i:05d}.png,{['Couch', 'Mug', 'Bike'][i % 3]}")
        write_csv(root / "p2_data" / "office" / f"{split}.csv", "id,filename,label", rows)


def build_faces(root):
    """A flat folder of 14 drawn faces (fewer than one batch of any generative notebook) and train.csv with two
    binary attributes, with a BOM and CRLF ends."""
    from PIL import Image

    from tests.grading.test_faces import drawn_faces

    (root / "face").mkdir()
    rows = []
    for i, face in enumerate(drawn_faces(14)):
        Image.fromarray(face.permute(1, 2, 0).numpy()).save(root / "face" / f"{i:05d}.png")
        rows.append(f"{i:05d}.png,{i % 2},{1 - 2 * (i % 3 == 0)}")
    write_csv(root / "train.csv", "image_name,Smiling,Young", rows)


def course_tasks(tmp_path_factory) -> tuple[dict, list]:
    """`DATA=path` end to end: every notebook on a course-layout tree of its own, as `make report DATA=...` runs it.
    ({tree: its folder, with the tree and reports/}, the runs as tasks for tests/conftest.py's BackgroundRuns,
    each keyed ``course:<run>``.) gan, then ddpm (which reads gan's DCGAN row), and acgan share the face folder."""
    builders = {"dann": build_digit_domains, "adda": build_digit_domains, "segmentation": build_satellite,
                "conditional_diffusion": build_mnistm, "classification": build_class_folders,
                "byol": build_byol_folders, "face": build_faces}
    folders = {}
    for key, build in builders.items():
        folders[key] = tmp_path_factory.mktemp(key)
        build(folders[key])

    def run(key, folder, data, **extra):
        return (f"course:{key}", key.removeprefix("face-"),
                {"data": str(folders[folder] / data), "reports_dir": folders[folder] / "reports",
                 "extra_parameters": extra})

    face_csv = str(folders["face"] / "train.csv")
    return folders, [
        [run("face-gan", "face", "face", methods=["dcgan", "sngan"]), run("face-ddpm", "face", "face")],
        [run("face-acgan", "face", "face", labels_csv=face_csv, attribute="Smiling")],
        [run("conditional_diffusion", "conditional_diffusion", "digits", bf16=False)],
        [run("adda", "adda", "digits")],
        [run("dann", "dann", "digits")],
        [run("segmentation", "segmentation", "sat")],
        [run("classification", "classification", "hw1_data", epochs_a=3, batch_size=16)],
        [run("byol", "byol", "p2_data", settings=["A", "C", "E"])],
    ]

"""classification and byol deliverables: predict from the notebooks' checkpoints, then evaluate, gives the
accuracy the notebooks report; the CSVs parse back; wrong inputs are refused."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from PIL import Image

from helpers.core.config import make_config
from helpers.evaluate import evaluate
from helpers.predict import main, predict
from helpers.representation.config import ByolConfig, ClassificationConfig
from helpers.representation.data import load_byol_data, load_classification_data
from helpers.representation.deliverable import best_model, images_beside
from helpers.representation.experiment import finetune, train_model_a, train_model_b
from helpers.representation.networks import random_backbone
from helpers.representation.pretrained import Initialisation

CPU = torch.device("cpu")


def picture(label: int, index: int, size: int, gray: bool = False) -> Image.Image:
    """A class-coloured square with noise: something a tiny model can half learn."""
    generator = torch.Generator().manual_seed(1000 * label + index)
    colour = torch.tensor([(label * 80) % 256, (label * 150 + 60) % 256, 200 - label * 40])
    array = (colour[:, None, None] + torch.randint(-60, 60, (3, size, size), generator=generator)).clamp(0, 255)
    image = Image.fromarray(array.to(torch.uint8).permute(1, 2, 0).numpy())
    return image.convert("L") if gray else image


@pytest.fixture(scope="module")
def class_folders(tmp_path_factory) -> Path:
    """The course's HW1 P1 layout, 20x20 images (the models use 16x16: the resize path runs), one gray
    validation image among colour ones."""
    root = tmp_path_factory.mktemp("hw1") / "p1_data"
    for split, count in (("train_50", 12), ("val_50", 5)):
        (root / split).mkdir(parents=True)
        for label in range(3):
            for index in range(count):
                gray = split == "val_50" and label == 1 and index == 0
                picture(label, index + 100 * (split == "val_50"), 20, gray).save(root / split / f"{label}_{index}.png")
    return root


def classification_config() -> ClassificationConfig:
    return make_config(ClassificationConfig, "smoke", {"image_size": 16, "batch_size": 8, "epochs_a": 4})


@pytest.fixture(scope="module")
def classification_run(class_folders, tmp_path_factory):
    """Models A and B trained by the notebook's helpers on the class folders."""
    out = tmp_path_factory.mktemp("classification")
    config = classification_config()
    domain = load_classification_data(config, str(class_folders), seed=0)
    init = Initialisation(None, "from scratch")
    a = train_model_a(config, domain, data=str(class_folders), seed=0, device=CPU, out_dir=out)
    b = train_model_b(config, domain, init, data=str(class_folders), seed=0, device=CPU, out_dir=out)
    return {"model-a": a, "model-b": b}


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


@pytest.mark.parametrize("model", ["model-a", "model-b"])
def test_classification_predict_then_evaluate_gives_the_notebooks_accuracy(model, classification_run, class_folders,
                                                                           tmp_path):
    trained = classification_run[model]
    output = predict("classification", checkpoint=trained.checkpoint, input=class_folders / "val_50",
                     output=tmp_path / "pred.csv", device="cpu")
    header, rows = read_rows(output)
    assert header == ["filename", "label"]
    assert [name for name, _ in rows] == sorted(p.name for p in (class_folders / "val_50").iterdir())
    assert {label for _, label in rows} <= {"0", "1", "2"}
    scores = evaluate("classification", output, class_folders / "val_50", device="cpu")
    assert scores["images"] == 15
    # the notebook's accuracy is a float32 mean, evaluate's a float64 one: equal counts, 1e-6 apart at most
    assert scores["accuracy"] == pytest.approx(trained.accuracy, abs=1e-6)


def test_the_deliverable_is_the_better_model_and_the_first_on_a_tie():
    assert best_model({"model-a": 0.5, "model-b": 0.7}) == "model-b"
    assert best_model({"model-a": 0.7, "model-b": 0.7}) == "model-a"
    assert best_model({"A": 0.2, "C": 0.6, "E": 0.6}) == "C"


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Path:
    """The course's HW1 P2 layout: mini/train (unlabeled), office/{train,val}.csv with their folders; the
    labels are class numbers that are not 0..n-1, as a CSV may have them."""
    root = tmp_path_factory.mktemp("hw1") / "p2_data"
    (root / "mini" / "train").mkdir(parents=True)
    for index in range(8):
        picture(index % 3, index, 24).save(root / "mini" / "train" / f"{index:04d}.jpg")
    classes = ["3", "7", "12"]
    for split, count in (("train", 10), ("val", 4)):
        (root / "office" / split).mkdir(parents=True)
        with (root / "office" / f"{split}.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "filename", "label"])
            for index in range(count * len(classes)):
                label = index % len(classes)
                name = f"{classes[label]}_{index:03d}.jpg"
                picture(label, index + 100 * (split == "val"), 24).save(root / "office" / split / name)
                writer.writerow([index + 500, name, classes[label]])
    return root


@pytest.fixture(scope="module")
def byol_run(office, tmp_path_factory):
    """Setting A fine-tuned by the notebook's helpers on the Office-Home style folders."""
    config = make_config(ByolConfig, "smoke", {"finetune_epochs": 2, "batch_size": 8, "label_fraction": 1.0,
                                               "settings": ("A",)})
    data = load_byol_data(config, str(office), seed=0)
    trained = finetune("A", {"none": random_backbone(config, 0)}, data, config, seed=0, device=CPU,
                       out_dir=tmp_path_factory.mktemp("byol"), data_name=str(office))
    return trained, data


def test_byol_predict_then_evaluate_gives_the_notebooks_accuracy(byol_run, office, tmp_path):
    trained, data = byol_run
    val_csv = office / "office" / "val.csv"
    output = predict("byol", checkpoint=trained.checkpoint, input=val_csv, output=tmp_path / "pred.csv", device="cpu")
    header, rows = read_rows(output)
    _, truth = read_rows(val_csv)
    assert header == ["id", "filename", "label"]
    assert [row[:2] for row in rows] == [row[:2] for row in truth]  # the input's ids and order
    assert {label for *_, label in rows} <= {"3", "7", "12"}  # the CSV's labels, not indices 0-2
    scores = evaluate("byol", output, val_csv, device="cpu")
    assert scores["images"] == len(data.val) == 12
    assert scores["accuracy"] == pytest.approx(trained.accuracy, abs=1e-6)  # float32 vs float64 mean


def test_byol_images_are_beside_the_csv_in_its_stem_folder_or_its_own(tmp_path):
    (tmp_path / "val").mkdir()
    assert images_beside(tmp_path / "val.csv") == tmp_path / "val"
    assert images_beside(tmp_path / "test.csv") == tmp_path


def test_byol_csv_without_ids_and_with_images_beside_it(byol_run, office, tmp_path):
    trained, _ = byol_run
    for path in (office / "office" / "val").glob("*.jpg"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    names = sorted(p.name for p in tmp_path.glob("*.jpg"))[:3]
    (tmp_path / "test.csv").write_text("filename\n" + "\n".join(names) + "\n")
    output = predict("byol", checkpoint=trained.checkpoint, input=tmp_path / "test.csv", output=tmp_path / "out.csv",
                     device="cpu")
    header, rows = read_rows(output)
    assert header == ["id", "filename", "label"] and [r[:2] for r in rows] == [[str(i), n] for i, n in enumerate(names)]


def test_wrong_input_kinds_and_missing_images_are_refused(classification_run, byol_run, class_folders, office, tmp_path):
    from helpers.deliverables.record import DeliverableError

    with pytest.raises(DeliverableError, match="takes a folder of images"):
        predict("classification", checkpoint=classification_run["model-a"].checkpoint,
                input=office / "office" / "val.csv", output=tmp_path / "a.csv", device="cpu")
    with pytest.raises(DeliverableError, match="byol takes a CSV"):
        predict("byol", checkpoint=byol_run[0].checkpoint, input=office / "office" / "val", output=tmp_path / "b.csv",
                device="cpu")
    (tmp_path / "missing.csv").write_text("id,filename\n0,nowhere.jpg\n")
    with pytest.raises(DeliverableError, match="line 2: image .*nowhere.jpg does not exist"):
        predict("byol", checkpoint=byol_run[0].checkpoint, input=tmp_path / "missing.csv", output=tmp_path / "c.csv",
                device="cpu")
    # a row naming an image outside the images' folder is refused even where that image exists
    escape = tmp_path / "escape"
    (escape / "up").mkdir(parents=True)
    (escape / "up.csv").write_text("id,filename\n0,../outside.jpg\n")
    picture(0, 0, 24).save(escape / "outside.jpg")
    with pytest.raises(DeliverableError, match="line 2: image '../outside.jpg' is outside"):
        predict("byol", checkpoint=byol_run[0].checkpoint, input=escape / "up.csv", output=tmp_path / "e.csv",
                device="cpu")
    with pytest.raises(DeliverableError, match="is a checkpoint of 'classification', not 'byol'"):
        predict("byol", checkpoint=classification_run["model-a"].checkpoint, input=office / "office" / "val.csv",
                output=tmp_path / "d.csv", device="cpu")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["escape", "missing.csv"]  # nothing written


def test_an_image_that_does_not_decode_leaves_no_output(classification_run, class_folders, tmp_path):
    from helpers.deliverables.record import DeliverableError

    folder = tmp_path / "images"
    folder.mkdir()
    for path in sorted((class_folders / "val_50").iterdir())[:2]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "9_9.png").write_bytes(b"not a png")
    with pytest.raises(DeliverableError, match="9_9.png"):
        predict("classification", checkpoint=classification_run["model-b"].checkpoint, input=folder,
                output=tmp_path / "out" / "pred.csv", device="cpu")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_refuses_an_existing_output_with_a_message(classification_run, class_folders, tmp_path, capsys):
    existing = tmp_path / "pred.csv"
    existing.write_text("keep me\n")
    code = main(["classification", "--checkpoint", str(classification_run["model-a"].checkpoint),
                 "--input", str(class_folders / "val_50"), "--output", str(existing), "--device", "cpu"])
    assert code == 2 and "--overwrite" in capsys.readouterr().err
    assert existing.read_text() == "keep me\n"
    assert main(["classification", "--checkpoint", str(classification_run["model-a"].checkpoint),
                 "--input", str(class_folders / "val_50"), "--output", str(existing), "--device", "cpu",
                 "--overwrite"]) == 0
    assert read_rows(existing)[0] == ["filename", "label"]


def export(images: torch.Tensor, folder: Path, names: list[str]) -> None:
    """uint8 images as PNG files (lossless: they decode to the same tensors)."""
    from helpers.deliverables.files import save_image

    folder.mkdir(parents=True)
    for image, name in zip(images, names):
        save_image(image, folder / name)


def test_embedded_round_trips_give_the_notebooks_accuracies(tmp_path):
    """The notebooks' default data: model A on digits-m, setting A on digits-s, validation images exported."""
    config = make_config(ClassificationConfig, "smoke", {"epochs_a": 2})
    domain = load_classification_data(config, "embedded", seed=0)
    a = train_model_a(config, domain, data="embedded", seed=0, device=CPU, out_dir=tmp_path / "classification")
    val = tmp_path / "val_50"
    export(domain.test.images, val, [f"{label}_{i}.png" for i, label in enumerate(domain.test.labels.tolist())])
    predict("classification", checkpoint=a.checkpoint, input=val, output=tmp_path / "a.csv", device="cpu")
    assert evaluate("classification", tmp_path / "a.csv", val, device="cpu")["accuracy"] == pytest.approx(a.accuracy, abs=1e-6)

    config = make_config(ByolConfig, "smoke", {"finetune_epochs": 2, "settings": ("A",)})
    data = load_byol_data(config, "embedded", seed=0)
    trained = finetune("A", {"none": random_backbone(config, 0)}, data, config, seed=0, device=CPU,
                       out_dir=tmp_path / "byol", data_name="embedded")
    names = [f"{i:05d}.png" for i in range(len(data.val))]
    export(data.val.images, tmp_path / "office" / "val", names)
    rows = [f"{i},{name},{data.classes[label]}" for i, (name, label) in enumerate(zip(names, data.val.labels.tolist()))]
    (tmp_path / "office" / "val.csv").write_text("id,filename,label\n" + "\n".join(rows) + "\n")
    predict("byol", checkpoint=trained.checkpoint, input=tmp_path / "office" / "val.csv", output=tmp_path / "c.csv",
            device="cpu")
    scores = evaluate("byol", tmp_path / "c.csv", tmp_path / "office" / "val.csv", device="cpu")
    assert scores["accuracy"] == pytest.approx(trained.accuracy, abs=1e-6) and scores["images"] == len(data.val)

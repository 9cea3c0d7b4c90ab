"""The deliverables framework: checkpoint records, refusals, staged outputs, the CLIs' errors."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from helpers.core.checkpoint import load_checkpoint, save_checkpoint
from helpers.core.training import fit
from helpers.deliverables.example import predict_entry, predict_markdown
from helpers.deliverables.files import (WRITTEN_IN_FOLDER, image_files, numbered, read_csv, read_image, staged_folder,
                                        write_csv)
from helpers.deliverables.problems import PROBLEMS, problem
from helpers.deliverables.record import DeliverableError, deliverable, read_deliverable, written_size
from helpers.deliverables.scores import csv_accuracy
from helpers.evaluate import main as evaluate_main
from helpers.predict import default_checkpoint, main as predict_main, predict


def tiny_fit(checkpoint, epochs=1, record=None):
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    data = [torch.ones(4, 2)]

    def step(batch, progress):
        loss = model(batch).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach()}

    fit(step, lambda: data, name="tiny", epochs=epochs, modules={"model": model}, optimizers={"sgd": optimizer},
        checkpoint=checkpoint, deliverable=record)
    return model


def test_fit_stores_the_record_and_read_deliverable_returns_the_weights(tmp_path):
    path = tmp_path / "c.pt"
    model = tiny_fit(path, record=deliverable("dann", modules="model", size=28, classes=["0", "1"]))
    record, weights = read_deliverable(path, "dann")
    assert record["settings"] == {"size": 28, "classes": ["0", "1"]}
    assert torch.equal(weights["model"]["weight"], model.weight.detach())


def test_a_finished_checkpoint_without_a_record_gets_one_when_the_notebook_reruns(tmp_path):
    path = tmp_path / "c.pt"
    tiny_fit(path)
    with pytest.raises(DeliverableError, match="carries no prediction record.*re-run the dann notebook"):
        read_deliverable(path, "dann")
    before = load_checkpoint(path)["modules"]["model"]["weight"].clone()
    tiny_fit(path, record=deliverable("dann", modules="model"))
    assert torch.equal(load_checkpoint(path)["modules"]["model"]["weight"], before)  # not retrained
    assert read_deliverable(path, "dann")[0]["problem"] == "dann"


def test_refusals_name_the_checkpoint_and_the_problem(tmp_path):
    path = tmp_path / "seg.pt"
    tiny_fit(path, record=deliverable("segmentation", modules="model"))
    with pytest.raises(DeliverableError, match=r"seg\.pt is a checkpoint of 'segmentation', not 'gan'"):
        read_deliverable(path, "gan")
    with pytest.raises(DeliverableError, match="no such file"):
        read_deliverable(tmp_path / "missing.pt", "gan")
    broken = tmp_path / "broken.pt"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DeliverableError, match="broken.pt.*damaged"):
        read_deliverable(broken, "segmentation")
    broken.write_text("junk\n")  # torch.load: KeyError
    with pytest.raises(DeliverableError, match=r"broken\.pt is damaged or not a checkpoint of this suite "
                                               r"\(torch\.load failed with KeyError\): re-run the segmentation "
                                               r"notebook") as error:
        read_deliverable(broken, "segmentation")
    assert "train from scratch" not in str(error.value)
    with pytest.raises(DeliverableError, match=r"--checkpoint \S+ is a folder, not a checkpoint file; the notebooks"):
        read_deliverable(tmp_path, "segmentation")
    other = tmp_path / "other.pt"
    save_checkpoint({"model": {}}, other)
    with pytest.raises(DeliverableError, match="not a training checkpoint"):
        read_deliverable(other, "segmentation")
    wrong_modules = tmp_path / "wrong.pt"
    tiny_fit(wrong_modules, record=deliverable("segmentation", modules="generator"))
    with pytest.raises(DeliverableError, match=r"lacks the weights \['generator'\]"):
        read_deliverable(wrong_modules, "segmentation")


def test_records_take_plain_values_only():
    assert deliverable("gan", modules="g", size=(32, 32))["settings"]["size"] == [32, 32]
    with pytest.raises(TypeError):
        deliverable("gan", modules="g", where=Path("/x"))


def test_staged_folder_refuses_a_non_empty_output_and_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out) as stage:
        (stage / "0000.png").write_text("a")
    assert sorted(p.name for p in out.iterdir()) == ["0000.png"]
    with pytest.raises(DeliverableError, match="exists and is not empty; pass --overwrite"):
        with staged_folder(out):
            pass
    with pytest.raises(RuntimeError, match="half-way"):
        with staged_folder(out, overwrite=True) as stage:
            (stage / "0001.png").write_text("b")
            raise RuntimeError("half-way")
    assert sorted(p.name for p in out.iterdir()) == ["0000.png"]  # the old output is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # and no temporary folder is left
    with staged_folder(out, overwrite=True) as stage:
        (stage / "0002.png").write_text("c")
    assert sorted(p.name for p in out.iterdir()) == ["0002.png"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with staged_folder(empty) as stage:  # an empty folder is not refused
        (stage / "0003.png").write_text("d")
    assert (empty / "0003.png").exists()


def test_overwrite_replaces_only_what_predict_writes(tmp_path):
    folder = tmp_path / "somewhere"
    folder.mkdir()
    for name in ("0000.png", "3_017.png", "0007_mask.png", "notes.txt"):
        (folder / name).write_text(name)
    checkpoint = tmp_path / "never-read.pt"  # the destination is refused before the checkpoint is opened
    with pytest.raises(DeliverableError, match=r"--overwrite replaces only what predict writes.*notes\.txt is not"):
        predict("gan", checkpoint=checkpoint, input=None, output=folder, overwrite=True)
    with pytest.raises(DeliverableError, match=r"notes\.txt is not"):
        with staged_folder(folder, overwrite=True) as stage:
            (stage / "0000.png").write_text("new")
    assert sorted(p.name for p in folder.iterdir()) == ["0000.png", "0007_mask.png", "3_017.png", "notes.txt"]
    (folder / "notes.txt").unlink()
    (folder / "0001.png").mkdir()  # a folder is never something predict wrote, whatever its name
    with pytest.raises(DeliverableError, match=r"0001\.png is not"):
        predict("gan", checkpoint=checkpoint, input=None, output=folder, overwrite=True)
    (folder / "0001.png").rmdir()
    with staged_folder(folder, overwrite=True) as stage:  # only predict's names: replaced
        (stage / "0000.png").write_text("new")
    assert [p.read_text() for p in folder.iterdir()] == ["new"]

    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(DeliverableError, match=r"notes\.txt: dann writes a CSV file, named \*\.csv"):
        predict("dann", checkpoint=checkpoint, input=folder, output=notes, overwrite=True)
    with pytest.raises(DeliverableError, match=r"notes\.txt is not"):  # a folder output never replaces a file
        predict("gan", checkpoint=checkpoint, input=None, output=notes, overwrite=True)
    assert notes.read_text() == "mine"
    write_csv(tmp_path / "pred.CSV", ["image_name", "label"], [("0000.png", 1)])
    write_csv(tmp_path / "pred.CSV", ["image_name", "label"], [("0000.png", 2)], overwrite=True)
    assert read_csv(tmp_path / "pred.CSV", ["label"], parameter="PRED") == [{"image_name": "0000.png", "label": "2"}]


def test_csv_written_atomically_parses_back_and_is_refused_without_overwrite(tmp_path):
    path = write_csv(tmp_path / "pred.csv", ["image_name", "label"], [("a.png", 3), ("b.png", 7)])
    assert read_csv(path, ["image_name", "label"], parameter="PRED") == [
        {"image_name": "a.png", "label": "3"}, {"image_name": "b.png", "label": "7"}]
    assert path.read_bytes() == b"image_name,label\na.png,3\nb.png,7\n"  # LF line ends, not the csv module's CRLF
    with pytest.raises(DeliverableError, match="pred.csv exists.*--overwrite"):
        write_csv(path, ["image_name", "label"], [])
    with pytest.raises(DeliverableError, match="is a folder"):
        write_csv(tmp_path, ["image_name", "label"], [])
    with pytest.raises(DeliverableError, match="header must contain filename,label"):
        read_csv(path, ["filename", "label"], parameter="TRUTH")


def test_a_csv_write_that_fails_halfway_leaves_the_old_file_and_no_temporary(tmp_path):
    path = write_csv(tmp_path / "pred.csv", ["image_name", "label"], [("a.png", 3)])

    def rows():
        yield "b.png", 7
        raise OSError(28, "No space left on device")  # one row written, then the disk is full

    with pytest.raises(OSError, match="No space left"):
        write_csv(path, ["image_name", "label"], rows(), overwrite=True)
    assert path.read_text().splitlines() == ["image_name,label", "a.png,3"]
    assert [p.name for p in tmp_path.iterdir()] == ["pred.csv"]


def test_input_images_are_checked(tmp_path):
    with pytest.raises(DeliverableError, match="--input .*: not a folder"):
        image_files(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DeliverableError, match="no images matching"):
        image_files(tmp_path)
    Image.new("RGB", (5, 4), (10, 20, 30)).save(tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"not a png")
    assert [p.name for p in image_files(tmp_path)] == ["a.png", "b.png"]
    assert read_image(tmp_path / "a.png").shape == (3, 4, 5)
    assert read_image(tmp_path / "a.png", mode="L", size=8).shape == (1, 8, 8)
    with pytest.raises(DeliverableError, match=r"image .*b\.png does not decode"):
        read_image(tmp_path / "b.png")


def write_labels(path, key, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([key, "label"])
        writer.writerows(rows)
    return path


def test_csv_accuracy_matches_rows_by_name_and_refuses_mismatched_sets(tmp_path):
    truth = write_labels(tmp_path / "truth.csv", "image_name", [("a", 1), ("b", 2), ("c", 3), ("d", 4)])
    pred = write_labels(tmp_path / "pred.csv", "image_name", [("d", 4), ("c", "03"), ("b", 9), ("a", 1)])
    assert csv_accuracy(pred, truth, key="image_name") == {"accuracy": 0.75, "images": 4.0, "unscored": 0.0}
    more = write_labels(tmp_path / "more.csv", "image_name", [("a", 1), ("b", 2), ("c", 0), ("d", 4), ("train_e", 5)])
    assert csv_accuracy(more, truth, key="image_name") == {"accuracy": 0.75, "images": 4.0, "unscored": 1.0}
    short = write_labels(tmp_path / "short.csv", "image_name", [("a", 1)])
    with pytest.raises(DeliverableError, match=r"no prediction for 3 of TRUTH .*\['b', 'c', 'd'\]"):
        csv_accuracy(short, truth, key="image_name")
    twice = write_labels(tmp_path / "twice.csv", "image_name", [("a", 1), ("a", 2)])
    with pytest.raises(DeliverableError, match="line 3: image_name 'a' appears twice"):
        csv_accuracy(twice, truth, key="image_name")


@pytest.mark.parametrize("side", ["PRED", "TRUTH"])
@pytest.mark.parametrize("label", ["", "  ", "seven", "3.5", "nan", "--3", "\u00b3"])
def test_a_label_that_is_empty_or_not_a_whole_number_is_named_not_scored_as_a_miss(tmp_path, side, label):
    """(Before, such a row counted as a wrong prediction, and '3.5' as class 3, with no word said.)"""
    good = write_labels(tmp_path / "good.csv", "image_name", [("a", 1), ("b", 2)])
    bad = write_labels(tmp_path / "bad.csv", "image_name", [("a", 1), ("b", label)])
    pred, truth = (bad, good) if side == "PRED" else (good, bad)
    with pytest.raises(DeliverableError, match=rf"{side} \S*bad\.csv, line 3: the label of 'b' is "
                                               rf"{re.escape(repr(label.strip()))}; expected a whole number"):
        csv_accuracy(pred, truth, key="image_name")
    office = write_labels(tmp_path / "office.csv", "filename", [("a", "Mug"), ("b", " 7.0")])  # names, or numbers
    assert csv_accuracy(office, office, key="filename", numeric=False)["accuracy"] == 1.0
    if not label.strip():
        blank = write_labels(tmp_path / "blank.csv", "filename", [("a", "Mug"), ("b", label)])
        with pytest.raises(DeliverableError, match="the label of 'b' is .*; expected a class name or number"):
            csv_accuracy(blank, office, key="filename", numeric=False)


def test_class_folder_truth_reads_labels_from_names(tmp_path):
    folder = tmp_path / "val"
    folder.mkdir()
    for name in ["3_0.png", "5_1.png"]:
        Image.new("RGB", (4, 4)).save(folder / name)
    pred = write_labels(tmp_path / "pred.csv", "filename", [("3_0.png", 3), ("5_1.png", 3)])
    assert csv_accuracy(pred, folder, key="filename")["accuracy"] == 0.5


def test_every_problem_has_a_format_and_an_unknown_one_is_named():
    assert set(PROBLEMS) == {"gan", "acgan", "ddpm", "conditional_diffusion", "dann", "adda", "classification",
                             "byol", "segmentation"}
    with pytest.raises(DeliverableError, match="unknown problem 'fcn'; choose one of gan, acgan, ddpm"):
        problem("fcn")


def test_predict_checks_its_arguments_before_reading_anything(tmp_path):
    with pytest.raises(DeliverableError, match="dann needs --input"):
        predict("dann", checkpoint=tmp_path / "c.pt", input=None, output=tmp_path / "o.csv")
    with pytest.raises(DeliverableError, match="generates from noise and takes no --input"):
        predict("gan", checkpoint=tmp_path / "c.pt", input=tmp_path, output=tmp_path / "o")
    with pytest.raises(DeliverableError, match="--n must be at least 1"):
        predict("gan", checkpoint=tmp_path / "c.pt", input=None, output=tmp_path / "o", n=0)


def test_cli_exits_2_with_the_reason_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "dann.pt"
    tiny_fit(path, record=deliverable("dann", modules="model"))
    out = tmp_path / "out"
    assert predict_main(["gan", "--checkpoint", str(path), "--output", str(out), "--device", "cpu"]) == 2
    assert "is a checkpoint of 'dann', not 'gan'" in capsys.readouterr().err
    assert predict_main(["ddpm", "--checkpoint", str(path), "--output", str(out), "--guidance", "3"]) == 2
    assert "--guidance does not apply to ddpm (it takes --n, --steps, --size)" in capsys.readouterr().err
    assert predict_main(["dann", "--checkpoint", str(path), "--input", str(tmp_path), "--output", str(tmp_path / "d.csv"),
                         "--n", "5", "--steps", "20"]) == 2
    err = capsys.readouterr().err
    assert "--n, --steps does not apply to dann (it takes none of --n, --steps, --guidance, --size)" in err
    assert predict_main(["gan", "--checkpoint", str(path), "--output", str(tmp_path / "gan.csv")]) == 2
    assert "gan.csv is named like a CSV file; gan writes a folder of images" in capsys.readouterr().err
    assert not (tmp_path / "gan.csv").exists()
    assert not out.exists()
    assert predict_main(["gan", "--reports", str(tmp_path), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"there is no {tmp_path / 'gan' / 'metrics.json'} to name one" in err and "make report NOTEBOOKS=gan" in err
    (tmp_path / "gan" / "checkpoints").mkdir(parents=True)  # a failed re-run removed metrics.json; its checkpoints stay
    (tmp_path / "gan" / "checkpoints" / "dcgan_1234.pt").write_bytes(b"")
    assert predict_main(["gan", "--reports", str(tmp_path), "--output", str(out)]) == 2
    assert f"The checkpoints saved there:\n  {tmp_path / 'gan' / 'checkpoints' / 'dcgan_1234.pt'}" in capsys.readouterr().err
    (tmp_path / "gan" / "metrics.json").write_text('{"notebook": "gan"}')
    assert predict_main(["gan", "--reports", str(tmp_path), "--output", str(out)]) == 2
    assert "names none; run `make report NOTEBOOKS=gan`" in capsys.readouterr().err
    for damaged in ('{"predict": {"checkp', "[1, 2]", '{"predict": "gan.pt"}'):  # cut short, not an object, no path
        (tmp_path / "gan" / "metrics.json").write_text(damaged)
        assert predict_main(["gan", "--reports", str(tmp_path), "--output", str(out)]) == 2
        assert str(tmp_path / "gan" / "metrics.json") in capsys.readouterr().err
    assert evaluate_main(["dann", str(tmp_path / "p.csv"), str(tmp_path / "t.csv")]) == 2
    assert "PRED" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        predict_main(["fcn", "--output", str(out)])
    out.mkdir()
    (out / "0000.png").write_text("earlier output")
    assert predict_main(["gan", "--checkpoint", str(tmp_path / "none.pt"), "--output", str(out)]) == 2
    assert "exists and is not empty; pass --overwrite" in capsys.readouterr().err  # refused before any work


def test_the_default_checkpoint_is_the_one_metrics_json_names(tmp_path):
    (tmp_path / "dann").mkdir()
    (tmp_path / "dann" / "metrics.json").write_text('{"predict": {"checkpoint": "/x/dann.pt"}}')
    assert str(default_checkpoint("dann", tmp_path)) == "/x/dann.pt"
    (tmp_path / "dann" / "metrics.json").write_text('{"predict": {"checkpoint": "/x/dann.pt", "pairs": {"mnistm->usps": '
                                                    '{"checkpoint": "/x/usps.pt"}, "mnistm->svhn": {"checkpoint": '
                                                    '"/x/dann.pt"}}}}')
    assert str(default_checkpoint("dann", tmp_path, Path("hw2_data/digits/usps/data"))) == "/x/usps.pt"
    for damaged in ('[]', '{"mnistm->usps": "/x/usps.pt"}', '{}'):
        (tmp_path / "dann" / "metrics.json").write_text('{"predict": {"checkpoint": "/x/dann.pt", "pairs": %s}}' % damaged)
        with pytest.raises(DeliverableError, match="metrics.json is damaged.*predict.pairs"):
            default_checkpoint("dann", tmp_path, Path("usps/data"))


def test_the_notebooks_example_command_names_the_checkpoint_and_the_make_form():
    from helpers.deliverables.example import DEFAULT_REPORTS

    checkpoint = DEFAULT_REPORTS / "dann" / "checkpoints" / "c.pt"  # where make report puts it (a path, no file)
    entry = predict_entry("dann", checkpoint, input="svhn/data", output="pred.csv", truth="svhn/val.csv")
    assert entry["checkpoint"] == str(checkpoint.resolve())
    assert entry["command"] == f"python -m helpers.predict dann --checkpoint {entry['checkpoint']} " \
                               "--input svhn/data --output pred.csv"
    assert entry["make"] == "make predict PROBLEM=dann INPUT=svhn/data OUTPUT=pred.csv"
    assert entry["evaluate"] == "python -m helpers.evaluate dann pred.csv svhn/val.csv"
    text = predict_markdown(entry)
    assert entry["command"] in text and entry["make"] in text and entry["evaluate"] in text


def test_a_run_into_another_reports_folder_names_it_and_the_profile_in_its_commands(tmp_path):
    """`make report REPORTS=elsewhere`: `make predict` must read elsewhere/<problem>/metrics.json, and evaluate the
    digit classifier of the profile the notebook graded with (another profile's reads other numbers)."""
    from helpers.deliverables.example import DEFAULT_REPORTS

    tmp_path = tmp_path.resolve()  # predict_entry resolves the checkpoint's path

    checkpoint = tmp_path / "elsewhere" / "gan" / "checkpoints" / "dcgan.pt"
    entry = predict_entry("gan", checkpoint, output="output/gan", truth="embedded", profile="smoke")
    assert entry["make"] == f"make predict PROBLEM=gan REPORTS={tmp_path / 'elsewhere'} OUTPUT=output/gan"
    assert entry["evaluate"] == (f"python -m helpers.evaluate gan output/gan embedded --reports {tmp_path / 'elsewhere'} "
                                 f"--profile smoke")
    default = predict_entry("gan", DEFAULT_REPORTS / "gan" / "checkpoints" / "dcgan.pt", output="o", truth="embedded")
    assert default["make"] == "make predict PROBLEM=gan OUTPUT=o"
    assert default["evaluate"] == "python -m helpers.evaluate gan o embedded"
    # run by hand into a folder not named after the problem: make predict could not find its metrics.json
    by_hand = tmp_path / "gan-run2" / "checkpoints" / "dcgan.pt"
    entry = predict_entry("gan", by_hand, output="o", truth="embedded", profile="cpu")
    assert entry["make"] == f"make predict PROBLEM=gan CHECKPOINT={by_hand} OUTPUT=o"
    assert entry["evaluate"] == "python -m helpers.evaluate gan o embedded --profile cpu"
    # a notebook run with another seed graded with that seed's digits and classifier
    entry = predict_entry("gan", by_hand, output="o", truth="embedded", profile="cpu", seed=3)
    assert entry["evaluate"] == "python -m helpers.evaluate gan o embedded --profile cpu --seed 3"
    assert entry["command"] == f"python -m helpers.predict gan --checkpoint {by_hand} --seed 3 --output o"
    assert entry["make"] == f"make predict PROBLEM=gan CHECKPOINT={by_hand} SEED=3 OUTPUT=o"
    # a problem evaluate grades without the digit classifier: no --reports, no --profile
    entry = predict_entry("dann", checkpoint.parents[2] / "dann" / "checkpoints" / "p.pt", input="i", output="p.csv",
                          truth="t.csv")
    assert entry["evaluate"] == "python -m helpers.evaluate dann p.csv t.csv"


def test_prediction_and_truth_csvs_saved_by_excel_are_read(tmp_path):
    """A byte-order mark and CRLF line ends (Excel's "CSV UTF-8"): the header and the rows read as without them."""
    truth = write_labels(tmp_path / "truth.csv", "image_name", [("a", 1), ("b", 2)])
    truth.write_bytes("\ufeff".encode() + truth.read_text().replace("\n", "\r\n").encode())
    assert read_csv(truth, ["image_name", "label"], parameter="TRUTH") == [{"image_name": "a", "label": "1"},
                                                                           {"image_name": "b", "label": "2"}]
    pred = write_labels(tmp_path / "pred.csv", "image_name", [("a", 1), ("b", 3)])
    assert csv_accuracy(pred, truth, key="image_name")["accuracy"] == 0.5


def test_a_truth_folder_of_unlabelled_names_asks_for_the_problems_csv(tmp_path, capsys):
    """`helpers.evaluate dann pred.csv svhn/data`: the folder's names carry no labels; the message names dann's CSV."""
    pred = write_labels(tmp_path / "pred.csv", "image_name", [("00000.png", 1)])
    (tmp_path / "data").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "data" / "00000.png")
    assert evaluate_main(["dann", str(pred), str(tmp_path / "data")]) == 2
    assert "00000.png is not named <label>_<idx>; pass a CSV with the columns image_name,label" in capsys.readouterr().err


def test_evaluate_prints_measures_to_four_places_and_counts_whole_and_names_a_folder_given_for_a_csv(tmp_path, capsys):
    truth = write_labels(tmp_path / "truth.csv", "image_name", [("a", 1), ("b", 2)])
    pred = write_labels(tmp_path / "pred.csv", "image_name", [("a", 1), ("b", 3), ("c", 4)])
    assert evaluate_main(["dann", str(pred), str(truth)]) == 0
    assert capsys.readouterr().out.splitlines() == ["accuracy: 0.5000", "images: 2", "unscored: 1"]
    assert evaluate_main(["dann", str(tmp_path), str(truth)]) == 2
    assert f"PRED {tmp_path} is a folder; a CSV file is expected here" in capsys.readouterr().err


def test_generated_images_are_written_at_size_then_the_course_datas_then_the_trained():
    assert written_size({"course_size": 64}, None, 32) == 64  # a course folder's own size
    assert written_size({"course_size": None}, None, 32) == 32  # the embedded data: the size the notebook grades at
    assert written_size({}, None, 16) == 16  # a record from before course_size
    assert written_size({"course_size": 64}, 48, 32) == 48  # --size
    with pytest.raises(DeliverableError, match="--size 4: images must be at least 8x8"):
        written_size({}, 4, 32)


@pytest.mark.parametrize("first, count, width", [(0, 1000, 4), (0, 10001, 4), (1, 100, 3), (1, 1000, 3)])
def test_written_names_sort_in_index_order_for_any_count(first, count, width):
    """The course's widths (0000.png, 0_001.png) up to their size, one digit more past it (--n 1000 per digit:
    0_0001.png ... 0_1000.png, not 0_1000.png sorted between 0_100.png and 0_101.png)."""
    indices = range(first, first + count)
    last = indices[-1]
    names = [f"3_{numbered(i, last, width)}.png" for i in indices]
    assert sorted(names) == names
    assert len(names[0]) == len(names[-1]) == len(f"3_{max(width, len(str(last))) * '0'}.png")
    assert all(WRITTEN_IN_FOLDER.fullmatch(name) for name in (names[0], names[-1]))

"""dann and adda deliverables: predict from the notebooks' checkpoints, evaluate, and the same accuracy."""
import csv
import json

import pytest
import torch
import torch.nn.functional as F

from helpers.adaptation.common import DomainPair
from helpers.adaptation.config import AddaConfig, DannConfig
from helpers.adaptation.deliverable import pair_for_input, pairs_entry, pairs_markdown, target_images
from helpers.adaptation.experiment import MethodResult, run_method
from helpers.core.checkpoint import load_checkpoint
from helpers.core.config import make_config
from helpers.core.evaluation import accuracy, apply
from helpers.core.images import Domain
from helpers.data import load_domains
from helpers.data.course import load_split
from helpers.deliverables.files import save_image
from helpers.deliverables.record import DeliverableError
from helpers.evaluate import evaluate
from helpers.predict import main, predict

CPU = torch.device("cpu")


def small(domain: Domain, n_train: int, n_test: int) -> Domain:
    return Domain(domain.name, domain.train.subset(torch.arange(n_train)), domain.test.subset(torch.arange(n_test)))


@pytest.fixture(scope="module")
def domains():
    """digits-m (colour) -> digits-u (gray); the pair below repeats the gray target to three channels
    (``pair_channels`` "more"), so that prediction's conversion of gray files to the model's colour is tested."""
    loaded = load_domains("embedded", ["digits-m", "digits-u"], copies=1)
    return small(loaded["digits-m"], 192, 60), small(loaded["digits-u"], 192, 90)


@pytest.fixture(scope="module")
def pair(domains):
    return DomainPair.of(*domains, "more")


def export(domain: Domain, root, *, size: int | None = None):
    """The domain's test split in the course's layout: <root>/<name>/data/NNNN.png and val.csv (and, to be a
    complete course folder, train.csv naming the same images). ``size`` resizes the images first."""
    folder = root / domain.name
    (folder / "data").mkdir(parents=True)
    rows = []
    for i, (image, label) in enumerate(zip(domain.test.images, domain.test.labels.tolist())):
        if size is not None:
            image = F.interpolate(image[None].float(), size=(size, size), mode="bilinear").round().to(torch.uint8)[0]
        save_image(image, folder / "data" / f"{i:04d}.png")
        rows.append((f"{i:04d}.png", label))
    for name in ("val.csv", "train.csv"):
        with (folder / name).open("w", newline="") as handle:
            csv.writer(handle).writerows([("image_name", "label"), *rows])
    return folder


@pytest.fixture(scope="module")
def trained(pair, tmp_path_factory):
    """The notebooks' runs, smoke-sized: {method: MethodResult}, checkpoints in a temporary folder."""
    checkpoints = tmp_path_factory.mktemp("checkpoints")
    run = dict(data="embedded", seed=0, device=CPU, checkpoint_dir=checkpoints)
    dann_config = make_config(DannConfig, "smoke", {"batch_size": 32})
    adda_config = make_config(AddaConfig, "smoke", {"batch_size": 32})
    source_only = run_method("source-only", pair, adda_config, **run)
    return {"dann": run_method("dann", pair, dann_config, **run),
            "source-only": source_only,
            "adda": run_method("adda", pair, adda_config, source_model=source_only.model, **run)}


@pytest.fixture(scope="module")
def target_folder(domains, tmp_path_factory):
    return export(domains[1], tmp_path_factory.mktemp("course"))


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("method", ["dann", "adda"])
def test_predicted_csv_gives_the_notebooks_accuracy(method, trained, pair, target_folder, tmp_path):
    result = trained[method]
    written = predict(method, checkpoint=result.checkpoint, input=target_folder / "data", output=tmp_path / "pred.csv",
                      device="cpu")
    scores = evaluate(method, written, target_folder / "val.csv", device="cpu")
    # The notebook averages the hits in float32, helpers.evaluate in float64: the same count of hits.
    assert scores["accuracy"] == pytest.approx(result.accuracy, abs=1e-6)
    assert scores["images"] == len(pair.target.test)

    rows = read_rows(written)
    assert rows[0] == ["image_name", "label"]
    assert [name for name, _ in rows[1:]] == [f"{i:04d}.png" for i in range(len(pair.target.test))]
    expected = apply(result.model.eval(), pair.target.test).argmax(1).tolist()
    assert [int(label) for _, label in rows[1:]] == expected  # image by image, not only on average


def test_adda_deliverable_is_the_target_encoder_with_the_source_classifier(trained):
    state = load_checkpoint(trained["adda"].checkpoint)
    record = state["deliverable"]
    assert record["problem"] == "adda" and record["modules"] == ["target_encoder", "label_predictor"]
    assert record["settings"]["target"] == "digits-u" and record["settings"]["channels"] == 3
    assert record["settings"]["image_size"] == 28 and record["settings"]["pixel_range"] == [-1, 1]
    model = trained["adda"].model
    assert all(torch.equal(state["modules"]["label_predictor"][k], v)
               for k, v in model.label_predictor.state_dict().items())
    # Source-only (and target-only, dann-em) checkpoints are not deliverables.
    assert "deliverable" not in load_checkpoint(trained["source-only"].checkpoint)


def test_images_of_another_size_are_resized_as_the_course_loader_does(trained, domains, pair, tmp_path):
    folder = export(domains[1], tmp_path, size=20)
    written = predict("dann", checkpoint=trained["dann"].checkpoint, input=folder / "data", output=tmp_path / "p.csv",
                      device="cpu")
    # The notebook with data=<course folder> reads the target test split with load_split, then pairs channels.
    course_test = load_split(folder, "test", 28).with_channels(pair.channels)
    expected = accuracy(trained["dann"].model, course_test)
    assert evaluate("dann", written, folder / "val.csv", device="cpu")["accuracy"] == pytest.approx(expected, abs=1e-6)


def test_colour_images_become_gray_for_a_gray_model_as_domains_are_paired(domains, tmp_path):
    colour = export(domains[0], tmp_path)  # digits-m, RGB
    files, data = target_images(colour / "data", {"image_size": 28, "channels": 1, "target": "digits-u"})
    assert len(files) == len(domains[0].test) and data.channels == 1
    assert torch.equal(data.images, domains[0].test.with_channels(1).images)


def test_a_model_can_be_applied_to_another_domain(trained, domains, tmp_path):
    other = export(domains[0], tmp_path)  # the DANN model adapted to digits-u, given digits-m images
    written = predict("dann", checkpoint=trained["dann"].checkpoint, input=other / "data", output=tmp_path / "p.csv",
                      device="cpu")
    assert len(read_rows(written)) == len(domains[0].test) + 1


def test_refusals(trained, target_folder, tmp_path):
    out = tmp_path / "pred.csv"
    adda, dann = trained["adda"].checkpoint, trained["dann"].checkpoint
    with pytest.raises(DeliverableError, match="is a checkpoint of 'dann', not 'adda'"):
        predict("adda", checkpoint=dann, input=target_folder / "data", output=out, device="cpu")
    with pytest.raises(DeliverableError, match="carries no prediction record"):
        predict("adda", checkpoint=trained["source-only"].checkpoint, input=target_folder / "data", output=out,
                device="cpu")
    with pytest.raises(DeliverableError, match="is a file; pass the folder"):
        predict("adda", checkpoint=adda, input=target_folder / "val.csv", output=out, device="cpu")
    with pytest.raises(DeliverableError, match="holds a data/ folder and no images"):
        predict("adda", checkpoint=adda, input=target_folder, output=out, device="cpu")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DeliverableError, match="no images"):
        predict("dann", checkpoint=dann, input=tmp_path / "empty", output=out, device="cpu")
    with pytest.raises(DeliverableError, match="is a folder; dann writes a CSV"):
        predict("dann", checkpoint=dann, input=target_folder / "data", output=tmp_path, device="cpu")
    # a CSV named otherwise could never be replaced with --overwrite, which replaces only *.csv files
    with pytest.raises(DeliverableError, match=r"--output \S*pred: dann writes a CSV file, named \*\.csv "
                                               r"\(e\.g\. \S*pred\.csv\)"):
        predict("dann", checkpoint=dann, input=target_folder / "data", output=tmp_path / "pred", device="cpu")
    assert not out.exists() and not (tmp_path / "pred").exists()

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "0000.png").write_bytes((target_folder / "data" / "0000.png").read_bytes())
    (broken / "0001.png").write_bytes(b"not a png")
    with pytest.raises(DeliverableError, match="cannot decode image .*0001.png"):
        predict("dann", checkpoint=dann, input=broken, output=out, device="cpu")
    assert not out.exists() and list(tmp_path.glob(".pred.csv*")) == []

    out.write_text("old\n")
    with pytest.raises(DeliverableError, match="exists.*--overwrite"):
        predict("dann", checkpoint=dann, input=target_folder / "data", output=out, device="cpu")
    assert out.read_text() == "old\n"
    predict("dann", checkpoint=dann, input=target_folder / "data", output=out, device="cpu", overwrite=True)
    assert read_rows(out)[0] == ["image_name", "label"]


def test_metrics_entry_names_every_pair_and_the_cli_takes_the_pair_the_input_names(trained, target_folder, tmp_path,
                                                                                    capsys):
    second = MethodResult("dann", "digits-s->digits-m", None, {}, 0.5, tmp_path / "other.pt")
    entry = pairs_entry("dann", [trained["dann"], second], "embedded")
    assert list(entry["pairs"]) == ["digits-m->digits-u", "digits-s->digits-m"]
    assert entry["checkpoint"] == str(trained["dann"].checkpoint.resolve())
    assert "--input hw2_data/digits/usps/data" in entry["command"]
    assert entry["pairs"]["digits-s->digits-m"]["evaluate"].endswith("hw2_data/digits/mnistm/val.csv")
    assert str(tmp_path / "other.pt") in pairs_markdown(entry)
    assert pairs_entry("dann", [second], "/data/hw2")["pairs"]["digits-s->digits-m"]["command"].count("/data/hw2/digits-m/data")

    (tmp_path / "dann").mkdir()
    (tmp_path / "dann" / "metrics.json").write_text(json.dumps({"predict": entry}))
    out = tmp_path / "cli.csv"
    assert main(["dann", "--reports", str(tmp_path), "--input", str(target_folder / "data"), "--output", str(out),
                 "--device", "cpu"]) == 0
    assert "the digits-m->digits-u model" in capsys.readouterr().err  # the input is .../digits-u/data
    assert main(["dann", "--reports", str(tmp_path), "--input", str(target_folder / "data"), "--output", str(out),
                 "--device", "cpu"]) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    # Images of the second pair's target (mnistm, the course's name of digits-m) take the second pair's checkpoint:
    # here a file that does not exist, so predict stops naming it.
    mnistm = tmp_path / "hw2_data" / "digits" / "mnistm" / "data"
    mnistm.mkdir(parents=True)
    assert main(["dann", "--reports", str(tmp_path), "--input", str(mnistm), "--output", str(tmp_path / "m.csv"),
                 "--device", "cpu"]) == 2
    assert str(tmp_path / "other.pt") in capsys.readouterr().err
    # A folder named after neither target: no model is guessed; each pair's checkpoint is listed.
    assert main(["dann", "--reports", str(tmp_path), "--input", str(tmp_path / "dann"), "--output",
                 str(tmp_path / "x.csv"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "no folder of this path is named after a target domain" in err and "usps" in err and "mnistm" in err
    assert str(tmp_path / "other.pt") in err and str(trained["dann"].checkpoint.resolve()) in err
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "m.csv").exists()


def test_the_pair_for_an_input_is_the_nearest_folder_named_after_a_target():
    pairs = {name: {"checkpoint": f"/c/{name}.pt"} for name in ("mnistm->svhn", "mnistm->usps", "svhn->mnistm")}
    assert pair_for_input("dann", pairs, "hw2_data/digits/usps/data") == "mnistm->usps"
    assert pair_for_input("dann", pairs, "/x/svhn/hw2_data/digits/mnistm/data") == "svhn->mnistm"  # nearest wins
    assert pair_for_input("dann", pairs, "/x/usps_copy/data/svhn") == "mnistm->svhn"  # names match whole folders
    embedded = {"digits-m->digits-s": {"checkpoint": "/c/a.pt"}, "digits-m->digits-u": {"checkpoint": "/c/b.pt"}}
    assert pair_for_input("adda", embedded, "hw2_data/digits/usps/data") == "digits-m->digits-u"  # course name
    assert pair_for_input("adda", embedded, "my/digits-s/data") == "digits-m->digits-s"
    assert pair_for_input("dann", {"mnistm->usps": {"checkpoint": "/c/u.pt"}}, "/scans") == "mnistm->usps"  # one pair
    with pytest.raises(DeliverableError, match="no folder of this path.*\\(mnistm, svhn, usps;"):
        pair_for_input("dann", pairs, "/scans/data")
    both = {"mnistm->svhn": {"checkpoint": "/c/1.pt"}, "usps->svhn": {"checkpoint": "/c/2.pt"}}
    with pytest.raises(DeliverableError, match="target domain svhn of 2 of the dann notebook's pairs") as error:
        pair_for_input("dann", both, "digits/svhn/data")
    assert "/c/1.pt" in str(error.value) and "/c/2.pt" in str(error.value)


def test_an_adda_checkpoint_from_before_records_becomes_a_deliverable_when_the_notebook_reruns(trained, pair,
                                                                                             tmp_path):
    first = trained["adda"]
    old = tmp_path / first.checkpoint.name  # a copy, made as the suite wrote it before records
    state = load_checkpoint(first.checkpoint)
    del state["deliverable"], state["modules"]["label_predictor"]
    torch.save(state, old)
    with pytest.raises(DeliverableError, match="carries no prediction record"):
        predict("adda", checkpoint=old, input=tmp_path, output=tmp_path / "p.csv", device="cpu")

    config = make_config(AddaConfig, "smoke", {"batch_size": 32})
    again = run_method("adda", pair, config, data="embedded", seed=0, device=CPU, checkpoint_dir=tmp_path,
                       source_model=trained["source-only"].model)  # finished: loads, does not train
    assert again.checkpoint == old and again.accuracy == first.accuracy and again.history == first.history
    state = load_checkpoint(old)
    assert state["deliverable"]["problem"] == "adda" and "label_predictor" in state["modules"]

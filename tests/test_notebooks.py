"""Every notebook: committed clean, and run end to end through papermill as `make report` runs it."""
import json
import math
import re

import nbformat
import numpy as np
import pytest
from tests.conftest import NOTEBOOKS, ROOT
from tests.course_trees import SATELLITE

from helpers.evaluate import evaluate
from helpers.predict import main as predict_main
from helpers.report.execute import execute_notebook
# What each notebook's metrics.json must hold: table -> rows -> columns.
PAIRS = {"digits-m->digits-s", "digits-m->digits-u", "digits-s->digits-m"}
EXPECTED = {
    "dann": {"accuracy": ({"source-only", "dann", "target-only"}, PAIRS)},
    "adda": {"accuracy": ({"source-only", "dann", "adda", "dann-em", "target-only"}, PAIRS)},
    "classification": {"accuracy": ({"model-a", "model-b"}, {"validation"}),
                       "tsne_knn": ({"first", "middle", "last"}, {"accuracy"})},
    "byol": {"accuracy": ({"A", "B", "C", "D", "E"}, {"validation"}),
             "collapse": ({"embedding"}, {"std", "uniform_reference"})},
    # Without Inception weights (none on a fresh machine) the FID table has no fid_inception column; the label-free
    # random-feature FID is in every run's table.
    "gan": {"samples": ({"dcgan", "wgan", "wgan-gp", "sngan", "real"},
                        {"fid_classifier", "recognised", "between_digits", "diversity", "fid_random"}),
            "mode_collapse": ({"collapsed", "mitigated"}, {"modes", "high_quality"})},
    "acgan": {"acgan": ({"real", "generated"}, {"aux_accuracy", "label_agreement"})},
    "segmentation": {"miou": ({"fcn32s", "deeplabv3"}, {"background", *map(str, range(10)), "mean"})},
    # The DDPM table's rows differ in their extra columns (real images have no sampling time).
    "ddpm": {"samples": ({"ddpm", "dcgan", "real", "real-resampled"},
                         {"fid_classifier", "recognised", "diversity", "fid_random"})},
    "conditional_diffusion": {
        "sampling": ({"ddpm-100", "ddim-100", "ddim-50", "ddim-20"}, {"accuracy", "fid_classifier", "seconds_per_100"}),
        "guidance": ({"0", "1", "2", "4"}, {"accuracy", "fid_classifier", "seconds_per_100"}),
        "per_digit": ({*"0123456789", "overall"}, {"accuracy"}),
    },
}
# Tables or columns whose values are fractions (0-1); every other value need only be a finite number.
FRACTIONS = {"accuracy", "recognised", "between_digits", "aux_accuracy", "label_agreement", "miou", "face_share"}


def test_every_notebook_has_expectations():
    """A new notebook's results are checked too: EXPECTED names exactly the notebooks there are."""
    assert sorted(EXPECTED) == sorted(NOTEBOOKS), "add the notebook's tables, rows and columns to EXPECTED"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs_and_with_a_parameters_cell(name):
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and 'profile = "auto"' in tagged[0].source and "out_dir = " in tagged[0].source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_percent_source_and_the_notebook_are_in_sync(name):
    """notebooks/<name>.py (jupytext percent format) and notebooks/<name>.ipynb hold the same cells."""
    import jupytext

    text = jupytext.read(ROOT / "notebooks" / f"{name}.py")
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)

    def cells(nb):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]
    assert cells(text) == cells(notebook), f"run .venv/bin/jupytext --sync notebooks/{name}.py"
    assert text.metadata["kernelspec"]["name"] == notebook.metadata["kernelspec"]["name"] == "dlcv-report"


def test_every_notebook_is_a_jupytext_pair():
    import jupytext.config

    config = jupytext.config.find_jupytext_configuration_file(str(ROOT / "notebooks"))
    assert config is not None, "no jupytext.toml"
    formats = jupytext.config.load_jupytext_configuration_file(config).formats
    assert "py:percent" in ",".join(formats) and "ipynb" in ",".join(formats)
    assert sorted(p.stem for p in (ROOT / "notebooks").glob("*.py")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_through_papermill_and_writes_its_report(name, smoke_reports):
    reports, errors = smoke_reports
    assert errors[name] is None, errors[name]
    out = reports / name
    assert (out / f"{name}.html").exists() and (out / f"{name}.ipynb").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["notebook"] == name and metrics["profile"] == "smoke" and metrics["timings"]["total_s"] > 0
    for table, (rows, columns) in EXPECTED[name].items():
        assert set(metrics["results"][table]) == rows
        for row in rows:
            if name == "ddpm":
                assert columns <= set(metrics["results"][table][row]), (table, row)
            else:
                assert set(metrics["results"][table][row]) == columns
            for column, value in metrics["results"][table][row].items():
                if value is None and table == "miou":  # a class neither present nor predicted has no IoU
                    continue
                assert math.isfinite(value), (table, row, column)
                if table in FRACTIONS or column in FRACTIONS:
                    assert 0.0 <= value <= 1.0, (table, row, column)
    figures = list((out / "figures").glob("*.png"))
    assert figures
    page = (out / f"{name}.html").read_text()
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == len(figures), "each saved figure is shown once in the page"
    assert all(re.search(r"""alt=["'][^"']{8,}""", image) for image in images)
    assert "No description has been provided" not in page, "a figure without its text alternative"
    if name == "adda":  # run after dann into the same reports folder (conftest.SMOKE_CHAINS): DANN's row is read
        read_from = metrics["dann_row"].removeprefix("read from ")
        assert (ROOT / "notebooks" / read_from).resolve() == (reports / "dann" / "metrics.json").resolve()
        # and its source-only and target-only trainings are the dann notebook's checkpoints, not trained again
        assert sorted(metrics["copied_from_dann"]) == sorted(f"{m} {p}" for m in ("source-only", "target-only")
                                                              for p in PAIRS)


def test_a_failing_notebook_keeps_its_error_and_leaves_no_html(tmp_path):
    with pytest.raises(Exception, match="epochs"):
        execute_notebook("dann", profile="smoke", reports_dir=tmp_path, notebooks_dir=ROOT / "notebooks",
                         kernel="python3", progress_bar=False, extra_parameters={"epochs": -1})
    executed = nbformat.read(tmp_path / "dann" / "dann.ipynb", as_version=4)
    assert executed.metadata.papermill.exception
    assert not (tmp_path / "dann" / "dann.html").exists()


def test_the_kernel_runs_encrypted_and_does_not_warn_on_the_console(tmp_path, capfd):
    """ipykernel 7.3+ prints "Kernel is running over TCP without encryption" to the console on every start unless
    its manager provisions CurveZMQ keys, which execute_notebook asks for."""
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "dlcv-report", "language": "python",
                                                                 "display_name": "dlcv-report"}})
    notebook.cells = [nbformat.v4.new_code_cell('profile = "auto"\nout_dir = "."', metadata={"tags": ["parameters"]}),
                      nbformat.v4.new_code_cell("print(41 + 1)")]
    (tmp_path / "notebooks").mkdir()
    nbformat.write(notebook, tmp_path / "notebooks" / "tiny.ipynb")
    execute_notebook("tiny", profile="smoke", reports_dir=tmp_path / "reports", notebooks_dir=tmp_path / "notebooks",
                     progress_bar=False)
    executed = nbformat.read(tmp_path / "reports" / "tiny" / "tiny.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "42\n"
    assert "without encryption" not in capfd.readouterr().err


# --- Course-layout trees (tests/course_trees.py): each notebook on a small tree of its own ------------------------

def course_run(course_runs, key):
    """The folder of run ``key`` (its tree and reports/); the run's error fails the test that reads it."""
    folders, errors = course_runs
    if errors[f"course:{key}"] is not None:
        pytest.fail(f"{key} on its course-layout tree: {errors[f'course:{key}']}")
    return folders["face"] if key.startswith("face-") else folders[key]


@pytest.mark.parametrize("name", ["dann", "adda"])
def test_adaptation_notebooks_run_on_the_course_layout(name, course_runs):
    """The course folder names replace the embedded ones in every table (build_digit_domains' tree: CSVs with a BOM
    and CRLF ends, fewer images than one batch)."""
    tmp_path = course_run(course_runs, name)
    metrics = json.loads((tmp_path / "reports" / name / "metrics.json").read_text())
    assert metrics["data"] == str(tmp_path / "digits")
    for row in EXPECTED[name]["accuracy"][0]:
        assert set(metrics["results"]["accuracy"][row]) == {"mnistm->svhn", "mnistm->usps", "svhn->mnistm"}


def test_segmentation_notebook_runs_on_the_course_layout(course_runs):
    """On a tiny satellite tree: land-cover classes in the table (unknown left out) and the validation masks
    written in the course's RGB format under the validation images' names. Its 6 training images are fewer than
    one batch of the smoke profile's 8: the batch is clamped, and the table says so."""
    import torch
    from PIL import Image

    from helpers.segmentation.masks import LAND_COVER, palette_of, rgb_to_index

    tmp_path = course_run(course_runs, "segmentation")
    out = tmp_path / "reports" / "segmentation"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"] == str(tmp_path / "sat")
    assert f"--input {tmp_path / 'sat' / 'validation'} " in metrics["predict"]["command"]  # the folder it read
    assert "6 (clamped from 8: 6 training images)" in (out / "segmentation.html").read_text()
    # the smoke profile trains on 32x32 windows of the 64x64 images, and both the table and metrics.json say so
    assert metrics["params"]["training_windows"] == "a random 32x32 window of each 64x64 image"
    assert "a random 32x32 window of each 64x64 image" in (out / "segmentation.html").read_text()
    for model in ("fcn32s", "deeplabv3"):
        assert set(metrics["results"]["miou"][model]) == {*LAND_COVER} - {"unknown"} | {"mean"}
    written = sorted((out / "masks").iterdir())
    assert [p.name for p in written] == [f"{stem}_mask.png" for stem in SATELLITE["validation"]]  # the stale one gone
    rgb = np.array(Image.open(written[0]).convert("RGB"))
    assert rgb.shape == (96, 96, 3)  # the image's own size (the smoke profile's models see 64x64), as the course grades
    rgb_to_index(torch.from_numpy(rgb).permute(2, 0, 1), palette_of(tuple(LAND_COVER)), written[0].name)
    scores = evaluate("segmentation", out / "masks", tmp_path / "sat" / "validation", device="cpu")
    assert 0.0 <= scores["mIoU"] <= 1.0 and scores["images"] == 4


def test_conditional_diffusion_runs_on_the_course_layout(course_runs):
    """On the course's MNIST-M layout (build_mnistm), in float32 (the `bf16` parameter; on by default where bfloat16
    is native). (ddpm on a flat folder: the face folder test below.)"""
    from PIL import Image

    tmp_path = course_run(course_runs, "conditional_diffusion")
    conditional = json.loads((tmp_path / "reports" / "conditional_diffusion" / "metrics.json").read_text())
    assert conditional["data"] == str(tmp_path / "digits")
    assert conditional["params"]["bf16"] is False
    assert set(conditional["results"]["sampling"]) == {"ddpm-100", "ddim-100", "ddim-50", "ddim-20"}
    # The deliverable's images have the course data's 28x28 (the smoke profile grades at 12x12), or --size's
    out = tmp_path / "generated"
    assert predict_main(["conditional_diffusion", "--reports", str(tmp_path / "reports"), "--output", str(out),
                         "--n", "1", "--steps", "5", "--device", "cpu"]) == 0
    with Image.open(out / "7_001.png") as image:
        assert image.size == (28, 28)
    assert predict_main(["conditional_diffusion", "--reports", str(tmp_path / "reports"), "--output", str(out),
                         "--n", "1", "--steps", "5", "--size", "20", "--overwrite", "--device", "cpu"]) == 0
    with Image.open(out / "7_001.png") as image:
        assert image.size == (20, 20)


def test_classification_runs_on_the_course_class_folders(course_runs):
    """hw1_data/p1_data/{train_50,val_50}/<label>_<idx>.png, named by its parent folder."""
    tmp_path = course_run(course_runs, "classification")
    metrics = json.loads((tmp_path / "reports" / "classification" / "metrics.json").read_text())
    assert set(metrics["results"]["accuracy"]) == {"model-a", "model-b"}
    assert "from scratch" in metrics["params"]["model_b_initialisation"]
    # The example commands name the folder the notebook read, so that they run as shown
    assert f"--input {tmp_path / 'hw1_data' / 'p1_data' / 'val_50'} " in metrics["predict"]["command"]


def test_byol_runs_on_the_course_csv_folders(course_runs):
    """p2_data/mini/train/*.jpg (no labels: settings A, C, E) and office/{train,val} + CSVs (with a
    byte-order mark and CRLF ends); 40 and 30 images are fewer than one batch of 64 and of 32, and the smoke profile's
    label fraction leaves 3 labelled images: an odd batch through ResNet18's narrow downsampling path (on an AVX-512
    CPU it once killed the kernel: helpers.core.runtime.channels_last_is_safe)."""
    root = course_run(course_runs, "byol") / "p2_data"
    tmp_path = root.parent
    metrics = json.loads((tmp_path / "reports" / "byol" / "metrics.json").read_text())
    assert set(metrics["results"]["accuracy"]) == {"A", "C", "E"}
    assert f"--input {root / 'office' / 'val.csv'} " in metrics["predict"]["command"]  # the CSV the notebook read


def test_generative_notebooks_run_on_a_face_folder(course_runs):
    """A flat folder (the course's face crops) of 14 drawn faces (build_faces), fewer than one batch of any of the three
    notebooks: gan and ddpm train without a classifier and say so, and every row of their tables has the face
    score and the label-free random-feature FID; acgan conditions on a binary attribute from a CSV (with a
    byte-order mark and CRLF ends) and reports the face score of real and generated images."""
    from PIL import Image

    tmp_path = course_run(course_runs, "face-gan")
    reports = tmp_path / "reports"
    metrics = json.loads((reports / "gan" / "metrics.json").read_text())
    samples = metrics["results"]["samples"]
    assert set(samples) == {"dcgan", "sngan", "real"}
    assert all(set(row) == {"fid_random", "face_share"} for row in samples.values())
    assert samples["real"]["face_share"] == 1.0  # every drawn face is found (tests/grading/test_faces.py)
    assert set(metrics["results"]["mode_collapse"]) == {"collapsed", "mitigated"}  # the ring needs no labels
    html = (reports / "gan" / "gan.html").read_text()
    assert "no class labels" in html and "random-feature FID" in html and "faces found" in html
    out = tmp_path / "generated"  # at the faces' own 64x64, as the course grades them (the smoke GAN makes 32x32)
    assert predict_main(["gan", "--reports", str(reports), "--output", str(out), "--n", "2", "--device", "cpu"]) == 0
    with Image.open(out / "0001.png") as image:
        assert image.size == (64, 64) and image.mode == "RGB"
    course_run(course_runs, "face-ddpm")
    samples = json.loads((reports / "ddpm" / "metrics.json").read_text())["results"]["samples"]
    assert set(samples) == {"ddpm", "dcgan", "real", "real-resampled"}
    assert "fid_classifier" not in samples["ddpm"] and samples["ddpm"]["seconds_per_100"] > 0
    assert all({"fid_random", "face_share"} <= set(row) for row in samples.values())  # dcgan: the gan notebook's row
    assert samples["real"]["face_share"] == 1.0
    course_run(course_runs, "face-acgan")
    metrics = json.loads((reports / "acgan" / "metrics.json").read_text())
    assert set(metrics["per_class_agreement"]) == {"not Smiling", "Smiling"}
    assert set(metrics["results"]["acgan"]) == {"real", "generated"}
    assert all(0 <= row["face_share"] <= 1 for row in metrics["results"]["acgan"].values())
    assert metrics["results"]["acgan"]["real"]["face_share"] == 1.0
    out = tmp_path / "acgan_out"  # both classes from the same run, at the faces' 64x64, graded as the gan's faces
    assert predict_main(["acgan", "--reports", str(reports), "--output", str(out), "--n", "2", "--device", "cpu"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["0_001.png", "0_002.png", "1_001.png", "1_002.png"]
    with Image.open(out / "1_002.png") as image:
        assert image.size == (64, 64) and image.mode == "RGB"
    scores = evaluate("acgan", out, tmp_path / "face", device="cpu")
    assert scores["face_share_real"] == 1.0 and 0 <= scores["face_share"] <= 1 and scores["fid_random"] > 0
    with pytest.raises(ValueError, match="holds colour images; TRUTH 'embedded' is the gray embedded digits"):
        evaluate("acgan", out, "embedded", device="cpu")
    with pytest.raises(Exception, match="needs the columns image_name and 'Frowning'"):
        execute_notebook("acgan", profile="smoke", data=str(tmp_path / "face"), reports_dir=reports,
                         notebooks_dir=ROOT / "notebooks", kernel="python3", progress_bar=False,
                         extra_parameters={"labels_csv": str(tmp_path / "train.csv"), "attribute": "Frowning"})

"""A notebook's other parameters from `make report PARAMS=...` (helpers/report/parameters.py)."""
import re
import shutil
from pathlib import Path

import pytest
from tests.conftest import ROOT

from helpers.report import __main__ as report_cli
from helpers.report import execute, parameters


def test_params_are_words_of_name_value_with_python_literals():
    parsed = parameters.parse_parameters("""attribute=Smiling labels_csv="my data/train.csv" epochs=5 lr=1e-3 """
                                         """settings=["A","C","E"] methods=['dcgan', 'sngan'] inception_weights=None """
                                         """pairs='["mnistm->svhn"]' latent_code=0""")
    assert parsed == {"attribute": "Smiling", "labels_csv": "my data/train.csv", "epochs": 5, "lr": 1e-3,
                      "settings": ["A", "C", "E"], "methods": ["dcgan", "sngan"], "inception_weights": None,
                      "pairs": ["mnistm->svhn"], "latent_code": 0}
    assert parameters.parse_parameters("") == parameters.parse_parameters("   ") == {}


def test_the_documented_params_examples_give_what_they_say():
    """The README's, docs/notebooks.md's and the Makefile's examples, as make hands them over."""
    assert parameters.parse_parameters('settings=["A","C","E"]') == {"settings": ["A", "C", "E"]}
    assert parameters.parse_parameters('settings=["A","C","E"] label_fraction=1.0') == {
        "settings": ["A", "C", "E"], "label_fraction": 1.0}
    assert parameters.parse_parameters("labels_csv=hw2_data/face/train.csv attribute=Smiling") == {
        "labels_csv": "hw2_data/face/train.csv", "attribute": "Smiling"}


@pytest.mark.parametrize("text, named", [("epochs", "'epochs'"), ("5=epochs", "'5=epochs'"),
                                         ("labels_csv='unclosed", "a quote is not closed"),
                                         ("settings=[\"A\"", "a bracket is not closed"),
                                         ("profile=gpu", "profile is set by make's PROFILE="),
                                         ("out_dir=/tmp/x", "REPORTS=")])
def test_a_bad_params_word_is_named(text, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        parameters.parse_parameters(text)


def test_relative_paths_are_the_callers_and_keywords_stay(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    resolved = parameters.absolute_paths({"labels_csv": "face/train.csv", "pretrained": "auto", "attribute": "Smiling",
                                       "inception_weights": None, "gan_metrics": "~/gan/metrics.json"})
    assert resolved == {"labels_csv": str(tmp_path / "face" / "train.csv"), "pretrained": "auto",
                        "attribute": "Smiling", "inception_weights": None,
                        "gan_metrics": str(Path("~/gan/metrics.json").expanduser())}
    assert parameters.absolute_paths({"pretrained": "weights/r18.pth"}) == {"pretrained": str(tmp_path / "weights" / "r18.pth")}
    assert parameters.absolute_paths({"pretrained": "r18.pth", "labels_csv": "none"}) == {
        "pretrained": str(tmp_path / "r18.pth"), "labels_csv": "none"}  # a bare word is a keyword, not a path
    (tmp_path / "labels").write_text("image,Smiling\n")
    assert parameters.absolute_paths({"labels_csv": "labels"}) == {"labels_csv": str(tmp_path / "labels")}  # it exists


def test_the_run_command_hands_params_to_papermill(tmp_path, monkeypatch, capsys):
    """What papermill is given (it is replaced here): the parsed values, paths absolute from where make ran."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "acgan.ipynb", notebooks)  # its parameters cell is what names are checked against
    given = {}

    def papermill_stand_in(source, output, *, parameters, cwd, **kwargs):
        given.update(parameters, cwd=cwd)
        Path(output).write_text("{}")

    monkeypatch.setattr(execute.papermill, "execute_notebook", papermill_stand_in)
    monkeypatch.setattr(execute, "render_html", lambda executed, html: html)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "faces").mkdir()
    (tmp_path / "face").mkdir()
    (tmp_path / "face" / "train.csv").write_text("image_name,Smiling\n")
    assert report_cli.main(["run", "acgan", "--notebooks", str(notebooks), "--reports", "out", "--data", "faces",
                            "--params", "labels_csv=face/train.csv attribute=Smiling epochs=3"]) == 0
    assert given["labels_csv"] == str(tmp_path / "face" / "train.csv") and given["data"] == str(tmp_path / "faces")
    assert given["attribute"] == "Smiling" and given["epochs"] == 3 and given["cwd"] == str(notebooks)
    assert report_cli.main(["run", "acgan", "--notebooks", str(notebooks), "--params", "epochs"]) == 2
    assert "'epochs' is not name=value" in capsys.readouterr().err
    given.clear()
    assert report_cli.main(["run", "acgan", "--notebooks", str(notebooks), "--reports", "typo",
                            "--params", "epoch=3 attribute=Smiling"]) == 1  # papermill alone would only warn
    assert "notebook acgan has no parameter epoch" in capsys.readouterr().err
    assert given == {}  # stopped before papermill: nothing of the run written, only the note for its section
    assert [p.relative_to(tmp_path / "typo") for p in (tmp_path / "typo").rglob("*")] == [Path("acgan"),
                                                                                          Path("acgan/not-started.txt")]
    # a file the notebook must find, given but missing, stops the run before it starts too (gan_metrics and
    # dann_metrics need not exist: their rows are then trained again); a keyword is not a path
    for name, words in (("acgan", "labels_csv=face/nowhere.csv"), ("gan", "inception_weights=~/no/inc.pth"),
                        ("classification", "pretrained=weights/r18.pth")):
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", notebooks)
        assert report_cli.main(["run", name, "--notebooks", str(notebooks), "--reports", "typo", "--params", words]) == 1
        assert f"notebook {name} not run: {words}: no such file or folder" in capsys.readouterr().err
    assert given == {}
    assert report_cli.main(["run", "classification", "--notebooks", str(notebooks), "--reports", "out",
                            "--params", "pretrained=none"]) == 0 and given["pretrained"] == "none"

"""metrics.json, the per-notebook HTML and the combined report."""
import json
import re

import nbformat
import pytest
import torch

from helpers.report.combine import build_report, ordered, results_table
from helpers.report.metrics import read_metrics, write_metrics
from helpers.report.render import render_html

PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def write(out_dir, results=None):
    return write_metrics(out_dir, notebook=out_dir.name, profile="smoke", data="embedded", params={"seed": 0},
                         results=results or {"accuracy": {"dann": {"a->b": 0.5}}}, timings={"total_s": 1.5},
                         device=torch.device("cpu"))


def executed_notebook(path, title, failed=False):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nText."),
                nbformat.v4.new_code_cell("make_figure()")]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="progress 50%|#####"),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                               metadata={"image/png": {"alt": f"{title}: accuracy against epoch"}}),
    ]
    if failed:
        nb.metadata.papermill = {"exception": True}
        nb.cells[1].outputs.append(nbformat.v4.new_output("error", ename="ValueError", evalue="epochs=-1 is out of range",
                                                          traceback=[]))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_metrics_file_holds_the_contract(tmp_path):
    path = write(tmp_path / "dann")
    document = read_metrics(path)
    assert document["results"]["accuracy"]["dann"]["a->b"] == 0.5
    assert document["timings"]["total_s"] == 1.5
    assert {"versions", "device", "git_commit"} <= set(document["env"])
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]  # no temporary file left


@pytest.mark.parametrize("fails_in", ["write_text", "os.replace"])
def test_a_metrics_write_that_fails_halfway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, fails_in):
    import os
    from pathlib import Path

    path = write(tmp_path / "dann")
    old = path.read_text()
    write_text = Path.write_text

    def fail(*args, **kwargs):
        if fails_in == "write_text":
            write_text(args[0], args[1][: len(args[1]) // 2])  # half written, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(*((Path, "write_text") if fails_in == "write_text" else (os, "replace")), fail)
    with pytest.raises(OSError, match="No space left"):
        write(tmp_path / "dann", {"accuracy": {"dann": {"a->b": 0.9}}})
    monkeypatch.undo()
    assert path.read_text() == old and read_metrics(path)["results"]["accuracy"]["dann"]["a->b"] == 0.5
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]


@pytest.mark.parametrize("results", [{"accuracy": {"dann": {"a->b": float("nan")}}}, {"accuracy": 0.5},
                                     {"accuracy": {"dann": 0.5}}])
def test_malformed_results_are_refused(tmp_path, results):
    with pytest.raises(ValueError, match="results"):
        write(tmp_path / "dann", results)


def test_standalone_html_hides_progress_output(tmp_path):
    executed_notebook(tmp_path / "nb.ipynb", "Domain adaptation")
    page = render_html(tmp_path / "nb.ipynb", tmp_path / "nb.html").read_text()
    assert "Domain adaptation" in page and "data:image/png;base64" in page
    assert "progress 50%" not in page and "make_figure()" not in page


def test_the_figures_keep_their_text_alternative_in_both_pages(tmp_path):
    """nbconvert's lab template drops an image's alt metadata; ours (lab-alt) writes it, as the combined page does."""
    executed_notebook(tmp_path / "dann" / "dann.ipynb", "Domain adaptation")
    write(tmp_path / "dann")
    standalone = render_html(tmp_path / "dann" / "dann.ipynb", tmp_path / "nb.html").read_text()
    combined = build_report(tmp_path, ["dann"]).read_text()
    for page in (standalone, combined):
        assert re.search(r"<img alt=[\"']Domain adaptation: accuracy against epoch[\"'][^>]* src=[\"']data:image/png",
                         page)
        assert "No description has been provided" not in page


def test_combined_report_is_self_contained_with_contents_summary_and_failures(tmp_path):
    executed_notebook(tmp_path / "dann" / "dann.ipynb", "Domain adaptation with DANN")
    write(tmp_path / "dann")
    executed_notebook(tmp_path / "gan" / "gan.ipynb", "GANs", failed=True)
    page = build_report(tmp_path, ["dann", "gan", "byol"]).read_text()
    assert page.index("id='gan'") < page.index("id='dann'") < page.index("id='byol'")  # course order
    assert "href='#dann'>Domain adaptation with DANN" in page
    assert re.search(r"<td>a-&gt;b</td>|<th[^>]*>a-&gt;b</th>", page) and "<td>0.5</td>" in page
    named = results_table({"samples": {"dcgan": {"fid_classifier": 6.06, "recognised": 0.834}}})
    assert "<th scope='col' title='fid_classifier'>classifier FID (lower is better)</th>" in named
    assert "<td>6.06</td>" in named
    # a caption and headers a screen reader announces: what the rows are, and each row's name
    assert "<caption>samples</caption><thead><tr><th scope='col'>images</th>" in named
    assert "<tr><th scope='row'>dcgan</th><td>6.06</td>" in named
    assert "<th scope='col'>setting</th>" in results_table({"accuracy": {"A": {"validation": 0.3}}}, "byol")
    assert "<th scope='col'>method</th>" in results_table({"accuracy": {"dann": {"a->b": 0.5}}}, "dann")
    assert "This notebook failed: ValueError: epochs=-1 is out of range" in page
    assert "Not run" in page  # byol has no executed notebook
    assert not re.search(r"""(src|href)=["']https?://""", page)  # nothing loaded from the network
    metrics = json.loads(re.search(r'id="metrics">(.*?)</script>', page, re.S).group(1).replace("&quot;", '"'))
    assert set(metrics) == {"dann"}


def test_a_damaged_notebook_or_metrics_json_shows_its_error_while_the_others_render(tmp_path, capsys):
    from helpers.report.__main__ import main

    executed_notebook(tmp_path / "dann" / "dann.ipynb", "Domain adaptation with DANN")
    write(tmp_path / "dann")
    (tmp_path / "gan").mkdir()
    (tmp_path / "gan" / "gan.ipynb").write_text('{"cells": [{"cell_type": "mark')  # cut off mid-write
    executed_notebook(tmp_path / "byol" / "byol.ipynb", "BYOL")
    (tmp_path / "byol" / "metrics.json").write_text("{not json")
    assert main(["combine", "--reports", str(tmp_path), "dann", "gan", "byol"]) == 1
    err = capsys.readouterr().err
    assert "gan.ipynb" in err and "byol/metrics.json" in err
    page = (tmp_path / "report.html").read_text()
    assert "href='#dann'>Domain adaptation with DANN" in page and "<td>0.5</td>" in page  # the others render
    gan = page[page.index("id='gan'"):page.index("id='dann'")]
    assert re.search(r"could not be read: \S*gan/gan\.ipynb \(\w*(JSON|Json)\w*Error", gan)
    byol = page[page.index("id='byol'"):]
    assert re.search(r"could not be read: \S*byol/metrics\.json \(JSONDecodeError", byol)
    assert "data:image/png;base64" in byol  # its notebook still shows
    metrics = json.loads(re.search(r'id="metrics">(.*?)</script>', page, re.S).group(1).replace("&quot;", '"'))
    assert set(metrics) == {"dann"}


def test_a_run_removes_the_previous_html_and_metrics_before_it_starts_and_keeps_checkpoints(tmp_path, monkeypatch):
    import helpers.report.execute as execute

    (tmp_path / "notebooks").mkdir()
    executed_notebook(tmp_path / "notebooks" / "dann.ipynb", "DANN")
    out = tmp_path / "reports" / "dann"
    write(out)
    (out / "dann.html").write_text("the previous run")
    (out / "checkpoints").mkdir()
    (out / "checkpoints" / "dann.pt").write_bytes(b"resume from here")
    seen = []

    def killed(source, partial, **_):  # what a run killed outright (SIGKILL, out of memory) leaves behind
        seen.extend(sorted(str(p.relative_to(out)) for p in out.rglob("*")))
        raise KeyboardInterrupt

    monkeypatch.setattr(execute.papermill, "execute_notebook", killed)
    with pytest.raises(KeyboardInterrupt):
        execute.execute_notebook("dann", reports_dir=tmp_path / "reports", notebooks_dir=tmp_path / "notebooks")
    assert seen == ["checkpoints", "checkpoints/dann.pt"]  # nothing of the previous run looks current while it runs
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["checkpoints", "checkpoints/dann.pt"]


def test_a_run_refused_before_it_starts_keeps_the_earlier_results_and_its_section_says_so(tmp_path, monkeypatch,
                                                                                          capsys):
    """A PARAMS name dann does not have, or a DATA folder that does not exist: nothing runs, the earlier run's
    notebook, page and metrics stay (predict still finds its checkpoint), and the combined report says that the
    last run did not start. (Before, the missing DATA removed the earlier page and metrics, and the unknown name
    pointed at the earlier notebook for "the full traceback" while the report showed the earlier results as this
    run's.) A run that starts clears the note."""
    import shutil

    import helpers.report.execute as execute
    from helpers.report.__main__ import main
    from tests.conftest import ROOT

    notebooks, reports = tmp_path / "notebooks", tmp_path / "reports"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "dann.ipynb", notebooks)  # its parameters cell is what names are checked against
    out = reports / "dann"
    executed_notebook(out / "dann.ipynb", "Domain adaptation with DANN")
    write(out)
    (out / "dann.html").write_text("the earlier run")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    run = ["run", "dann", "--notebooks", str(notebooks), "--reports", str(reports)]
    for args, message in ((["--params", "epoch=3"], "notebook dann has no parameter epoch"),
                          (["--data", str(tmp_path / "nowhere")], f"DATA {tmp_path / 'nowhere'}: no such folder")):
        assert main(run + args) == 1
        err = capsys.readouterr().err
        assert f"notebook dann not run: {message}" in err and f"earlier results in {out} are left as they" in err
        assert "full traceback" not in err
        assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != "not-started.txt"} == before
        assert main(["combine", "--reports", str(reports), "dann"]) == 0
        page = (reports / "report.html").read_text()
        assert f"Its last run did not start: {message}" in page and "Below: its results from before." in page
        assert "<td>0.5</td>" in page  # the earlier results, still shown
    monkeypatch.setattr(execute.papermill, "execute_notebook",
                        lambda source, partial, **_: shutil.copy(out / "dann.ipynb", partial))
    monkeypatch.setattr(execute, "render_html", lambda executed, html: html)
    assert main(run) == 0
    assert not (out / "not-started.txt").exists()


def test_unknown_notebooks_follow_the_course_order():
    assert ordered(["zeta", "dann", "gan", "alpha"]) == ["gan", "dann", "alpha", "zeta"]


def test_results_are_shown_beside_the_reference_reports(tmp_path):
    from helpers.report.references import beside_references, load_references

    references = load_references()
    assert all(r.source for r in references)
    embedded = {"dann": {"data": "embedded", "results": {"accuracy": {"dann": {"digits-m->digits-s": 0.61}}}}}
    [row, missing] = [r for r in beside_references(embedded, references) if r["notebook"] == "dann"]
    assert row["result"] == "accuracy / dann / digits-m->digits-s (stands in for mnistm->svhn)"
    assert row["ours"] == 0.61 and row["reference"] == 0.494
    assert not row["comparable"] and missing["ours"] is None  # mnistm->usps was not run
    course = {"dann": {"data": "/data/digits", "results": {"accuracy": {"dann": {"mnistm->usps": 0.9}}}}}
    assert [r["comparable"] for r in beside_references(course, references)] == [True, True]
    assert [r["result"] for r in beside_references(course, references)][1] == "accuracy / dann / mnistm->usps"


def test_every_reference_finds_our_number_in_a_real_run(smoke_reports):
    """Each references.csv row names a table, row and column its notebook writes (the smoke runs' metrics.json);
    only the Inception FID is missing there (no weights offline)."""
    from helpers.report.references import beside_references, load_references

    reports, _ = smoke_reports
    metrics = {name: json.loads((reports / name / "metrics.json").read_text())
               for name in {r.notebook for r in load_references()}}
    rows = beside_references(metrics)
    assert len(rows) == len(load_references())
    assert [r["result"] for r in rows if r["ours"] is None] == ["samples / dcgan / fid_inception"]


def test_earlier_results_are_reused_only_with_the_same_settings(tmp_path):
    from helpers.report.metrics import earlier_results

    path = write(tmp_path / "dann")
    same = {"profile": "smoke", "data": "embedded", "seed": 0}
    assert earlier_results(path, table="accuracy", row="dann", same=same) == {"a->b": 0.5}
    assert earlier_results(path, table="accuracy", row="dann", same={**same, "profile": "cpu"}) is None
    assert earlier_results(path, table="accuracy", row="dann", same={**same, "seed": 1}) is None
    assert earlier_results(tmp_path / "missing.json", table="accuracy", row="dann", same=same) is None


def test_combine_keeps_the_sections_earlier_runs_left_and_says_which_they_are(tmp_path, capsys):
    """A course-data report is made one problem family at a time (each its own DATA): `make report
    NOTEBOOKS=byol DATA=hw1_data` after `NOTEBOOKS="dann adda" DATA=hw2_data/digits` keeps dann's section."""
    from helpers.report.__main__ import main

    executed_notebook(tmp_path / "dann" / "dann.ipynb", "Domain adaptation with DANN")
    write(tmp_path / "dann")
    executed_notebook(tmp_path / "byol" / "byol.ipynb", "BYOL")
    write(tmp_path / "byol", {"accuracy": {"A": {"validation": 0.25}}})
    (tmp_path / "figures").mkdir()  # not a section: no figures/figures.ipynb
    (tmp_path / "gan").mkdir()  # a folder without an executed notebook is not a section either
    assert main(["combine", "--reports", str(tmp_path), "byol"]) == 0
    page = (tmp_path / "report.html").read_text()
    assert page.index("id='dann'") < page.index("id='byol'") and "id='gan'" not in page and "id='figures'" not in page
    assert "2 of 2 notebooks with results" in page
    assert "This run: byol. From earlier runs, as they were left in the reports folder: dann" in page
    metrics = json.loads(re.search(r'id="metrics">(.*?)</script>', page, re.S).group(1).replace("&quot;", '"'))
    assert set(metrics) == {"dann", "byol"}
    assert main(["combine", "--reports", str(tmp_path), "byol", "--only"]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "id='dann'" not in page and "From earlier runs" not in page
    (tmp_path / "gan" / "gan.ipynb").write_text('{"cells": [{"cell_type": "mark')  # an earlier run cut off mid-write
    capsys.readouterr()
    assert main(["combine", "--reports", str(tmp_path), "byol"]) == 0  # not this run's: it does not fail it
    assert "an earlier run's section could not be read" in capsys.readouterr().err
    gan = (tmp_path / "report.html").read_text().split("id='gan'")[1]
    assert f"or remove {tmp_path / 'gan' / 'gan.ipynb'} and {tmp_path / 'gan' / 'gan.html'} to leave it out" in gan
    assert main(["combine", "--reports", str(tmp_path), "byol", "gan"]) == 1  # named in this run: it does

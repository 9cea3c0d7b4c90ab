"""python -m helpers.report results: the README's results table from metrics.json files."""
import json

from helpers.report.__main__ import main
from helpers.report.results import key_figures, results_table


def write(reports, name, results, seconds=12.3):
    (reports / name).mkdir(parents=True)
    (reports / name / "metrics.json").write_text(json.dumps(
        {"notebook": name, "profile": "cpu", "data": "embedded", "results": results, "timings": {"total_s": seconds}}))


def test_table_has_a_row_per_notebook_in_course_order_with_its_figures(tmp_path):
    write(tmp_path, "dann", {"accuracy": {"source-only": {"m->s": 0.25}, "dann": {"m->s": 0.4432, "m->u": 0.9}}})
    write(tmp_path, "gan", {"samples": {"dcgan": {"fid_classifier": 6.07, "recognised": 0.834},
                                        "real": {"fid_classifier": 3.34}}}, seconds=313)
    (tmp_path / "_judge").mkdir()
    table = results_table(tmp_path).splitlines()
    assert table[0].startswith("| notebook |") and len(table) == 4
    assert table[2] == ("| gan | cpu, embedded | 313 | DCGAN classifier FID 6.07; real-vs-real floor 3.34; "
                        "DCGAN recognised 83.4% |")
    assert table[3] == "| dann | cpu, embedded | 12 | source-only m->s 25.0%; DANN m->s 44.3%; DANN m->u 90.0% |"


def test_a_missing_figure_is_left_out_and_a_damaged_file_is_named(tmp_path):
    assert key_figures("byol", {"results": {"accuracy": {"A": {"validation": 0.35}}}}) == ["setting A 35.0%"]
    (tmp_path / "acgan").mkdir()
    (tmp_path / "acgan" / "metrics.json").write_text("{not json")
    assert "unreadable" in results_table(tmp_path) and "acgan/metrics.json" in results_table(tmp_path)


def test_the_command_prints_the_table_or_says_there_is_no_run(tmp_path, capsys):
    assert main(["results", "--reports", str(tmp_path)]) == 1
    assert "run `make report` first" in capsys.readouterr().err
    write(tmp_path, "acgan", {"acgan": {"generated": {"label_agreement": 0.931}}})
    assert main(["results", "--reports", str(tmp_path)]) == 0
    assert "label agreement 93.1%" in capsys.readouterr().out


def test_a_face_folders_run_has_its_label_free_figures():
    """gan on a flat folder has no classifier FID: its figures are the random-feature FID beside its floor and the
    face score beside the real images' (never an empty cell)."""
    samples = {"dcgan": {"fid_random": 4.73, "face_share": 0.355}, "real": {"fid_random": 2.67, "face_share": 1.0}}
    assert key_figures("gan", {"results": {"samples": samples}}) == [
        "DCGAN random-feature FID 4.73", "its real-vs-real floor 2.67", "DCGAN faces found 35.5%",
        "real faces found 100.0%"]


def test_the_gan_figures_end_with_the_modes_each_mode_collapse_run_covers():
    collapse = {"collapsed": {"modes": 1.0, "high_quality": 0.012}, "mitigated": {"modes": 8.0, "high_quality": 0.75}}
    figures = key_figures("gan", {"results": {"samples": {"dcgan": {"fid_classifier": 6.06}}, "mode_collapse": collapse}})
    assert figures == ["DCGAN classifier FID 6.06", "modes covered (of 8): collapsing GAN 1", "PacGAN 8"]

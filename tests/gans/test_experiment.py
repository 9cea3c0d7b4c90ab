"""helpers/gans/experiment.py: the gan notebook's samples table, and the DCGAN row the DDPM notebook takes from it."""
import pytest
import torch

from helpers.core.config import as_dict, make_config
from helpers.core.images import ImageSet, to_float
from helpers.diffusion.config import DdpmConfig
from helpers.gans.config import GanConfig
from helpers.gans.experiment import dcgan_row, grade_samples
from helpers.grading.judge import Judge, JudgeNet
from helpers.report.metrics import write_metrics

LABELLED = {"fid_classifier", "recognised", "between_digits", "diversity", "fid_random"}


def images(n, seed):
    gen = torch.Generator().manual_seed(seed)
    return ImageSet(torch.randint(0, 256, (n, 1, 32, 32), generator=gen, dtype=torch.uint8), torch.arange(n) % 10,
                    "digits")


def tiny_judge():
    torch.manual_seed(0)
    return Judge(JudgeNet(1, 32).eval(), 1, 32, 0.5, torch.device("cpu"))


def test_every_row_of_the_samples_table_has_the_diversity_column(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # no Inception weights: no fid_inception column
    train, reference = images(40, 0), to_float(images(20, 1).images)
    samples = {"dcgan": to_float(images(20, 2).images), "sngan": to_float(images(20, 3).images)}
    table = grade_samples(samples, train, reference, tiny_judge(), eval_samples=20, seed=0, device="cpu")
    assert list(table) == ["dcgan", "sngan", "real"]
    assert all(set(row) == LABELLED for row in table.values()), table
    assert 0.0 <= table["dcgan"]["diversity"] <= 2.31
    # without class labels (no judge) only the label-free column is left
    table = grade_samples(samples, train, reference, None, eval_samples=20, seed=0, device="cpu")
    assert all(set(row) == {"fid_random"} for row in table.values())


def test_a_gan_row_without_diversity_is_not_reused_where_the_ddpm_table_has_the_column(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    train, reference = images(64, 0), to_float(images(16, 1).images)
    config = make_config(DdpmConfig, "smoke")
    gan_metrics = tmp_path / "gan" / "metrics.json"
    common = dict(judge=tiny_judge(), profile="smoke", data="embedded", seed=0, copies=config.data_copies,
                  eval_samples=config.eval_samples, device="cpu", gan_metrics=gan_metrics,
                  checkpoint_dir=tmp_path / "checkpoints")

    def gan_run(row):
        write_metrics(gan_metrics.parent, notebook="gan", profile="smoke", data="embedded", device=torch.device("cpu"),
                      params={"seed": 0, **as_dict(make_config(GanConfig, "smoke", {
                          "image_size": 32, "copies": config.data_copies, "eval_samples": config.eval_samples}))},
                      timings={"total_s": 1.0}, results={"samples": {"dcgan": row}})

    graded = {"fid_classifier": 1.25, "recognised": 0.5, "between_digits": 0.1, "diversity": 2.0, "fid_random": 3.0}
    gan_run(graded)
    row, samples, source = dcgan_row(train, reference, **common)
    assert source.startswith("reused from") and row == graded and samples is None
    gan_run({k: v for k, v in graded.items() if k != "diversity"})  # a gan notebook run from before it graded it
    row, samples, source = dcgan_row(train, reference, **common)
    assert "trained here" in source and LABELLED <= set(row) and samples is not None


def test_an_acgan_on_the_same_faces_with_another_attribute_trains_anew(tmp_path):
    """Every folder of the course's faces is called `train`: the checkpoint is named by the images and labels, so
    attribute=Male after attribute=Smiling does not resume Smiling's generator (and label its classes Male)."""
    from helpers.gans.acgan import acgan_checkpoint
    from helpers.gans.config import AcganConfig

    config = make_config(AcganConfig, "smoke")
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    smiling = ImageSet(images, torch.tensor([0, 1] * 4), "train")
    male = ImageSet(images, torch.tensor([1, 1, 0, 0] * 2), "train")
    other_faces = ImageSet(images.flip(0), smiling.labels, "train")
    paths = {acgan_checkpoint(tmp_path, config, 0, data, 2) for data in (smiling, male, other_faces)}
    assert len(paths) == 3
    assert acgan_checkpoint(tmp_path, config, 0, smiling, 2) == acgan_checkpoint(tmp_path, config, 0, ImageSet(
        images.clone(), smiling.labels.clone(), "train"), 2)  # the same data, the same checkpoint: a re-run resumes


def test_a_gan_on_other_faces_of_the_same_name_and_count_trains_anew(tmp_path):
    """Two face folders both called `train` with as many images: the checkpoint is named by the images."""
    from helpers.gans.config import GanConfig
    from helpers.gans.experiment import gan_checkpoint
    from helpers.gans.methods import build_gan

    config = make_config(GanConfig, "smoke")
    gan = build_gan("dcgan", config, 3, "cpu")
    faces = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    labels = torch.zeros(8, dtype=torch.long)
    paths = [gan_checkpoint(tmp_path, "dcgan", config, 2, 0, ImageSet(images, labels, "train"), gan)
             for images in (faces, faces.clone(), 255 - faces)]
    assert paths[0] == paths[1] != paths[2]


@pytest.mark.parametrize("threads, workers", [(1, 0), (2, 2)])
def test_jobs_train_in_worker_processes_only_with_a_thread_for_each(tmp_path, monkeypatch, torch_threads, threads,
                                                                    workers):
    """Beside another notebook's kernel (OMP_NUM_THREADS=1) two workers of 'half a thread' each only added their
    start-up: the gan notebook's training took 19 s in the smoke fixture."""
    from functools import partial

    from helpers.gans import experiment
    from helpers.gans.methods import build_gan

    started = []
    real = experiment.in_processes
    monkeypatch.setattr(experiment, "in_processes", lambda calls, processes: started.append(processes) or
                        real(calls, processes))
    config = make_config(GanConfig, "smoke", {"image_size": 16, "eval_samples": 20})
    images = ImageSet(torch.randint(0, 256, (16, 1, 16, 16), dtype=torch.uint8), torch.zeros(16, dtype=torch.long),
                      "noise")
    jobs = {name: experiment.GanJob(partial(build_gan, name, config, 1, "cpu"), 1, "noise")
            for name in ("dcgan", "sngan")}
    torch_threads(threads)
    runs = experiment.run_gans(jobs, images, config, device="cpu", seed=0, checkpoint_dir=tmp_path, processes=2)
    assert started == ([workers] if workers else []) and set(runs) == {"dcgan", "sngan"}

"""helpers.predict / helpers.evaluate for gan, acgan, ddpm and conditional_diffusion: each notebook's number, computed
with the notebook's own functions, equals the one graded from the files that predict writes."""
from pathlib import Path

import pytest
import torch
from PIL import Image

from helpers.core.config import make_config
from helpers.core.images import as_uint8, to_float
from helpers.core.runtime import derive_seed
from helpers.data import EMBEDDED, load_domains
from helpers.deliverables.files import save_image
from helpers.deliverables.record import DeliverableError
from helpers.diffusion.analysis import for_judge, per_digit
from helpers.diffusion.config import ConditionalDiffusionConfig, DdpmConfig
from helpers.diffusion.deliverable import conditional_record, ddpm_record
from helpers.diffusion.experiment import digit_labels, generate, resize, train_diffusion
from helpers.evaluate import evaluate
from helpers.gans.acgan import build_acgan, class_balanced_samples, run_acgan
from helpers.gans.config import AcganConfig, GanConfig
from helpers.gans.data import load_gan_data
from helpers.gans.deliverable import acgan_record, gan_record
from helpers.gans.experiment import run_gan
from helpers.gans.methods import build_gan
from helpers.grading.judge import JUDGE_STEPS, judge_if_labelled, label_agreement, load_judge
from helpers.grading.measures import grade as ddpm_grade, grade as gan_grade
from helpers.predict import main, predict
from tests.grading.test_faces import drawn_faces

JUDGE_CACHE = Path("reports") / "_judge"  # where the notebooks (from the repository root) and evaluate find it


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A repository-like folder as the working directory, the smoke profile with a judge of a few steps (its
    numbers only need to be the same on both sides), and no Inception weights."""
    root = tmp_path_factory.mktemp("deliverables")
    patch = pytest.MonkeyPatch()
    patch.setitem(JUDGE_STEPS, "smoke", 8)
    patch.chdir(root)
    patch.setenv("DLCV_PROFILE", "smoke")
    patch.setenv("TORCH_HOME", str(root / "torch"))
    yield root
    patch.undo()


@pytest.fixture(scope="module")
def digits(workdir):
    """The GAN and DDPM notebooks' data at 32x32 (smoke: one rendering per digit), its judge and reference."""
    config = make_config(GanConfig, "smoke", {"methods": ("dcgan",)})
    domain = load_gan_data(EMBEDDED, size=config.image_size, copies=config.copies, seed=0)
    judge = judge_if_labelled(domain.train, domain.test, cache_dir=JUDGE_CACHE, device="cpu", seed=0, profile="smoke")
    return config, domain, judge, to_float(domain.test.images)


@pytest.fixture(scope="module")
def gan(workdir, digits):
    config, domain, judge, _ = digits
    dcgan = build_gan("dcgan", config, domain.train.channels, "cpu")
    return run_gan("dcgan", domain.train, config, device="cpu", seed=0, checkpoint_dir=workdir / "checkpoints",
                   judge=judge, gan=dcgan, deliverable=gan_record("dcgan", dcgan, data=EMBEDDED))


def test_gan_images_graded_from_files_give_the_notebooks_fid(workdir, digits, gan):
    config, _, judge, reference = digits
    table_row = gan_grade(gan.samples, reference, judge, device="cpu")  # the notebook's FID table row
    out = predict("gan", checkpoint=gan.checkpoint, input=None, output=workdir / "gan_out", n=config.eval_samples,
                  seed=derive_seed(0, "samples"), batch_size=500, device="cpu")
    files = sorted(out.iterdir())
    assert [f.name for f in files[:2]] == ["0000.png", "0001.png"] and len(files) == config.eval_samples
    with Image.open(files[0]) as image:
        assert image.mode == "L" and image.size == (32, 32)
    scores = evaluate("gan", out, EMBEDDED, device="cpu")
    assert scores["fid_classifier"] == table_row["fid_classifier"]
    assert scores["recognised"] == table_row["recognised"]
    assert scores["fid_random"] == table_row["fid_random"]  # the label-free column, also on digits
    assert scores["fid_random_floor"] < scores["fid_random"] and "face_share" not in scores  # gray: no face score
    assert scores["fid_inception"] is None and scores["images"] == config.eval_samples  # no weights here
    # TRUTH may be a folder of the real images instead: the same held-out digits give the same number.
    truth = workdir / "held_out"
    truth.mkdir()
    for i, image in enumerate(digits[1].test.images):
        save_image(image, truth / f"{i:04d}.png")
    assert evaluate("gan", out, truth, device="cpu")["fid_classifier"] == table_row["fid_classifier"]
    # On a machine whose own profile is another, --profile names the notebook's, whose classifier gave the table
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLCV_PROFILE", "cpu")
        assert evaluate("gan", out, EMBEDDED, device="cpu", profile="smoke") == scores
    with pytest.raises(DeliverableError, match="--profile: unknown profile 'fast'"):
        evaluate("gan", out, EMBEDDED, device="cpu", profile="fast")


def test_gan_predict_refuses_a_filled_output_and_overwrites_when_asked(workdir, gan):
    out = workdir / "filled"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(DeliverableError, match="exists and is not empty.*--overwrite"):
        predict("gan", checkpoint=gan.checkpoint, input=None, output=out, n=3)
    with pytest.raises(DeliverableError, match="keep.txt is not"):  # not predict's: --overwrite leaves it
        predict("gan", checkpoint=gan.checkpoint, input=None, output=out, n=3, overwrite=True)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    (out / "keep.txt").rename(out / "0007.png")  # an earlier prediction is replaced
    predict("gan", checkpoint=gan.checkpoint, input=None, output=out, n=3, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["0000.png", "0001.png", "0002.png"]
    assert not [p for p in workdir.iterdir() if p.name.startswith(".filled")]  # no staging folder left


def test_the_cli_refuses_another_problems_checkpoint_with_exit_code_2(workdir, gan, capsys):
    assert main(["ddpm", "--checkpoint", str(gan.checkpoint), "--output", str(workdir / "x")]) == 2
    assert "is a checkpoint of 'gan', not 'ddpm'" in capsys.readouterr().err
    assert not (workdir / "x").exists()


def test_evaluate_images_refuses_colour_against_embedded_digits_and_an_empty_folder(workdir, digits):
    colour = workdir / "colour"
    colour.mkdir()
    for i in range(3):
        save_image(torch.zeros(3, 32, 32, dtype=torch.uint8), colour / f"{i}.png")
    with pytest.raises(DeliverableError, match="colour images; TRUTH 'embedded'"):
        evaluate("gan", colour, EMBEDDED, device="cpu")
    # A colour folder against a colour folder: no digit classifier, and no Inception weights here; too few images
    # for two halves of TRUTH (the floor), and no face in black images.
    assert evaluate("ddpm", colour, colour, device="cpu") == {
        "fid_classifier": None, "recognised": None, "fid_inception": None, "fid_random": 0.0,
        "fid_random_floor": None, "face_share": 0.0, "face_share_real": 0.0, "images": 3.0}
    empty = workdir / "empty"
    empty.mkdir()
    with pytest.raises(DeliverableError, match="PRED .*no images"):
        evaluate("gan", empty, EMBEDDED, device="cpu")


@pytest.fixture(scope="module")
def ddpm(workdir, digits):
    config = make_config(DdpmConfig, "smoke", {"fid_sampler": "ddim-10"})  # the notebook's parameter, fewer steps
    train = digits[1].train.subset(torch.arange(128))
    trained = train_diffusion(config, train, conditional=False, name="DDPM", checkpoint_dir=workdir, data=EMBEDDED,
                              deliverable=ddpm_record(config, train.channels, data=EMBEDDED))
    return config, trained, trained.checkpoint


def test_ddpm_images_graded_from_files_give_the_notebooks_fid(workdir, digits, ddpm):
    _, _, judge, reference = digits
    config, trained, checkpoint = ddpm
    seed, n = derive_seed(0, "fid"), 40
    graded, _, _ = generate(trained, n, sampler=config.fid_sampler, batch_size=config.sample_batch, seed=seed)
    graded = to_float(as_uint8(resize(graded, config.data_image_size)))  # as the notebook does
    row = ddpm_grade(graded, reference, judge, device="cpu")
    out = predict("ddpm", checkpoint=checkpoint, input=None, output=workdir / "ddpm_out", n=n, seed=seed,
                  batch_size=config.sample_batch, device="cpu")
    with Image.open(out / "0000.png") as image:
        assert image.mode == "L" and image.size == (32, 32)  # the data's size, not the UNet's 12x12
    scores = evaluate("ddpm", out, EMBEDDED, device="cpu")
    assert scores["fid_classifier"] == row["fid_classifier"] and scores["recognised"] == row["recognised"]


def test_ddpm_steps_override_the_sampler_and_bad_steps_are_refused(workdir, ddpm):
    checkpoint = ddpm[2]
    out = predict("ddpm", checkpoint=checkpoint, input=None, output=workdir / "ddim5", n=2, steps=5)
    assert len(list(out.glob("*.png"))) == 2
    with pytest.raises(DeliverableError, match="--steps 0"):
        predict("ddpm", checkpoint=checkpoint, input=None, output=workdir / "ddim0", n=2, steps=0)
    assert not (workdir / "ddim0").exists()


@pytest.fixture(scope="module")
def conditional(workdir):
    config = make_config(ConditionalDiffusionConfig, "smoke", {"sampler": "ddim-10"})  # the notebook's parameter
    domain = load_domains(EMBEDDED, ["digits-m"], seed=0, size=config.judge_size, copies=config.copies)["digits-m"]
    judge = load_judge(domain.train, cache_dir=JUDGE_CACHE, device="cpu", seed=0, profile="smoke",
                       held_out=domain.test)
    train = domain.train.subset(torch.arange(128))
    trained = train_diffusion(config, train, conditional=True, name="conditional DDPM",
                              checkpoint_dir=workdir, data=EMBEDDED,
                              deliverable=conditional_record(config, train.channels, data=EMBEDDED))
    return config, judge, trained, trained.checkpoint


def test_conditional_label_agreement_from_files_is_the_notebooks(workdir, conditional):
    config, judge, trained, checkpoint = conditional
    seed, k = derive_seed(0, "grid"), 3
    labels = digit_labels(k)
    images, _, _ = generate(trained, len(labels), sampler=config.sampler, labels=labels, w=config.w,
                            batch_size=config.sample_batch, seed=seed)
    images = to_float(as_uint8(for_judge(images, judge)))  # as the notebook does
    table = per_digit(judge, images, labels)
    out = predict("conditional_diffusion", checkpoint=checkpoint, input=None, output=workdir / "cond_out", n=k,
                  seed=seed, batch_size=config.sample_batch, device="cpu")
    names = sorted(p.name for p in out.iterdir())
    assert names[:4] == ["0_001.png", "0_002.png", "0_003.png", "1_001.png"] and len(names) == 10 * k
    with Image.open(out / "3_003.png") as image:
        assert image.mode == "RGB" and image.size == (config.judge_size,) * 2
    scores = evaluate("conditional_diffusion", out, EMBEDDED, device="cpu")
    assert scores["label_agreement"] == table["overall"]["accuracy"]
    assert {d: scores[f"digit_{d}"] for d in range(10)} == {d: table[str(d)]["accuracy"] for d in range(10)}
    assert scores["images"] == 10 * k


def test_conditional_refusals_bad_guidance_bad_names_bad_truth(workdir, conditional):
    checkpoint = conditional[3]
    with pytest.raises(DeliverableError, match="--guidance -1"):
        predict("conditional_diffusion", checkpoint=checkpoint, input=None, output=workdir / "g", n=1, guidance=-1.0)
    with pytest.raises(DeliverableError, match="generates from noise and takes no --input"):
        predict("conditional_diffusion", checkpoint=checkpoint, input=workdir, output=workdir / "g", n=1)
    named = workdir / "badly_named"
    named.mkdir()
    save_image(torch.zeros(3, 12, 12, dtype=torch.uint8), named / "0_001.png")
    save_image(torch.zeros(3, 12, 12, dtype=torch.uint8), named / "sample7.png")
    with pytest.raises(DeliverableError, match=r"sample7\.png is not named <digit>_<idx>\.png"):
        evaluate("conditional_diffusion", named, EMBEDDED, device="cpu")
    (named / "sample7.png").write_bytes(b"not a png")
    (named / "sample7.png").rename(named / "1_001.png")
    with pytest.raises(DeliverableError, match=r"1_001\.png does not decode"):
        evaluate("conditional_diffusion", named, EMBEDDED, device="cpu")
    (named / "1_001.png").unlink()
    with pytest.raises(DeliverableError, match="course's digits folder with mnistm"):
        evaluate("conditional_diffusion", named, workdir / "nowhere", device="cpu")


@pytest.fixture(scope="module")
def acgan(workdir):
    """The acgan notebook's generator (smoke) on the embedded digits, with the record the notebook stores."""
    config = make_config(AcganConfig, "smoke")
    domain = load_gan_data(EMBEDDED, size=config.image_size, copies=config.copies, seed=0)
    model = build_acgan(config, domain.train.channels, 10, "cpu")
    _, checkpoint = run_acgan(model, domain.train, config, device="cpu", seed=0, checkpoint_dir=workdir / "acgan",
                              deliverable=acgan_record(model, data=EMBEDDED, class_names=[str(d) for d in range(10)]))
    judge = load_judge(domain.train, cache_dir=JUDGE_CACHE, device="cpu", seed=0, profile="smoke", held_out=domain.test)
    return model, checkpoint, judge


def test_acgan_label_agreement_from_files_is_the_notebooks(workdir, acgan):
    model, checkpoint, judge = acgan
    generated, wanted = class_balanced_samples(model.generator, 10, 3, seed=0)  # as the notebook grades them
    out = predict("acgan", checkpoint=checkpoint, input=None, output=workdir / "acgan_out", n=3, device="cpu")
    names = sorted(p.name for p in out.iterdir())
    assert names[:4] == ["0_001.png", "0_002.png", "0_003.png", "1_001.png"] and len(names) == 30
    with Image.open(out / "9_003.png") as image:
        assert image.mode == "L" and image.size == (32, 32)
    from helpers.grading.folders import read_folder

    assert torch.equal(to_float(read_folder(out, "PRED")[1]), generated)  # the notebook grades the 8-bit images
    scores = evaluate("acgan", out, EMBEDDED, device="cpu")
    assert scores["label_agreement"] == label_agreement(judge, generated, wanted)
    assert {d: scores[f"digit_{d}"] for d in range(10)} == {
        d: label_agreement(judge, generated[wanted == d], wanted[wanted == d]) for d in range(10)}
    graded = evaluate("acgan", out, out, device="cpu")  # TRUTH a folder of real images: the gan's measures
    assert "label_agreement" not in graded and graded["fid_random"] >= 0 and graded["images"] == 30
    (out / "0_001.png").rename(out / "smiling.png")
    with pytest.raises(DeliverableError, match=r"smiling.png is not named <class>_<idx>.png"):
        evaluate("acgan", out, EMBEDDED, device="cpu")


def test_acgan_run_with_another_seed_is_graded_with_that_seeds_digits_and_classifier(workdir, acgan):
    """A notebook run with seed=1 renders other embedded digits and trains its classifier with seed 1; evaluate
    --seed 1 (which the report's printed command passes) grades with those, so it gives the notebook's numbers."""
    model, checkpoint, _ = acgan
    config = make_config(AcganConfig, "smoke")
    domain = load_gan_data(EMBEDDED, size=config.image_size, copies=config.copies, seed=1)  # as the notebook does
    judge = load_judge(domain.train, cache_dir=JUDGE_CACHE, device="cpu", seed=1, profile="smoke", held_out=domain.test)
    generated, wanted = class_balanced_samples(model.generator, 10, 3, seed=1)
    out = predict("acgan", checkpoint=checkpoint, input=None, output=workdir / "acgan_seed1", n=3, seed=1, device="cpu")
    scores = evaluate("acgan", out, EMBEDDED, device="cpu", profile="smoke", seed=1)
    assert scores["label_agreement"] == label_agreement(judge, generated, wanted)
    assert {d: scores[f"digit_{d}"] for d in range(10)} == {
        d: label_agreement(judge, generated[wanted == d], wanted[wanted == d]) for d in range(10)}
    with pytest.raises(DeliverableError, match=r"--seed=-1 is not valid; expected a whole number"):
        evaluate("acgan", out, EMBEDDED, device="cpu", seed=-1)


def test_a_face_gan_writes_colour_images_graded_without_the_digit_classifier(workdir):
    """data=<face folder>: the generator's colour images; against a folder of faces the digit classifier does not
    apply, the label-free measures do (no face in noise images)."""
    from helpers.core.images import ImageSet

    faces = ImageSet(torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8), torch.zeros(16, dtype=torch.long), "face")
    config = make_config(GanConfig, "smoke", {"methods": ("sngan",), "batch_size": 8})
    sngan = build_gan("sngan", config, 3, "cpu")
    run = run_gan("sngan", faces, config, device="cpu", seed=0, checkpoint_dir=workdir / "face_checkpoints", gan=sngan,
                  deliverable=gan_record("sngan", sngan, data="face"))
    out = predict("gan", checkpoint=run.checkpoint, input=None, output=workdir / "face_out", n=4)
    with Image.open(out / "0003.png") as image:
        assert image.mode == "RGB" and image.size == (32, 32)
    truth = workdir / "faces"
    truth.mkdir()
    for i, image in enumerate(faces.images):
        save_image(image, truth / f"{i:05d}.png")
    scores = evaluate("gan", out, truth, device="cpu")
    assert scores["fid_random"] > 0 and scores["fid_random_floor"] > 0
    assert {k: v for k, v in scores.items() if not k.startswith("fid_random")} == {"fid_classifier": None, "recognised": None, "fid_inception": None, "face_share": 0.0,
                      "face_share_real": 0.0, "images": 4.0}


def test_conditional_truth_may_be_the_course_digits_folder(workdir, conditional):
    """TRUTH hw2_data/digits (or its mnistm/): the judge learns the course's MNIST-M labels."""
    rng = torch.Generator().manual_seed(0)
    root = workdir / "hw2_data" / "digits"
    (root / "mnistm" / "data").mkdir(parents=True)
    for split, count in (("train", 40), ("val", 20)):
        rows = []
        for i in range(count):
            save_image(torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8, generator=rng),
                       root / "mnistm" / "data" / f"{split}_{i:04d}.png")
            rows.append(f"{split}_{i:04d}.png,{i % 10}")
        (root / "mnistm" / f"{split}.csv").write_text("image_name,label\n" + "\n".join(rows) + "\n")
    out = predict("conditional_diffusion", checkpoint=conditional[3], input=None, output=workdir / "course_out", n=1,
                  steps=2)
    scores = evaluate("conditional_diffusion", out, root, device="cpu")
    assert 0 <= scores["label_agreement"] <= 1 and scores["images"] == 10
    assert evaluate("conditional_diffusion", out, root / "mnistm", device="cpu") == scores


def test_evaluate_finds_or_trains_the_digit_classifier_under_reports(workdir, conditional, tmp_path):
    folder = workdir / "for_reports"
    folder.mkdir(exist_ok=True)
    for digit in range(10):
        save_image(torch.full((3, 12, 12), 25 * digit, dtype=torch.uint8), folder / f"{digit}_001.png")
    first = evaluate("conditional_diffusion", folder, EMBEDDED, device="cpu", reports=tmp_path)
    cached = list((tmp_path / "_judge").glob("judge-*.pt"))
    assert len(cached) == 1  # trained into the given reports folder
    written = cached[0].stat().st_mtime_ns
    assert evaluate("conditional_diffusion", folder, EMBEDDED, device="cpu", reports=tmp_path) == first
    assert cached[0].stat().st_mtime_ns == written  # the second call loaded it instead of training again


def test_evaluate_images_gives_a_face_folder_its_face_scores_and_the_random_feature_fid(workdir):
    """Without labels or Inception weights a colour folder still gets numbers: the face share of PRED and of TRUTH
    (the ceiling), and the random-feature FID beside its floor from two halves of TRUTH."""
    faces, noise = workdir / "drawn_faces", workdir / "noise_images"
    faces.mkdir(), noise.mkdir()
    generator = torch.Generator().manual_seed(0)
    for i, image in enumerate(drawn_faces(16)):
        save_image(image, faces / f"{i:04d}.png")
        save_image(torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8, generator=generator), noise / f"{i:04d}.png")
    scores = evaluate("gan", noise, faces, device="cpu")
    assert scores["face_share"] == 0.0 and scores["face_share_real"] == 1.0
    assert scores["fid_random"] > 10 * scores["fid_random_floor"]
    assert scores["fid_classifier"] is None and scores["fid_inception"] is None

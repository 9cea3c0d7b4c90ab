"""helpers/segmentation/deliverable.py: masks from a checkpoint, mIoU from mask folders, the same numbers as the notebook."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.core.checkpoint import load_checkpoint, save_checkpoint
from helpers.core.config import make_config
from helpers.data.scenes import SCENE_CLASSES
from helpers.deliverables.record import DeliverableError, read_deliverable
from helpers.evaluate import evaluate, main as evaluate_main
from helpers.predict import main as predict_main, predict
from helpers.segmentation.config import SegmentationConfig
from helpers.segmentation.data import load_segmentation
from helpers.segmentation.deliverable import evaluate_masks
from helpers.segmentation.experiment import train_segmenter
from helpers.segmentation.masks import LAND_COVER, palette_of, write_masks
from helpers.segmentation.metrics import confusion_matrix, miou_table

CPU = torch.device("cpu")
LAND = palette_of(tuple(LAND_COVER))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The notebook's data and training (smoke sizes, fewer scenes), both models: (data, {model: result})."""
    config = make_config(SegmentationConfig, "smoke", {"train_scenes": 24, "val_scenes": 8, "epochs": 2})
    data = load_segmentation("embedded", config, seed=0)
    folder = tmp_path_factory.mktemp("checkpoints")
    results = {name: train_segmenter(name, data, config, watch=[0], seed=0, device=CPU, checkpoint_dir=folder)
               for name in ("fcn32s", "deeplabv3")}
    return data, results


def export_scenes(data, folder):
    """The validation scenes in the course's layout: NNNN_sat.png (lossless) beside NNNN_mask.png."""
    write_masks(data.validation.masks, data.validation.names, data.palette, folder)
    for image, name in zip(data.validation.images, data.validation.names):
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(folder / f"{name}_sat.png")
    return folder


@pytest.mark.parametrize("model", ["fcn32s", "deeplabv3"])
def test_predict_then_evaluate_gives_the_notebooks_miou(trained, tmp_path, model):
    data, results = trained
    truth = export_scenes(data, tmp_path / "validation")  # TRUTH holds the images too; only masks count
    written = predict("segmentation", checkpoint=results[model].checkpoint, input=truth, output=tmp_path / "pred",
                      device="cpu")
    scores = evaluate("segmentation", written, truth, device="cpu")
    # Exactly equal: the same pixels (PNG is lossless, no resizing at the trained size) through the same miou_table.
    assert scores["mIoU"] == results[model].miou["mean"]
    assert {c: scores[f"IoU {c}"] for c in SCENE_CLASSES} == {c: results[model].miou[c] for c in SCENE_CLASSES}
    assert scores["images"] == len(data.validation)


def test_on_the_course_layout_predict_then_evaluate_gives_the_notebooks_land_cover_miou(tmp_path):
    from tests.segmentation.test_data import make_satellite_tree

    root = make_satellite_tree(tmp_path / "sat", count=6)  # 32x32 images: the models see them unresized
    config = make_config(SegmentationConfig, "smoke", {"image_size": 32, "epochs": 1, "batch_size": 4})
    data = load_segmentation(str(root), config, seed=0)
    result = train_segmenter("deeplabv3", data, config, watch=[0], seed=0, device=CPU, checkpoint_dir=tmp_path / "ck")
    written = predict("segmentation", checkpoint=result.checkpoint, input=root / "validation", output=tmp_path / "pred",
                      device="cpu")
    assert sorted(p.name for p in written.iterdir()) == [f"{i:04d}_mask.png" for i in range(6)]
    scores = evaluate("segmentation", written, root / "validation", device="cpu")
    assert scores["mIoU"] == result.miou["mean"] and "IoU unknown" not in scores
    assert {c: scores[f"IoU {c}"] for c in result.miou if c != "mean"} == {c: v for c, v in result.miou.items() if c != "mean"}


def test_masks_parse_back_at_each_images_size_whatever_the_batch(trained, tmp_path):
    data, results = trained
    folder = export_scenes(data, tmp_path / "in")
    for path in folder.glob("*_mask.png"):
        path.unlink()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (80, 96, 3), dtype=np.uint8)).save(folder / "0100_sat.jpg")
    checkpoint = results["deeplabv3"].checkpoint
    whole = predict("segmentation", checkpoint=checkpoint, input=folder, output=tmp_path / "whole", device="cpu")
    batched = predict("segmentation", checkpoint=checkpoint, input=folder, output=tmp_path / "batched", batch_size=3,
                      device="cpu")
    names = [f"{n}_mask.png" for n in (*data.validation.names, "0100")]
    assert sorted(p.name for p in whole.iterdir()) == sorted(names)
    colours = {tuple(c) for c in data.palette.tolist()}
    for name in names:
        with Image.open(whole / name) as image:
            assert image.mode == "RGB" and image.size == ((96, 80) if name == "0100_mask.png" else (64, 64))
            array = np.asarray(image)
        assert {tuple(c) for c in array.reshape(-1, 3).tolist()} <= colours
        assert np.array_equal(array, np.asarray(Image.open(batched / name)))


def test_the_record_says_how_to_rebuild_the_model_and_prepare_its_images(trained):
    data, results = trained
    record, weights = read_deliverable(results["deeplabv3"].checkpoint, "segmentation")
    settings = record["settings"]
    assert record["modules"] == "model" and set(weights) == {"model"}
    assert settings["model"] == "deeplabv3" and settings["builder"]["output_stride"] == 4
    assert settings["classes"] == list(SCENE_CLASSES) and settings["palette"] == data.palette.tolist()
    assert settings["exclude"] == [] and settings["image_size"] == [64, 64]
    assert json.loads(json.dumps(settings)) == settings


def test_an_input_folder_without_sat_images_is_refused_naming_the_expected_names(trained, tmp_path, capsys):
    data, results = trained
    write_masks(data.validation.masks[:2], data.validation.names[:2], data.palette, tmp_path / "masks_only")
    with pytest.raises(DeliverableError, match=r"no \*_sat\.\* images; expected NNNN_sat\.jpg"):
        predict("segmentation", checkpoint=results["fcn32s"].checkpoint, input=tmp_path / "masks_only",
                output=tmp_path / "out", device="cpu")
    code = predict_main(["segmentation", "--checkpoint", str(results["fcn32s"].checkpoint),
                         "--input", str(tmp_path / "masks_only"), "--output", str(tmp_path / "out")])
    assert code == 2 and "NNNN_sat.jpg" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_bad_image_or_an_existing_output_leaves_nothing_written(trained, tmp_path):
    data, results = trained
    folder = export_scenes(data, tmp_path / "in")
    (folder / "0005_sat.png").write_bytes(b"not a png")
    checkpoint = results["fcn32s"].checkpoint
    with pytest.raises(DeliverableError, match="0005_sat.png does not decode"):
        predict("segmentation", checkpoint=checkpoint, input=folder, output=tmp_path / "out", batch_size=2, device="cpu")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output, no temporary folder
    (folder / "0005_sat.png").unlink()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(DeliverableError, match="--overwrite"):
        predict("segmentation", checkpoint=checkpoint, input=folder, output=tmp_path / "out", device="cpu")
    with pytest.raises(DeliverableError, match="keep.txt is not"):  # not predict's: --overwrite leaves it
        predict("segmentation", checkpoint=checkpoint, input=folder, output=tmp_path / "out", device="cpu",
                overwrite=True)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]
    (tmp_path / "out" / "keep.txt").rename(tmp_path / "out" / "0099_mask.png")  # an earlier prediction is replaced
    predict("segmentation", checkpoint=checkpoint, input=folder, output=tmp_path / "out", device="cpu", overwrite=True)
    assert len(list((tmp_path / "out").glob("*_mask.png"))) == len(data.validation) - 1


def test_a_checkpoint_of_another_problem_is_refused(trained, tmp_path):
    data, results = trained
    state = load_checkpoint(results["fcn32s"].checkpoint)
    state["deliverable"] = {**state["deliverable"], "problem": "gan"}
    save_checkpoint(state, tmp_path / "gan.pt")
    with pytest.raises(DeliverableError, match="checkpoint of 'gan', not 'segmentation'"):
        predict("segmentation", checkpoint=tmp_path / "gan.pt", input=export_scenes(data, tmp_path / "in"),
                output=tmp_path / "out", device="cpu")


def save_land_cover(folder, masks):
    return write_masks(masks, [f"{i:04d}" for i in range(len(masks))], LAND, folder)


def test_land_cover_miou_is_the_notebooks_over_the_whole_set_with_unknown_left_out(tmp_path):
    rng = torch.Generator().manual_seed(0)
    truth = torch.randint(0, 7, (3, 16, 12), generator=rng)
    guess = torch.where(torch.rand(3, 16, 12, generator=rng) < 0.6, truth, torch.randint(0, 7, (3, 16, 12), generator=rng))
    scores = evaluate_masks(save_land_cover(tmp_path / "pred", guess), save_land_cover(tmp_path / "truth", truth), device=CPU)
    expected = miou_table(confusion_matrix(guess, truth, 7), tuple(LAND_COVER), ("unknown",))
    assert scores["mIoU"] == expected["mean"] and "IoU unknown" not in scores
    assert scores == {"mIoU": expected.pop("mean"), **{f"IoU {c}": v for c, v in expected.items()}, "images": 3.0}
    # Over the whole set, not a mean of per-image mIoUs.
    per_image = [miou_table(confusion_matrix(g, t, 7), tuple(LAND_COVER), ("unknown",))["mean"] for g, t in zip(guess, truth)]
    assert scores["mIoU"] != pytest.approx(sum(per_image) / 3, abs=1e-4)


def test_evaluate_refuses_a_missing_mask_an_unknown_colour_mixed_palettes_and_other_sizes(tmp_path, capsys):
    masks = torch.randint(0, 6, (2, 8, 8), generator=torch.Generator().manual_seed(1))
    truth = save_land_cover(tmp_path / "truth", masks)
    pred = save_land_cover(tmp_path / "pred", masks[:1])
    with pytest.raises(DeliverableError, match=r"1 without a prediction \(e.g. \['0001_mask.png'\]\)"):
        evaluate_masks(pred, truth, device=CPU)
    assert evaluate_main(["segmentation", str(pred), str(truth)]) == 2 and "0001_mask.png" in capsys.readouterr().err

    save_land_cover(tmp_path / "pred", masks)
    rgb = np.asarray(Image.open(pred / "0001_mask.png")).copy()
    rgb[3, 5] = (10, 20, 30)
    Image.fromarray(rgb).save(pred / "0001_mask.png")
    with pytest.raises(DeliverableError, match=r"0001_mask.png: colour \(10, 20, 30\) \(row 3, column 5"):
        evaluate_masks(pred, truth, device=CPU)

    scenes = palette_of(SCENE_CLASSES)
    write_masks(torch.full((1, 8, 8), 3), ["0001"], scenes, pred)  # the digit-scenes colour of class "2"
    with pytest.raises(DeliverableError, match="mix two palettes"):
        evaluate_masks(pred, truth, device=CPU)

    write_masks(torch.zeros(1, 8, 9, dtype=torch.long), ["0001"], LAND, pred)
    with pytest.raises(DeliverableError, match="is 9x8 but TRUTH"):
        evaluate_masks(pred, truth, device=CPU)
    assert evaluate_main(["segmentation", str(tmp_path / "nowhere"), str(truth)]) == 2


def test_evaluate_reads_digit_scenes_masks(tmp_path):
    scenes = palette_of(SCENE_CLASSES)
    truth = torch.zeros(2, 8, 8, dtype=torch.long)
    truth[:, 2:6, 2:6] = 4
    guess = truth.clone()
    guess[0, 2, 2:6] = 0
    write_masks(truth, ["0000", "0001"], scenes, tmp_path / "truth")
    write_masks(guess, ["0000", "0001"], scenes, tmp_path / "pred")
    scores = evaluate_masks(tmp_path / "pred", tmp_path / "truth", device=CPU)
    # background: 96 / 100; digit 3: 28 / 32; the other digits are neither present nor predicted.
    assert scores["IoU background"] == 0.96 and scores["IoU 3"] == 0.875 and scores["IoU 7"] is None
    assert scores["mIoU"] == round((0.96 + 0.875) / 2, 4)


def test_the_deliverable_is_the_model_with_the_higher_miou_deeplab_on_a_tie():
    from types import SimpleNamespace

    from helpers.segmentation.deliverable import better_result

    fcn, deeplab = (SimpleNamespace(name=n, miou={"mean": 0.5}) for n in ("fcn32s", "deeplabv3"))
    assert better_result([fcn, deeplab]) is deeplab
    fcn.miou["mean"] = 0.6
    assert better_result([fcn, deeplab]) is fcn
    deeplab.miou["mean"] = None  # no class measured
    assert better_result([deeplab, fcn]) is fcn

"""helpers/segmentation/experiment.py and config.py: training with snapshots and resume, the config, observations."""
import pytest
import torch

from helpers.core.config import make_config
from helpers.data.scenes import SCENE_CLASSES, digit_scenes
from helpers.segmentation.config import SegmentationConfig
from helpers.segmentation.data import SegmentationData, SegmentationSet
from helpers.segmentation.experiment import evaluate, snapshot_epochs, train_segmenter
from helpers.segmentation.masks import LAND_COVER, palette_of

LAND = palette_of(tuple(LAND_COVER))


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="fcn_widths"):
        make_config(SegmentationConfig, "cpu", {"fcn_widths": (8, 16)})
    with pytest.raises(ValueError, match="output_stride"):
        make_config(SegmentationConfig, "cpu", {"output_stride": 16})
    with pytest.raises(ValueError, match="backbone"):
        make_config(SegmentationConfig, "cpu", {"backbone": "resnet18"})


def tiny_data():
    scenes = digit_scenes(seed=0, train=16, val=6, canvas=32, digit_size=16)
    sets = {s: SegmentationSet(i, m, tuple(f"{k:04d}" for k in range(len(i))), s) for s, (i, m) in scenes.items()}
    return SegmentationData(sets["train"], sets["validation"], SCENE_CLASSES, ())


def test_training_keeps_snapshots_and_resumes_to_the_same_numbers(tmp_path, monkeypatch):
    """Also: the validation set is measured once an epoch, the last measurement being the result (not measured a
    second time); a finished checkpoint's result is measured on loading it, the same numbers."""
    from helpers.segmentation import experiment

    calls = []
    monkeypatch.setattr(experiment, "evaluate", lambda *a, **k: calls.append(a) or evaluate(*a, **k))
    config = make_config(SegmentationConfig, "smoke", {"epochs": 3})
    data = tiny_data()
    run = train_segmenter("deeplabv3", data, config, watch=[0, 2, 4], seed=0, device=torch.device("cpu"),
                          checkpoint_dir=tmp_path)
    assert sorted(run.snapshots) == snapshot_epochs(3) == [1, 2, 3]
    assert all(s.shape == (3, 32, 32) for s in run.snapshots.values())
    assert set(run.history) == {"train loss", "val loss", "val mIoU"} and len(run.history["val mIoU"]) == 3
    assert set(run.miou) == {*SCENE_CLASSES, "mean"} and len(calls) == 3
    again = train_segmenter("deeplabv3", data, config, watch=[0, 2, 4], seed=0, device=torch.device("cpu"),
                            checkpoint_dir=tmp_path)  # finished checkpoint: nothing is trained again
    assert again.miou == run.miou and again.history == run.history and len(calls) == 4
    assert torch.equal(again.confusion, run.confusion)
    assert all(torch.equal(again.snapshots[e], run.snapshots[e]) for e in run.snapshots)


def test_observations_are_written_from_the_numbers():
    from helpers.segmentation.analysis import miou_frame, observations
    from helpers.segmentation.experiment import SegmentationResult

    table = {"fcn32s": {"background": 0.9, "0": 0.2, "1": None, "2": 0.0, "mean": 0.3667},
             "deeplabv3": {"background": 0.95, "0": 0.5, "1": 0.7, "2": 0.1, "mean": 0.5625}}
    results = [SegmentationResult(name, None, {"val mIoU": [0.1, 0.3, table[name]["mean"]]}, table[name], {})
               for name in table]
    text = observations(table, results, image_size=64, output_strides={"fcn32s": 32, "deeplabv3": 4})
    assert "FCN32s scores a 2x2 map (stride 32)" in text and "DeepLabV3 scores a 16x16 map (stride 4)" in text
    assert "DeepLabV3 is ahead by 0.196 mIoU and better on 3 of the 3 classes" in text
    assert "best class background (0.900), worst 2 (0.000)" in text
    assert "1 of 3 classes (2) have IoU 0" in text and text.count("have IoU 0") == 1
    assert list(miou_frame(table).index) == ["background", "0", "1", "2", "mean"]
    assert "Only" not in text
    table["fcn32s"] = {"background": 0.88, "0": 0.0, "1": None, "2": 0.0, "mean": 0.293}  # background everywhere
    text = observations(table, results, image_size=64, output_strides={"fcn32s": 32, "deeplabv3": 4})
    assert "Only background is ever predicted right" in text and text.count("Only") == 1


def test_a_training_set_smaller_than_a_batch_trains_in_one_clamped_batch():
    """16 scenes, batch 32 (the cpu profile's): the model trains on batches of all 16 (the course's 24 satellite
    images stopped here before)."""
    config = make_config(SegmentationConfig, "smoke", {"steps": 2, "batch_size": 32})
    run = train_segmenter("fcn32s", tiny_data(), config, watch=[0], seed=0, device=torch.device("cpu"))
    assert len(run.history["train loss"]) == 2


def test_training_steps_see_crop_size_windows_and_validation_whole_images(monkeypatch):
    """The course's 128x128 images train on 64x64 windows (a step costs what a 64x64 canvas's does); the validation
    mIoU and the snapshots are of whole images."""
    import helpers.segmentation.experiment as experiment

    scenes = digit_scenes(seed=0, train=8, val=3, canvas=64, digit_size=32)
    sets = {s: SegmentationSet(i, m, tuple(f"{k:04d}" for k in range(len(i))), s) for s, (i, m) in scenes.items()}
    data = SegmentationData(sets["train"], sets["validation"], SCENE_CLASSES, ())
    seen = {True: set(), False: set()}  # training mode -> input sizes

    def build_and_watch(*args, **kwargs):
        model = build_model(*args, **kwargs)
        model.register_forward_pre_hook(lambda module, inputs: seen[module.training].add(tuple(inputs[0].shape[-2:])))
        return model

    build_model = experiment.build_model
    monkeypatch.setattr(experiment, "build_model", build_and_watch)
    config = make_config(SegmentationConfig, "smoke", {"steps": 3, "batch_size": 4, "crop_size": 32})
    run = train_segmenter("deeplabv3", data, config, watch=[0], seed=0, device=torch.device("cpu"))
    assert seen == {True: {(32, 32)}, False: {(64, 64)}}
    assert run.snapshots[1].shape == (1, 64, 64)

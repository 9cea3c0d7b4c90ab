"""helpers/segmentation/metrics.py: mIoU, the course's definition, on hand-worked examples."""
from __future__ import annotations

import pytest
import torch

from helpers.segmentation.metrics import confusion_matrix, miou_table


# Worked by hand: class 0 has TP 3, FP 1 (row 2, column 2), FN 1 (row 0, column 1): 3/5.
# Class 1: TP 4, FP 1, FN 0: 4/5. Class 2: TP 7, FP 0, FN 1: 7/8. Mean (0.6 + 0.8 + 0.875) / 3.
TARGET = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2], [2, 2, 2, 2]])


PREDICTED = torch.tensor([[0, 1, 1, 1], [0, 0, 1, 1], [2, 2, 0, 2], [2, 2, 2, 2]])


def test_miou_on_a_hand_worked_4x4_example():
    table = miou_table(confusion_matrix(PREDICTED, TARGET, 3), ["a", "b", "c"])
    assert table == {"a": 0.6, "b": 0.8, "c": 0.875, "mean": pytest.approx((0.6 + 0.8 + 0.875) / 3, abs=1e-4)}


def test_an_excluded_class_leaves_the_mean_but_still_counts_as_a_false_positive():
    # "c" excluded as the course excludes "unknown": class a keeps the FP on a c pixel (3/5, not 3/4).
    table = miou_table(confusion_matrix(PREDICTED, TARGET, 3), ["a", "b", "c"], exclude=["c"])
    assert table == {"a": 0.6, "b": 0.8, "mean": 0.7}


def test_a_class_neither_present_nor_predicted_has_no_iou_and_no_weight_in_the_mean():
    table = miou_table(confusion_matrix(PREDICTED, TARGET, 4), ["a", "b", "c", "d"])
    assert table["d"] is None and table["mean"] == pytest.approx((0.6 + 0.8 + 0.875) / 3, abs=1e-4)


def test_miou_rejects_shapes_that_differ():
    with pytest.raises(ValueError, match="differ in shape"):
        confusion_matrix(PREDICTED[:3], TARGET, 3)

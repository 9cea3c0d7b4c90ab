"""The problems ``helpers.predict`` and ``helpers.evaluate`` know: output format, predict, evaluate.

Functions are named as ``module:function`` and imported on use, so ``--help`` stays fast.

    predict(record, weights, *, input, output, n, overwrite, device) -> Path   (what it wrote)
    evaluate(pred, truth, *, device) -> {measure: number}
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpers.deliverables.record import DeliverableError


@dataclass(frozen=True)
class Problem:
    name: str
    output: str       # the format --output receives, in the README's words
    input: str        # what --input must be ('' when the problem generates from noise)
    measure: str      # what helpers.evaluate computes, and from which PRED and TRUTH
    predict: str      # module:function
    evaluate: str     # module:function
    writes_csv: bool = False  # --output is one CSV file (else a folder)
    options: tuple[str, ...] = ()  # predict's options that apply to it, of --n, --steps, --guidance and --size

    def function(self, which: str) -> Callable[..., Any]:
        module_name, name = getattr(self, which).split(":")
        return getattr(importlib.import_module(module_name), name)


GANS = "helpers.gans.deliverable"
DIFFUSION = "helpers.diffusion.deliverable"
ADAPTATION = "helpers.adaptation.deliverable"
REPRESENTATION = "helpers.representation.deliverable"
SCORES = "helpers.deliverables.scores"
SEGMENTATION = "helpers.segmentation.deliverable"

PROBLEMS: dict[str, Problem] = {p.name: p for p in [
    Problem("gan", "folder of N generated images 0000.png ... (--n, default 1000; a digit more from 10001), at "
            "the training data's size (--size)", "",
            "PRED against TRUTH, a folder of real images or 'embedded' (the notebook's held-out digits): gray "
            "digits, classifier FID and recognised share; colour images, face shares; both, random-feature FID "
            "with its real floor (and Inception FID when its weights exist)",
            f"{GANS}:predict_gan", f"{GANS}:evaluate_images", options=("n", "size")),
    Problem("acgan", "folder of --n images per class (default 100) named <class>_<idx:03d>.png from 001 (4 digits "
            "from --n 1000; digits: the digit; faces: 0 without the attribute, 1 with it), at the training data's "
            "size (--size)", "",
            "digits: label agreement by the suite's digit classifier (TRUTH embedded); faces: face share and "
            "random-feature FID against TRUTH, a folder of real faces",
            f"{GANS}:predict_acgan", f"{GANS}:evaluate_acgan", options=("n", "size")),
    Problem("ddpm", "folder of N generated images 0000.png ... (--n, default 1000; a digit more from 10001), at "
            "the training data's size (--size)", "",
            "PRED against TRUTH, a folder of real images or 'embedded' (the notebook's held-out digits): gray "
            "digits, classifier FID and recognised share; colour images, face shares; both, random-feature FID "
            "with its real floor (and Inception FID when its weights exist)",
            f"{DIFFUSION}:predict_ddpm", f"{GANS}:evaluate_images", options=("n", "steps", "size")),
    Problem("conditional_diffusion", "folder of --n images per digit (default 100) named <digit>_<idx:03d>.png "
            "from 001 (0_001.png ... 9_100.png; 4 digits from --n 1000), at the data's size (--size)", "",
            "label agreement of PRED's <digit>_<idx>.png images by the suite's digit classifier trained on "
            "TRUTH ('embedded' or a course digits folder)",
            f"{DIFFUSION}:predict_conditional", f"{DIFFUSION}:evaluate_conditional",
            options=("n", "steps", "guidance", "size")),
    Problem("dann", "CSV image_name,label for every image of the --input folder (target domain)",
            "folder of target-domain images", "accuracy of PRED against TRUTH (two image_name,label CSVs)",
            f"{ADAPTATION}:predict_dann", f"{SCORES}:evaluate_image_name", writes_csv=True),
    Problem("adda", "CSV image_name,label for every image of the --input folder (target domain)",
            "folder of target-domain images", "accuracy of PRED against TRUTH (two image_name,label CSVs)",
            f"{ADAPTATION}:predict_adda", f"{SCORES}:evaluate_image_name", writes_csv=True),
    Problem("classification", "CSV filename,label for every image of the --input folder",
            "folder of images", "accuracy of PRED against TRUTH (a filename,label CSV, or a folder of "
            "<label>_<idx>.png images)",
            f"{REPRESENTATION}:predict_classification", f"{SCORES}:evaluate_filename", writes_csv=True),
    Problem("byol", "CSV id,filename,label for the rows of the --input CSV (Office-Home style)",
            "CSV id,filename[,label] with the images in the folder beside it",
            "accuracy of PRED against TRUTH (two id,filename,label CSVs)",
            f"{REPRESENTATION}:predict_byol", f"{SCORES}:evaluate_office", writes_csv=True),
    Problem("segmentation", "folder with one RGB mask NNNN_mask.png per NNNN_sat.jpg of the --input folder",
            "folder of NNNN_sat.jpg (or .png) images",
            "mIoU (the course's definition) of PRED's masks against TRUTH's NNNN_mask.png",
            f"{SEGMENTATION}:predict_masks", f"{SEGMENTATION}:evaluate_masks"),
]}


def problem(name: str) -> Problem:
    if name not in PROBLEMS:
        raise DeliverableError(f"unknown problem {name!r}; choose one of {', '.join(PROBLEMS)}")
    return PROBLEMS[name]


def formats() -> str:
    """The problems and their formats, for ``--help`` and the README."""
    return "\n".join(f"  {p.name:<22} {p.output}" + (f"\n  {'':<22} input: {p.input}" if p.input else "")
                     for p in PROBLEMS.values())

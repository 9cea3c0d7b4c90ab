"""The segmentation notebook on satellite trees against the embedded scenes: does a profile cost the same?

Measures: per data folder, the notebook's seconds (metrics.json ``timings``: total and training), what a training
step sees of each image, and FCN32s's and DeepLabV3's validation mIoU, as the notebook reports them
(papermill, the given profile, ``-p data TREE``). #21 item 1: a profile should take about as long on course-layout
data as on the embedded data. The trees come from bench/satellite_tree.py (or are the course's own hw1_data).
Hardware: the 2-core CPU machine of docs/design.md; run nothing else meanwhile. No asserts on time.
Run: python bench/satellite_tree.py /tmp/sat0 --seed 0
     python bench/segmentation_course.py embedded /tmp/sat0 [--profile cpu-lite] [--fresh]
Got (2026-12-01): docs/tuning.md, "segmentation on satellite data of the issue's size".
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from course_data import run_notebook  # bench/course_data.py, beside this script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", help="satellite trees (holding p3_data/ or train/), or 'embedded'; "
                        "each reports into REPORTS/<its folder's name>")
    parser.add_argument("--profile", default="cpu-lite")
    parser.add_argument("--reports", type=Path, default=Path("reports/bench_segmentation"))
    parser.add_argument("--fresh", action="store_true", help="delete earlier reports (checkpoints) first")
    args = parser.parse_args()
    print(f"segmentation, {args.profile} profile")
    print("| data | a training step sees | seconds (training) | FCN32s mIoU | DeepLabV3 mIoU |")
    print("|---|---|---|---|---|")
    for data in args.data:
        label = "embedded" if data == "embedded" else Path(data).resolve().name
        reports = (args.reports / label).resolve()
        if args.fresh and reports.exists():
            shutil.rmtree(reports)
        elif reports.exists():
            print(f"({reports} exists: its checkpoints are reused, so the seconds are not a training's; --fresh)")
        metrics, _ = run_notebook("segmentation", data, reports, args.profile)
        timings, miou = metrics["timings"], metrics["results"]["miou"]
        windows = metrics["params"]["training_windows"]
        print(f"| {label} | {windows} | {timings['total_s']:.0f} ({timings['training']:.0f}) | "
              f"{100 * miou['fcn32s']['mean']:.1f} | {100 * miou['deeplabv3']['mean']:.1f} |", flush=True)


if __name__ == "__main__":
    main()

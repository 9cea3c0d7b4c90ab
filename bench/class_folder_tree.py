"""A course-layout class-folder tree (HW1 P1's ``train_50/`` and ``val_50/``) from one domain of a digit tree.

Makes: ``OUT/train_50/<label>_<idx>.png`` and ``OUT/val_50/<label>_<idx>.png``, the layout
helpers/data/class_folder.py reads, as hard links (copies across file systems) to a bench/course_trees.py domain's
images: its train.csv rows become train_50, its val.csv rows val_50. Ten classes instead of the course's 50: enough to
run the classification notebook on a set of about the course's size (hw1 p1: 22,500 training images) and time it.
Hardware: any; linking takes seconds, drawing the digit tree below 9 minutes on one core.
Run: python bench/course_trees.py /tmp/digits --seed 2 --elastic 34 --per-domain 20000   (16,000 train / 4,000 val)
     python bench/class_folder_tree.py /tmp/digits/mnistm /tmp/p1
     then: make report NOTEBOOKS=classification DATA=/tmp/p1
Got (2026-12-01): docs/tuning.md, "Budgets on data of the course's size".
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
from pathlib import Path

SPLITS = {"train.csv": "train_50", "val.csv": "val_50"}


def link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("domain", type=Path, help="a digit tree's domain folder (data/, train.csv, val.csv)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    for csv_name, folder in SPLITS.items():
        target = args.out / folder
        target.mkdir(parents=True, exist_ok=True)
        with (args.domain / csv_name).open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        for index, row in enumerate(rows):
            link(args.domain / "data" / row["image_name"], target / f"{int(row['label'])}_{index}.png")
        print(f"{target}: {len(rows)} images")


if __name__ == "__main__":
    main()

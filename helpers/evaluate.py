"""``python -m helpers.evaluate``: grade prediction files the way the notebooks grade their models.

    python -m helpers.evaluate dann pred.csv hw2_data/digits/svhn/val.csv          accuracy
    python -m helpers.evaluate segmentation pred_masks/ hw1_data/p3_data/validation   mIoU
    python -m helpers.evaluate conditional_diffusion out/ embedded                  label agreement
    python -m helpers.evaluate gan out/ real_faces/                                 FID

Each measure is the function the notebook reports with, so for the same model and data the numbers
are the same (tests/deliverables/ and each family's tests/<family>/test_deliverable.py check it).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from helpers.core.config import check_seed, resolve_profile
from helpers.deliverables.problems import PROBLEMS, problem
from helpers.deliverables.record import DeliverableError
from helpers.predict import device_named


def evaluate(name: str, pred: Path, truth: Path | str, *, device: str = "auto", reports: Path | str = "reports",
             profile: str = "auto", seed: int = 0) -> dict[str, float | None]:
    """The measures of ``pred`` against ``truth`` for ``name``, as {measure: number}; the suite's digit
    classifier (gan, acgan, ddpm, conditional_diffusion) is the one a notebook run with ``profile`` (as the notebooks
    size it) and ``seed`` grades with, loaded from, or trained into, ``reports/_judge``."""
    try:
        profile = resolve_profile(profile)
    except ValueError as error:
        raise DeliverableError(f"--profile: {error}") from None
    try:
        check_seed(seed)
    except ValueError as error:
        raise DeliverableError(f"--{error}") from None
    return problem(name).function("evaluate")(Path(pred), truth, device=device_named(device), reports=Path(reports),
                                              profile=profile, seed=seed)


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(
        prog="python -m helpers.evaluate", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Grade predictions: accuracy, mIoU, label agreement or FID, by problem.",
        epilog="problems and measures:\n" + "\n".join(f"  {p.name:<22} {p.measure}" for p in PROBLEMS.values()))
    cli.add_argument("problem", choices=list(PROBLEMS), metavar="problem", help=", ".join(PROBLEMS))
    cli.add_argument("pred", type=Path, help="predictions: a CSV or a folder, as helpers.predict writes them")
    cli.add_argument("truth", help="ground truth: a CSV, a folder, or 'embedded' where the problem allows")
    cli.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    cli.add_argument("--reports", type=Path, default=Path("reports"),
                     help="where the notebooks cache the digit classifier (<reports>/_judge; default reports)")
    cli.add_argument("--profile", default="auto",
                     help="gan, acgan, ddpm, conditional_diffusion: grade with the digit classifier of this profile, the "
                          "one the notebook ran in, to get its numbers (default auto: this machine's)")
    cli.add_argument("--seed", type=int, default=0,
                     help="gan, acgan, ddpm, conditional_diffusion: the seed the notebook ran with (default 0), whose "
                          "digits and digit classifier it graded with")
    cli.add_argument("--json", action="store_true", help="print the measures as JSON")
    args = cli.parse_args(argv)
    try:
        scores = evaluate(args.problem, args.pred, args.truth, device=args.device, reports=args.reports,
                          profile=args.profile, seed=args.seed)
    except DeliverableError as error:
        print(f"helpers.evaluate {args.problem}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(scores))
    else:
        for measure, value in scores.items():
            print(f"{measure}: {shown(measure, value)}")
    return 0


COUNTS = ("images", "unscored")  # numbers of images, printed whole


def shown(measure: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if measure in COUNTS else f"{value:.4f}"


if __name__ == "__main__":
    sys.exit(main())

"""``python -m helpers.predict``: run a notebook's trained model on new data, in the course's format.

    python -m helpers.predict dann --checkpoint reports/dann/checkpoints/dann_....pt \\
        --input hw2_data/digits/svhn/data --output pred.csv

The checkpoint's record (written by the notebook's training) says which problem it belongs to and how
to rebuild the model; a checkpoint of another problem, a damaged file, an input with no images, an image
that does not decode or an output that exists (without --overwrite) stops with a message that names it,
before anything is written. Outputs appear whole or not at all.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from helpers.adaptation.deliverable import pair_for_input
from helpers.deliverables.files import check_destination
from helpers.deliverables.problems import PROBLEMS, formats, problem
from helpers.deliverables.record import DeliverableError, read_deliverable


# segmentation: DeepLabV3-ResNet50 at 512x512, a batch of 256 would need ~25-30 GB; acgan: the notebook's batches,
# so that on a GPU (whose kernels may differ by batch size) its images are the notebook's to the pixel
DEFAULT_BATCH_SIZE = {"segmentation": 16, "acgan": 500}


def device_named(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeliverableError(f"--device {name}: CUDA is not available here; use --device cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise DeliverableError(f"--device {name!r} is not a device; use auto, cpu or cuda") from None


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m helpers.predict", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run a notebook's trained model from its checkpoint and write the course's format.",
        epilog="problems and output formats:\n" + formats() +
               "\n\nEach notebook names its checkpoint and an example command in reports/<problem>/metrics.json "
               "('predict').")
    cli.add_argument("problem", choices=list(PROBLEMS), metavar="problem", help=", ".join(PROBLEMS))
    cli.add_argument("--checkpoint", type=Path, help="a checkpoint the problem's notebook saved (default: the one "
                                                       "reports/<problem>/metrics.json names; dann, adda: the "
                                                       "pair whose target domain --input names, <domain>/data)")
    cli.add_argument("--reports", type=Path, default=Path("reports"), help="where to look for metrics.json (default reports)")
    cli.add_argument("--input", type=Path, help="input images (folder or CSV); not used by gan, acgan, ddpm, "
                                                 "conditional_diffusion")
    cli.add_argument("--output", required=True, type=Path, help="output folder or CSV file")
    cli.add_argument("--n", type=int, default=None,
                     help="images to generate (gan, ddpm: default 1000; acgan: per class, conditional_diffusion: per "
                          "digit, default 100)")
    cli.add_argument("--steps", type=int, default=None, help="diffusion sampling steps (DDIM; default: the notebook's)")
    cli.add_argument("--size", type=int, default=None,
                     help="gan, acgan, ddpm, conditional_diffusion: the images' side in pixels (default: the course "
                          "data's own when the notebook trained on a course folder, e.g. 28 or 64; else the size "
                          "it grades at)")
    cli.add_argument("--guidance", type=float, default=None, help="classifier-free guidance scale (default: the notebook's)")
    cli.add_argument("--seed", type=int, default=0, help="seed of the generated noise (default 0)")
    cli.add_argument("--batch-size", type=int, default=None,
                     help="images per forward pass (default 256; segmentation 16, its course images are 512x512; "
                          "acgan 500, the notebook's)")
    cli.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    cli.add_argument("--overwrite", action="store_true", help="replace an output that exists")
    return cli


def default_checkpoint(name: str, reports: Path, input: Path | None = None) -> Path:
    """The checkpoint the last run of notebook ``name`` names in its metrics.json; for a notebook of several
    adapted pairs (dann, adda), the pair whose target domain ``input`` names (:func:`pair_for_input`)."""
    metrics = Path(reports) / name / "metrics.json"
    if not metrics.is_file():
        saved = sorted((metrics.parent / "checkpoints").glob("*.pt"))
        listed = "".join(f"\n  {path}" for path in saved[:12]) + ("\n  ..." if len(saved) > 12 else "")
        raise DeliverableError(f"no --checkpoint given and there is no {metrics} to name one (a run that failed or was "
                               f"killed removes it); run `make report NOTEBOOKS={name}` first, or pass --checkpoint "
                               f"PATH" + (f" (CHECKPOINT= in make). The checkpoints saved there:{listed}" if saved else ""))
    try:
        entry = json.loads(metrics.read_text()).get("predict")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as error:
        raise DeliverableError(f"{metrics} is damaged ({type(error).__name__}: {error}); run `make report "
                               f"NOTEBOOKS={name}` again or pass --checkpoint PATH") from None
    if not entry or not isinstance(entry, dict) or "checkpoint" not in entry:
        raise DeliverableError(f"no --checkpoint given and {metrics} names none; run `make report NOTEBOOKS={name}` "
                               f"first or pass --checkpoint PATH")
    pairs = entry.get("pairs")
    if pairs is None or input is None:
        return Path(entry["checkpoint"])
    if not isinstance(pairs, dict) or not pairs or not all(isinstance(e, dict) and "checkpoint" in e
                                                            for e in pairs.values()):
        raise DeliverableError(f"{metrics} is damaged (its predict.pairs is not a checkpoint per pair); run `make "
                               f"report NOTEBOOKS={name}` again or pass --checkpoint PATH")
    chosen = pair_for_input(name, pairs, input)
    print(f"helpers.predict {name}: the {chosen} model, {pairs[chosen]['checkpoint']}", file=sys.stderr)
    return Path(pairs[chosen]["checkpoint"])


def predict(name: str, *, checkpoint: Path, input: Path | None, output: Path, n: int | None = None,
            steps: int | None = None, guidance: float | None = None, size: int | None = None, seed: int = 0,
            batch_size: int | None = None, device: str = "auto", overwrite: bool = False) -> Path:
    """What the CLI does, for tests and scripts: returns the path written."""
    spec = problem(name)
    if spec.input and input is None:
        raise DeliverableError(f"{name} needs --input: {spec.input}")
    if not spec.input and input is not None:
        raise DeliverableError(f"{name} generates from noise and takes no --input (got {input})")
    given = [option for option, value in (("n", n), ("steps", steps), ("guidance", guidance), ("size", size))
             if value is not None]
    unused = [option for option in given if option not in spec.options]
    if unused:
        takes = ", ".join(f"--{option}" for option in spec.options) or "none of --n, --steps, --guidance, --size"
        raise DeliverableError(f"{', '.join(f'--{option}' for option in unused)} does not apply to {name} "
                               f"(it takes {takes})")
    if n is not None and n < 1:
        raise DeliverableError(f"--n must be at least 1, got {n}")
    if batch_size is None:
        batch_size = DEFAULT_BATCH_SIZE.get(name, 256)
    if batch_size < 1:
        raise DeliverableError(f"--batch-size must be at least 1, got {batch_size}")
    if not spec.writes_csv and Path(output).suffix.lower() == ".csv":
        raise DeliverableError(f"--output {output} is named like a CSV file; {name} writes a folder of images "
                               f"(e.g. output/{name})")
    if spec.writes_csv and Path(output).is_dir():
        raise DeliverableError(f"--output {output} is a folder; {name} writes a CSV file (e.g. {output}/pred.csv)")
    if spec.writes_csv and Path(output).suffix.lower() != ".csv":  # --overwrite could never replace it after
        raise DeliverableError(f"--output {output}: {name} writes a CSV file, named *.csv (e.g. {output}.csv)")
    check_destination(Path(output), overwrite)  # before minutes of sampling, not after
    record, weights = read_deliverable(checkpoint, name)
    return spec.function("predict")(record, weights, input=input, output=output, n=n, steps=steps, size=size,
                                    guidance=guidance, seed=seed, batch_size=batch_size,
                                    device=device_named(device), overwrite=overwrite)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    start = time.perf_counter()
    try:
        checkpoint = args.checkpoint or default_checkpoint(args.problem, args.reports, args.input)
        written = predict(args.problem, checkpoint=checkpoint, input=args.input, output=args.output, n=args.n,
                          steps=args.steps, guidance=args.guidance, size=args.size, seed=args.seed,
                          batch_size=args.batch_size, device=args.device, overwrite=args.overwrite)
    except DeliverableError as error:
        print(f"helpers.predict {args.problem}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {written} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

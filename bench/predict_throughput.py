"""Images per second of ``helpers.predict`` from a report's checkpoints, on the CPU.

Measures, end to end through ``helpers.predict.predict`` (reading the checkpoint, decoding the input
PNGs, the forward passes, writing the output), the wall time and images per second of:
  - dann: a CSV for the embedded digits-s test images (28x28 RGB PNGs) with the checkpoint that
    reports/dann/metrics.json names;
  - segmentation: masks for the embedded digit-scenes validation canvases (64x64 PNGs);
  - conditional_diffusion: the 100-per-digit export (1,000 images) with DDIM 50 steps.
A problem whose metrics.json names no checkpoint is skipped with the reason. Best of ``--repeat``.
Hardware: the 2-core CPU machine of docs/design.md (torch 2.14.1), ``--threads`` torch threads.
Run: .venv/bin/python bench/predict_throughput.py [--reports reports] [--threads 2] [--repeat 2]
Got (2026-11-24, cpu-profile checkpoints, 2 threads, idle machine): dann 3,056 images/s (450 images);
segmentation (DeepLabV3, 64x64) 236 images/s; conditional_diffusion 100 per digit, DDIM 50: 89 s, 11.2 images/s.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from helpers.data.embedded import embedded_domains
from helpers.data.scenes import digit_scenes
from helpers.deliverables.files import save_image
from helpers.predict import predict


def write_pngs(images: torch.Tensor, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True)
    for i, image in enumerate(images):
        save_image(image, folder / name.format(i))
    return folder


def checkpoint_of(reports: Path, problem: str) -> Path | None:
    metrics = reports / problem / "metrics.json"
    entry = json.loads(metrics.read_text()).get("predict") if metrics.is_file() else None
    return Path(entry["checkpoint"]) if entry else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--ddim-steps", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        svhn = embedded_domains(["digits-s"])["digits-s"].test.images
        scenes = digit_scenes()["validation"][0]
        jobs = {
            "dann": (write_pngs(svhn, tmp / "svhn", "{:05d}.png"), "pred.csv", len(svhn), {}),
            "segmentation": (write_pngs(scenes, tmp / "scenes", "{:04d}_sat.png"), "masks", len(scenes), {}),
            "conditional_diffusion": (None, "digits", 1000, {"n": 100, "steps": args.ddim_steps}),
        }
        print(f"torch threads: {torch.get_num_threads()}, reports: {args.reports}")
        for problem, (input, output, count, options) in jobs.items():
            checkpoint = checkpoint_of(args.reports, problem)
            if checkpoint is None:
                print(f"{problem:<22} skipped: {args.reports}/{problem}/metrics.json names no checkpoint")
                continue
            times = []
            for r in range(args.repeat):
                start = time.perf_counter()
                predict(problem, checkpoint=checkpoint, input=input, output=tmp / f"{output}-{r}", device="cpu",
                        **options)
                times.append(time.perf_counter() - start)
            best = min(times)
            print(f"{problem:<22} {count:>5} images  {best:7.2f} s  {count / best:8.1f} images/s"
                  + (f"  (DDIM {args.ddim_steps} steps)" if problem == "conditional_diffusion" else ""))


if __name__ == "__main__":
    main()

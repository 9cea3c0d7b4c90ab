"""The gan notebook's mode-collapse experiment on the ring (helpers/gans/mode_collapse.py) over training seeds and
step budgets: per run and snapshot, the modes covered (of 8), the high-quality share, the mode nearest most
samples and their share (docs/tuning.md, "Mode collapse on the ring of eight Gaussians").
Run: .venv/bin/python bench/ring_collapse.py [--steps 2000,3000] [--seeds 0,1,2,3] [--processes 2]
"""
from __future__ import annotations

import argparse
import tempfile
import time

from helpers.core.config import make_config
from helpers.gans.config import GanConfig
from helpers.gans.mode_collapse import run_mode_collapse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="2000,3000")
    parser.add_argument("--seeds", default="0,1,2,3")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    print("| steps | seed | run | modes per snapshot | high quality per snapshot | nearest mode | its share | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for steps in map(int, args.steps.split(",")):
        config = make_config(GanConfig, "cpu", {"collapse_steps": steps})
        for seed in map(int, args.seeds.split(",")):
            with tempfile.TemporaryDirectory() as folder:
                started = time.perf_counter()
                runs = run_mode_collapse(config, device="cpu", seed=seed, checkpoint_dir=folder,
                                         processes=args.processes)
                seconds = time.perf_counter() - started
            for name, run in runs.items():
                history = run.history
                print(f"| {steps} | {seed} | {name} | {' '.join(f'{m:.0f}' for m in history['modes'])} | "
                      f"{' '.join(f'{q:.2f}' for q in history['high_quality'])} | "
                      f"{' '.join(f'{m:.0f}' for m in history['largest_mode'])} | "
                      f"{' '.join(f'{q:.2f}' for q in history['largest_share'])} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()

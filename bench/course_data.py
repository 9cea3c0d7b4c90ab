"""The adaptation notebooks on course-layout digit trees: do the recipes transfer off the embedded stand-ins?

Measures: target test accuracy per pair of source-only, DANN, ADDA, DANN + entropy minimisation and
target-only, as the dann and adda notebooks report them (papermill, the given profile, ``-p data TREE``), and
the seconds each notebook took; with ``--diffusion`` also conditional_diffusion's per-digit accuracy. The
trees come from bench/course_trees.py (or are the course's own folders); ``embedded`` runs the stand-ins.
Targets (#21 item 2): DANN >= source-only + 5 points where source-only < 90%; DANN >= 44 / 94 / 80 (a public
reference script's numbers on the issue's trees) on two of three pairs; ADDA and dann-em >= source-only.
One run's gain moves by about +-4 points with the training seed alone (docs/tuning.md), so ``--seeds 0 1 2 3`` runs
both notebooks once per training seed (their ``seed``) and prints, after each seed's table, the gains over
source-only per pair (their mean, then each seed's) and each target counted per run and judged on the seeds' means.
Hardware: the 2-core CPU machine of docs/design.md, cpu profile. No asserts on time.
Run: python bench/course_trees.py /tmp/trees/seed0 --seed 0
     python bench/course_data.py /tmp/trees/seed0 [/tmp/trees/seed1 embedded] [--seeds 0 1] [--diffusion] [--fresh]
         [-p epochs 88]
Got (2026-11-29, 2 shared cores): docs/tuning.md, "Adaptation on course-layout trees of our own"; with ``--seeds 0 1``
(2026-12-01): its "The plain trees over two training seeds".
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from statistics import mean

from helpers.report.execute import execute_notebook

ROWS = ("source-only", "dann", "adda", "dann-em", "target-only")
ADAPTED = ("dann", "adda", "dann-em")
# DANN's bar: a public reference script's accuracy on the course-layout trees (#21), by pair
REFERENCE = {"mnistm->svhn": 0.442, "mnistm->usps": 0.942, "svhn->mnistm": 0.800}
EPSILON = 1e-9  # accuracies are counts / test size: 0.875 - 0.825 is 5 points, not 4.99999


def run_notebook(name: str, data: str, reports: Path, profile: str, extra: dict | None = None) -> tuple[dict, float]:
    """Execute one notebook into ``reports/<name>``; its metrics.json and wall-clock seconds."""
    start = time.perf_counter()
    execute_notebook(name, profile=profile, data=data, reports_dir=reports, extra_parameters=extra,
                     progress_bar=False)
    seconds = time.perf_counter() - start
    return json.loads((reports / name / "metrics.json").read_text()), seconds


def adaptation_table(dann: dict, adda: dict | None) -> list[dict]:
    accuracy = {**dann["results"]["accuracy"], **(adda["results"]["accuracy"] if adda else {})}
    accuracy["dann"] = dann["results"]["accuracy"]["dann"]  # the dann notebook's own row
    return [{"pair": pair, **{row: accuracy[row][pair] for row in ROWS if row in accuracy}}
            for pair in dann["results"]["accuracy"]["dann"]]


def print_table(title: str, rows: list[dict], seconds: dict[str, float]) -> None:
    columns = [c for c in ROWS if any(c in r for r in rows)]
    print(f"\n{title}")
    print(f"| pair | {' | '.join(columns)} |")
    print("|---" * (len(columns) + 1) + "|")
    for row in rows:
        cells = [f"{100 * row[c]:.1f}" if c in row else "" for c in columns]
        print(f"| {row['pair']} | {' | '.join(cells)} |")
    print("seconds: " + ", ".join(f"{name} {s:.0f}" for name, s in seconds.items()))


def points(value: float) -> str:
    return f"{100 * value:+.1f}"


def seed_summary(runs: list[list[dict]]) -> list[str]:
    """Lines judging #21 item 2 over the training seeds' tables (:func:`adaptation_table`, one per seed): a table of
    each method's gain over source-only per pair (the seeds' mean, then each seed's), then each target counted per
    run (pair and seed) and judged on the seeds' means."""
    seeds = [{row["pair"]: row for row in table} for table in runs]
    pairs = list(seeds[0])
    methods = [m for m in ADAPTED if m in seeds[0][pairs[0]]]
    source = {p: [run[p]["source-only"] for run in seeds] for p in pairs}
    gains = {(m, p): [run[p][m] - run[p]["source-only"] for run in seeds] for m in methods for p in pairs}
    lines = [f"| pair | source-only | {' | '.join(f'{m} - source-only' for m in methods)} |",
             "|---" * (len(methods) + 2) + "|"]
    for pair in pairs:
        cells = [f"{points(mean(g))} ({' '.join(points(x) for x in g)})" for g in (gains[m, pair] for m in methods)]
        lines.append(f"| {pair} | {100 * mean(source[pair]):.1f} | {' | '.join(cells)} |")
    if "dann" in methods:
        below_90 = [gains["dann", p][i] for p in pairs for i, s in enumerate(source[p]) if s < 0.90]
        on_means = [f"{p} {points(g)} ({'met' if g >= 0.05 - EPSILON else 'not met'})"
                    for p in pairs if mean(source[p]) < 0.90 for g in [mean(gains["dann", p])]]
        lines.append(f"DANN >= source-only + 5 where source-only < 90%: {sum(g >= 0.05 - EPSILON for g in below_90)} "
                     f"of {len(below_90)} runs; on the means: " + (", ".join(on_means) or "no pair below 90%"))
        barred = [p for p in pairs if p in REFERENCE]
        if barred:
            reached = [p for p in barred if mean(run[p]["dann"] for run in seeds) >= REFERENCE[p] - EPSILON]
            lines.append(f"DANN >= the reference ({' / '.join(f'{100 * REFERENCE[p]:.0f}' for p in barred)}) on "
                         f"two of three pairs: on the means {len(reached)} of {len(barred)}"
                         + (f" ({', '.join(reached)})" if reached else ""))
    for method in ("adda", "dann-em"):
        if method in methods:
            each = [g for p in pairs for g in gains[method, p]]
            below = [p for p in pairs if mean(gains[method, p]) < -EPSILON]
            lines.append(f"{method} >= source-only: {sum(g >= -EPSILON for g in each)} of {len(each)} runs; "
                         f"on the means {len(pairs) - len(below)} of {len(pairs)} pairs"
                         + (f" (below: {', '.join(below)})" if below else ""))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", help="course-layout trees, or 'embedded'")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="the notebooks' training seeds")
    parser.add_argument("--reports", type=Path, default=Path("reports/bench_course"))
    parser.add_argument("--no-adda", action="store_true", help="run the dann notebook only")
    parser.add_argument("--diffusion", action="store_true", help="also run conditional_diffusion (mnistm domain)")
    parser.add_argument("--fresh", action="store_true", help="delete earlier reports (checkpoints) first")
    parser.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="a notebook parameter for dann and adda, e.g. -p epochs 88 (VALUE read as JSON)")
    args = parser.parse_args()
    params = {name: json.loads(value) for name, value in args.param}
    for data in args.data:
        label = "embedded" if data == "embedded" else Path(data).resolve().name
        if args.fresh and (args.reports / label).exists():
            shutil.rmtree(args.reports / label)
        runs = []
        for seed in args.seeds:
            reports = (args.reports / label / f"seed{seed}").resolve()
            seconds = {}
            dann_params = {**{k: v for k, v in params.items() if k != "adapt_epochs"}, "seed": seed}
            dann, seconds["dann"] = run_notebook("dann", data, reports, args.profile, dann_params)
            adda = None
            if not args.no_adda:
                adda, seconds["adda"] = run_notebook(
                    "adda", data, reports, args.profile,
                    {"dann_metrics": str(reports / "dann" / "metrics.json"), **params, "seed": seed})
            runs.append(adaptation_table(dann, adda))
            print_table(f"{label} ({args.profile} profile, seed {seed}): target test accuracy, %", runs[-1], seconds)
        if len(runs) > 1:
            print(f"\n{label}: gains over source-only, points, mean (seeds {' '.join(map(str, args.seeds))})")
            print("\n".join(seed_summary(runs)))
        if args.diffusion:
            diffusion, s = run_notebook("conditional_diffusion", data, (args.reports / label).resolve(), args.profile)
            overall = diffusion["results"]["per_digit"]["overall"]["accuracy"]  # of every sample, all digits alike
            print(f"conditional_diffusion: {100 * overall:.1f}% per-digit accuracy "
                  f"({diffusion['params']['sampler']}), {s:.0f} s")


if __name__ == "__main__":
    main()

"""Command line of the report pipeline (what the Makefile calls).

    python -m helpers.report run dann --profile smoke --data embedded --reports reports [--params "epochs=5 ..."]
    python -m helpers.report combine --reports reports dann gan ... [--only]
        (the sections earlier runs left in the reports folder too, unless --only)
        (a notebook or metrics.json that cannot be read shows its error in its section; report.html is
        written all the same, and the command then exits 1 naming the damaged files)
    python -m helpers.report results --reports reports     (the README's results table, Markdown)
    python -m helpers.report profile [NAME] [--recalibrate] [--name-only]
        (checks NAME, default auto; for auto, the profile it picks on this machine and why)
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from helpers.core.checkpoint import atomic_write_text
from helpers.core.config import PROFILE_ENV, auto_choice, resolve_profile
from helpers.report.combine import NOT_STARTED, DamagedSections, build_report, earlier_sections
from helpers.report.errors import error_summary
from helpers.report.execute import KERNEL, NotStarted, execute_notebook
from helpers.report.parameters import parse_parameters
from helpers.report.results import results_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute one notebook with papermill and render its HTML")
    run.add_argument("name", help="notebook name, e.g. dann")
    run.add_argument("--profile", default="auto", help="smoke | cpu-lite | cpu | gpu | auto (default)")
    run.add_argument("--data", default="embedded", help="'embedded' (default) or a path to the course data")
    run.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    run.add_argument("--notebooks", default="notebooks", help="notebooks folder (default: notebooks)")
    run.add_argument("--kernel", default=KERNEL, help=f"Jupyter kernel (default: {KERNEL})")
    run.add_argument("--params", default="", help="the notebook's other parameters, words of name=value, e.g. "
                                                  "\"attribute=Smiling labels_csv=hw2_data/face/train.csv\"")
    combine = commands.add_parser("combine", help="build reports/report.html from the executed notebooks")
    combine.add_argument("names", nargs="+", help="notebook names")
    combine.add_argument("--reports", default="reports")
    combine.add_argument("--output", default=None, help="default: <reports>/report.html")
    combine.add_argument("--only", action="store_true", help="only the named notebooks (default: also the "
                         "sections that earlier runs left in the reports folder, e.g. each with its own DATA)")
    results = commands.add_parser("results", help="print the results table of a run's metrics.json files (Markdown)")
    results.add_argument("--reports", default="reports")
    profile = commands.add_parser("profile", help="check a profile's name; for auto, print what it picks here and why")
    profile.add_argument("name", nargs="?", default="auto", help="smoke | cpu-lite | cpu | gpu | auto (default)")
    profile.add_argument("--recalibrate", action="store_true",
                         help="measure this CPU again instead of reading the cached calibration")
    profile.add_argument("--name-only", action="store_true", help="print only the profile it resolves to")
    args = parser.parse_args(argv)

    if args.command == "run":
        try:
            extra = parse_parameters(args.params)
        except ValueError as error:
            print(f"helpers.report run: {error}", file=sys.stderr)
            return 2
        try:
            path = execute_notebook(args.name, profile=args.profile, data=args.data, reports_dir=args.reports,
                                    notebooks_dir=args.notebooks, kernel=args.kernel, extra_parameters=extra)
        except NotStarted as error:  # nothing ran: said in its section of the combined report, earlier results kept
            folder = Path(args.reports) / args.name
            earlier = (folder / f"{args.name}.ipynb").exists()
            kept = f"its earlier results in {folder} are left as they were" if earlier else "it has no earlier results"
            print(f"\nnotebook {args.name} not run: {error}\n{kept}", file=sys.stderr)
            if (Path(args.notebooks) / f"{args.name}.ipynb").is_file():
                try:
                    atomic_write_text(folder / NOT_STARTED, str(error))
                except OSError as unwritable:
                    print(f"(its section in the combined report cannot say so: {unwritable})", file=sys.stderr)
            return 1
        except Exception as error:  # the notebook's own message in full; the traceback is in the executed notebook
            print(f"\nnotebook {args.name} failed: {error_summary(error)}\n"
                  f"the executed notebook with the full traceback: {args.reports}/{args.name}/{args.name}.ipynb",
                  file=sys.stderr)
            return 1
        print(f"wrote {path}")
    elif args.command == "profile":
        if args.name == "auto" and not os.environ.get(PROFILE_ENV):
            chosen, why = auto_choice(recalibrate=args.recalibrate)
        else:  # a name given, or auto overridden by the environment: checked, nothing measured
            try:
                chosen, why = resolve_profile(args.name), f"environment variable {PROFILE_ENV}"
            except ValueError as error:
                print(f"helpers.report profile: {error}", file=sys.stderr)
                return 2
        if args.name_only:
            print(chosen)
        elif args.name == "auto":
            print(f"auto: {chosen} ({why})")
    elif args.command == "results":
        try:
            print(results_table(args.reports))
        except FileNotFoundError as error:
            print(error, file=sys.stderr)
            return 1
    else:
        try:
            earlier = [] if args.only else earlier_sections(args.reports, args.names)
            print(f"wrote {build_report(args.reports, args.names, args.output, earlier)}")
        except DamagedSections as error:  # the report is written; the damaged sections show their error
            print(f"helpers.report combine: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

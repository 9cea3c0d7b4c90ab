"""What a notebook says about its deliverable: the checkpoint and a predict command that uses it.

The entry goes into metrics.json under ``predict`` (``make predict`` and ``helpers.predict`` without
``--checkpoint`` read it from there) and into the report section as a short Markdown paragraph.
"""
from __future__ import annotations

import shlex
from pathlib import Path


# Where `make predict` and helpers.evaluate look by default: the repository's reports/.
DEFAULT_REPORTS = Path(__file__).resolve().parents[2] / "reports"


def predict_entry(problem: str, checkpoint: Path | str, *, input: str | None = None, output: str,
                  truth: str | None = None, profile: str | None = None, seed: int = 0) -> dict[str, str]:
    """``{"checkpoint", "command", "make"[, "evaluate"]}`` for ``metrics.json``; ``input``/``output``/``truth``
    are example paths in the course's layout (the README's), shown to the reader as they are. A checkpoint under
    another reports folder than the default (``REPORTS=``) names that folder in the make command, one outside any
    ``<reports>/<problem>/checkpoints/`` itself; ``profile`` (given for the problems that the suite's digit classifier
    grades, which is sized by the profile) goes to the evaluate command, with the reports folder of its cache and a
    ``seed`` other than 0 (the digits and the classifier a notebook grades with depend on it; predict's noise too)."""
    checkpoint = Path(checkpoint).resolve()
    words = ["python", "-m", "helpers.predict", problem, "--checkpoint", str(checkpoint)]
    make = ["make", "predict", f"PROBLEM={problem}"]
    grade = []
    # <reports>/<problem>/checkpoints/<file>: what make predict finds through <reports>/<problem>/metrics.json
    in_reports = checkpoint.parent.name == "checkpoints" and checkpoint.parents[1].name == problem
    if not in_reports:  # a notebook run by hand into a folder of another name (papermill -p out_dir ...)
        make.append(f"CHECKPOINT={checkpoint}")
    elif checkpoint.parents[2] != DEFAULT_REPORTS:
        make.append(f"REPORTS={checkpoint.parents[2]}")
    if profile is not None:  # the digit classifier's cache (reports/_judge) and its size
        if in_reports and checkpoint.parents[2] != DEFAULT_REPORTS:
            grade += ["--reports", str(checkpoint.parents[2])]
        grade += ["--profile", profile] + (["--seed", str(seed)] if seed else [])
        if seed:  # the generated noise, as the notebook drew it
            words += ["--seed", str(seed)]
            make.append(f"SEED={seed}")
    if input is not None:
        words += ["--input", input]
        make.append(f"INPUT={input}")
    words += ["--output", output]
    make.append(f"OUTPUT={output}")
    entry = {"checkpoint": str(checkpoint), "command": shlex.join(words), "make": shlex.join(make)}
    if truth is not None:
        entry["evaluate"] = shlex.join(["python", "-m", "helpers.evaluate", problem, output, truth, *grade])
    return entry


def predict_markdown(entry: dict[str, str]) -> str:
    """The report's paragraph: where the checkpoint is and how to run it on new data."""
    lines = [f"**Deliverable.** The trained model is in `{entry['checkpoint']}`. To run it on new data "
             f"(the course's format, see the README's *Predict and evaluate*):", "",
             f"    {entry['command']}", "", f"or `{entry['make']}`."]
    if "evaluate" in entry:
        lines += ["", "and to grade the output:", "", f"    {entry['evaluate']}"]
    return "\n".join(lines)

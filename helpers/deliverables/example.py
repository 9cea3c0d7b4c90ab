"""What a notebook says about its deliverable: the checkpoint and a predict command that uses it.

The entry goes into metrics.json under ``predict`` (``make predict`` and ``helpers.predict`` without
``--checkpoint`` read it from there) and into the report section as a short Markdown paragraph.
"""
from __future__ import annotations

import shlex
from pathlib import Path


def predict_entry(problem: str, checkpoint: Path | str, *, input: str | None = None, output: str,
                  truth: str | None = None) -> dict[str, str]:
    """``{"checkpoint", "command", "make"[, "evaluate"]}`` for ``metrics.json``; ``input``/``output``/``truth``
    are example paths in the course's layout (the README's), shown to the reader as they are."""
    checkpoint = str(Path(checkpoint).resolve())
    words = ["python", "-m", "helpers.predict", problem, "--checkpoint", checkpoint]
    make = ["make", "predict", f"PROBLEM={problem}"]
    if input is not None:
        words += ["--input", input]
        make.append(f"INPUT={input}")
    words += ["--output", output]
    make.append(f"OUTPUT={output}")
    entry = {"checkpoint": checkpoint, "command": shlex.join(words), "make": shlex.join(make)}
    if truth is not None:
        entry["evaluate"] = shlex.join(["python", "-m", "helpers.evaluate", problem, output, truth])
    return entry


def predict_markdown(entry: dict[str, str]) -> str:
    """The report's paragraph: where the checkpoint is and how to run it on new data."""
    lines = [f"**Deliverable.** The trained model is in `{entry['checkpoint']}`. To run it on new data "
             f"(the course's format, see the README's *Predict and evaluate*):", "",
             f"    {entry['command']}", "", f"or `{entry['make']}`."]
    if "evaluate" in entry:
        lines += ["", "and to grade the output:", "", f"    {entry['evaluate']}"]
    return "\n".join(lines)

"""A notebook's other parameters from the command line (`make report PARAMS=...`, `helpers.report run --params`)."""
from __future__ import annotations

import ast
import shlex
from pathlib import Path

# Parameters that name a file. Their values that are bare words (classification's pretrained="auto", "imagenet",
# "none") are not paths; any other is, and a relative one is the caller's: papermill runs the notebook from notebooks/.
PATH_PARAMETERS = ("labels_csv", "inception_weights", "gan_metrics", "dann_metrics", "pretrained")


def parse_parameters(text: str) -> dict:
    """``PARAMS='attribute=Smiling labels_csv="my data/train.csv" settings=["A","C","E"]'``: shell-style words of
    ``name=value``; a value that reads as a Python literal (number, list, True, None) is that literal, any other is
    a string."""
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise ValueError(f"PARAMS={text!r}: {error}") from None
    parameters = {}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"PARAMS: {word!r} is not name=value (e.g. PARAMS='attribute=Smiling epochs=5')")
        try:
            parameters[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parameters[name] = value
    return parameters


def is_path(value: str) -> bool:
    """Not a bare word: it has a folder, a file extension or a leading ~."""
    path = Path(value)
    return len(path.parts) > 1 or bool(path.suffix) or value.startswith("~")


def absolute_paths(parameters: dict) -> dict:
    """``parameters`` with the relative paths among :data:`PATH_PARAMETERS` made absolute, from the working
    directory."""
    resolved = dict(parameters)
    for name in PATH_PARAMETERS:
        value = resolved.get(name)
        if isinstance(value, str) and is_path(value):
            resolved[name] = str(Path(value).expanduser().resolve())
    return resolved

"""A notebook's other parameters from the command line (`make report PARAMS=...`, `helpers.report run --params`)."""
from __future__ import annotations

import ast
from pathlib import Path

# Parameters that name a file. A value that is a path (it has a folder, a file extension or a leading ~, or names
# something that exists) is the caller's: made absolute, since papermill runs the notebook from notebooks/. Other
# values are keywords (pretrained="auto", "imagenet", "none" of classification and segmentation).
PATH_PARAMETERS = ("labels_csv", "inception_weights", "gan_metrics", "dann_metrics", "pretrained")
# Those of them a notebook must find when given as a path (a missing one stops it; a missing gan_metrics or
# dann_metrics only means training that row again): checked before the run starts.
REQUIRED_PATHS = ("labels_csv", "inception_weights", "pretrained")
# What make's own variables set: PROFILE=, DATA= and REPORTS= (out_dir), not PARAMS.
RESERVED = {"profile": "PROFILE=", "data": "DATA=", "out_dir": "REPORTS="}
QUOTES, OPENING, CLOSING = "'\"", "([{", ")]}"


def words(text: str) -> list[str]:
    """``text`` split at whitespace outside quotes and brackets; the quotes are kept (``settings=["A","C"]`` keeps
    its inner quotes, which shell-style splitting would drop)."""
    found, current, quote, depth = [], "", None, 0
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in QUOTES:
            quote = char
        elif char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth -= 1
        elif char.isspace() and depth == 0:
            if current:
                found.append(current)
            current = ""
            continue
        current += char
    if quote or depth:
        raise ValueError(f"PARAMS={text!r}: {'a quote' if quote else 'a bracket'} is not closed")
    return [*found, current] if current else found


def parse_parameters(text: str) -> dict:
    """``PARAMS='attribute=Smiling labels_csv="my data/train.csv" settings=["A","C","E"] epochs=5'``: words of
    ``name=value``. Quotes around a whole value only group it (as in a shell); a value that then reads as a Python
    literal (number, list, True, None) is that literal, any other is a string."""
    parameters = {}
    for word in words(text):
        name, sep, value = word.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"PARAMS: {word!r} is not name=value (e.g. PARAMS='attribute=Smiling epochs=5')")
        if name in RESERVED:
            raise ValueError(f"PARAMS: {name} is set by make's {RESERVED[name]}, not by PARAMS")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in QUOTES:
            value = value[1:-1]
        try:
            parameters[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parameters[name] = value
    return parameters


def is_path(value: str) -> bool:
    path = Path(value).expanduser()
    return len(path.parts) > 1 or bool(path.suffix) or value.startswith("~") or path.exists()


def absolute_paths(parameters: dict) -> dict:
    """``parameters`` with the relative paths among :data:`PATH_PARAMETERS` made absolute, from the working
    directory."""
    resolved = dict(parameters)
    for name in PATH_PARAMETERS:
        value = resolved.get(name)
        if isinstance(value, str) and is_path(value):
            resolved[name] = str(Path(value).expanduser().resolve())
    return resolved

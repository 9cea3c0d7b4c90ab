"""A failed notebook's error, as a reader wants it (the terminal of `make report`, `make gpu-check`'s table)."""
from __future__ import annotations


def error_summary(error: BaseException, *, one_line: bool = False) -> str:
    """For a notebook that raised (papermill's ``PapermillExecutionError``), its own exception's type and message:
    papermill's text ends with the traceback, whose last line may be the tail of a multi-line message, such as a
    data layout, without the path at fault. Else the error's type and message. ``one_line``: the message's first
    line only."""
    name = getattr(error, "ename", None)
    message = getattr(error, "evalue", None)
    if name is None or message is None:
        name, message = type(error).__name__, str(error)
    lines = [line.rstrip() for line in str(message).strip().splitlines() if line.strip()]
    if name == "DeadKernelError":  # nbclient's "Kernel died": no exception of the notebook's own to show
        lines = [*(lines or ["Kernel died"])[:1], "the notebook's Python process ended without an exception: out of "
                 "memory (try a smaller batch_size or profile) or a crash in native code (torch, oneDNN); the executed "
                 "notebook in the report folder shows the last cell that ran"]
    if not lines:
        return name
    text = lines[0] if one_line else "\n".join(lines)
    return f"{name}: {text}"

"""Run one notebook the way ``make report`` does: papermill with parameters, then HTML."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import papermill
from traitlets.config import Config

from helpers.report.combine import NOT_STARTED
from helpers.report.parameters import REQUIRED_PATHS, absolute_paths, is_path
from helpers.report.render import render_html

KERNEL = "dlcv-report"


class NotStarted(ValueError):
    """A run refused before anything of it was written: no notebook of that name, a parameter it does not have, a
    DATA folder or a weights or labels file that does not exist. The notebook's earlier results, if any, stay."""


def kernel_config() -> Config:
    """CurveZMQ keys for the kernel's sockets where its kernelspec supports them (ipykernel 7.3 and later, which
    warns "Kernel is running over TCP without encryption" on every start otherwise); a kernel without that support,
    an older jupyter_client or a pyzmq built without CurveZMQ runs as before."""
    import zmq
    from jupyter_client.manager import KernelManager

    if KernelManager.class_traits().get("transport_encryption") is None or not zmq.has("curve"):
        return Config()
    return Config({"KernelManager": {"transport_encryption": "auto"}})


# Prints, last, the checkout whose helpers an interpreter imports (by helpers.report: a package, not a namespace).
WHERE_HELPERS = ("import os, helpers.report as r; print(); "
                 "print(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(r.__file__)))))")


@dataclass(frozen=True)
class KernelProbe:
    """How to ask a kernel's environment a question: the kernel's own command up to ``-m ipykernel_launcher`` (its
    interpreter, the interpreter's flags, any launcher before it) and the environment the kernel starts with."""

    command: list[str]
    env: dict[str, str]
    spec_dir: str  # the kernelspec's folder
    in_environment: bool  # the kernelspec is this environment's own (make installs it with --sys-prefix)


def kernel_probe(kernel: str) -> KernelProbe | None:
    """The :class:`KernelProbe` of ``kernel``, from its kernelspec as jupyter_client starts it: the spec found first
    (``JUPYTER_PATH``, then the environment's and the user's folders in jupyter's order), ``{prefix}`` and
    ``{resource_dir}`` filled in, "python", "python3" or "python3.X" as the first word meaning this interpreter, the
    spec's ``env`` over this process's. None (and a warning) where the command is not a Python running
    ``-m ipykernel_launcher`` (or ``-m ipykernel``) or the kernel is started by another provisioner than the local
    one: nothing to ask then, and such a kernel is not refused. A kernel with no spec raises :class:`NotStarted`."""
    from string import Template

    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = "python3" if kernel == "python" else kernel  # jupyter_client's alias
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise NotStarted(f"no Jupyter kernel named {kernel!r} (`jupyter kernelspec list` lists them; make installs "
                         f"{KERNEL} into its environment, and `--kernel` or KERNEL= picks another)") from None
    values = {"prefix": sys.prefix, "resource_dir": spec.resource_dir}
    command = [re.sub(r"\{([A-Za-z0-9_]+)\}", lambda m: values.get(m.group(1), m.group()), arg) for arg in spec.argv]
    pythons = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    if command and command[0] in pythons:
        command[0] = sys.executable
    env = {**os.environ, **{k: Template(v).safe_substitute(os.environ) for k, v in spec.env.items()}}
    env.pop("PYTHONEXECUTABLE", None)
    starts = [i for i in range(len(command) - 1)
              if command[i] == "-m" and command[i + 1] in ("ipykernel_launcher", "ipykernel")]
    default = os.environ.get("JUPYTER_DEFAULT_PROVISIONER_NAME", "local-provisioner")
    provisioner = ((spec.metadata or {}).get("kernel_provisioner") or {}).get("provisioner_name", default)
    if not starts or provisioner != "local-provisioner":
        warnings.warn(f"kernel {kernel} ({spec.resource_dir}) does not start a local Python with -m ipykernel_launcher"
                      f" ({' '.join(spec.argv)}): which helpers it imports is not checked", stacklevel=3)
        return None
    command = command[:starts[0]]
    command[0] = shutil.which(command[0], path=env.get("PATH")) or command[0]
    in_environment = Path(spec.resource_dir).resolve().is_relative_to(Path(sys.prefix).resolve())
    return KernelProbe(command, env, spec.resource_dir, in_environment)


def notebook_kernel(source: Path) -> str:
    """The kernel a notebook names in its metadata (papermill's choice when none is given)."""
    try:
        return json.loads(source.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise NotStarted(f"{source}: no kernelspec in its metadata ({type(error).__name__}: {error}); name a kernel "
                         f"(--kernel)") from None


def check_helpers_source(notebooks_dir: Path, kernel: str = KERNEL) -> None:
    """Refuse (:class:`NotStarted`) to run a checkout's notebooks when their kernel would import ``helpers`` from
    elsewhere: the kernel starts in ``notebooks_dir`` and finds ``helpers`` by its environment's install, so a
    ``VENV=`` made by another checkout (its editable install points there), or a kernelspec of that name found
    before make's (``JUPYTER_PATH``, or a user's own where jupyter prefers those) running another environment,
    would run these notebooks on other code. The kernel's own command asks (:func:`kernel_probe`). Notebooks outside
    a checkout (no ``helpers/`` package beside them) are not checked."""
    root = notebooks_dir.resolve().parent
    if not (root / "helpers" / "__init__.py").is_file():
        return
    probe = kernel_probe(kernel)
    if probe is None:
        return
    asked = " ".join(probe.command)
    where = f"kernel {kernel}, {probe.spec_dir}"
    try:
        found = subprocess.run([*probe.command, "-c", WHERE_HELPERS], cwd=notebooks_dir, env=probe.env,
                               capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NotStarted(f"could not ask {asked} ({where}) where it imports helpers from: {error}") from error
    lines = found.stdout.strip().splitlines()
    imported = Path(lines[-1]) if found.returncode == 0 and lines else None
    if imported is not None and imported.is_dir() and os.path.samefile(imported, root):
        return
    # the Makefile's TORCH=system keeps the system's torch with its own constraints, in <prefix> of <prefix>/bin/python
    constraints = Path(probe.command[0]).parent.parent / "constraints-system.txt"
    constraints = constraints if constraints.is_file() else root / "constraints.txt"
    reinstall = (f"{shlex.join(probe.command)} -m pip install -c {shlex.quote(str(constraints))} "
                 f"-e {shlex.quote(str(root) + '[dev]')}")
    if probe.in_environment:
        fix = (f"Run make without VENV= (it makes ./.venv for this checkout), or install this checkout there: "
               f"{reinstall}")
    elif kernel == KERNEL:
        fix = (f"That kernelspec is not the one make installs (in {sys.prefix}): remove it (jupyter kernelspec "
               f"remove {kernel}), or install this checkout into its environment: {reinstall}")
    else:
        fix = f"Run with make's kernel ({KERNEL}), or install this checkout into that kernel's environment: {reinstall}"
    if imported is None:
        error = (found.stderr.strip().splitlines() or [f"exit code {found.returncode}"])[-1]
        raise NotStarted(f"{asked} ({where}) cannot import helpers ({error}): this checkout ({root}) is not "
                         f"installed in its environment. {fix}")
    raise NotStarted(f"{asked} ({where}) imports helpers from {imported}, not from this checkout ({root}): its "
                     f"environment was installed from another checkout (or not as editable). {fix}")


def execute_notebook(name: str, *, profile: str = "auto", data: str = "embedded", reports_dir: Path | str = "reports",
                     notebooks_dir: Path | str = "notebooks", kernel: str | None = KERNEL,
                     extra_parameters: dict | None = None, progress_bar: bool = True) -> Path:
    """Execute ``notebooks/<name>.ipynb`` into ``reports/<name>/<name>.ipynb`` and render ``<name>.html``.
    ``extra_parameters`` are the notebook's other parameters (relative paths among them are the caller's). A name
    the notebook does not have, a ``data`` folder or a file of ``REQUIRED_PATHS`` that does not exist raises
    :class:`NotStarted` before anything is written or removed, as does an environment installed from another checkout
    (:func:`check_helpers_source`).

    The executed notebook is written under a temporary name and renamed when papermill ends, so an earlier
    report is never left half-overwritten. The previous run's HTML and metrics.json are removed first, so a
    run killed outright (SIGKILL, out of memory) never leaves them looking current; its checkpoints stay,
    for the next run to resume from. If the notebook fails, the failed notebook (with its error) is kept
    and the error is raised. Papermill changes the process's working directory while the notebook runs: run
    two at a time in processes, not threads."""
    notebooks_dir, reports_dir = Path(notebooks_dir).resolve(), Path(reports_dir).resolve()
    source = notebooks_dir / f"{name}.ipynb"
    if not source.is_file():
        available = sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))
        raise NotStarted(f"no notebook {source}; available: {', '.join(available)}")
    declared = papermill.inspect_notebook(str(source))
    unknown = sorted(set(extra_parameters or {}) - set(declared))
    if unknown:  # papermill would only warn, and the notebook run on its defaults
        raise NotStarted(f"notebook {name} has no parameter {', '.join(unknown)} (PARAMS goes to every notebook in "
                         f"NOTEBOOKS); its parameters: {', '.join(declared)}")
    check_helpers_source(notebooks_dir, kernel or notebook_kernel(source))
    if data != "embedded" and not Path(data).expanduser().exists():
        raise NotStarted(f"DATA {data}: no such folder (README.md, 'Course data', gives each notebook's layout)")
    for parameter in REQUIRED_PATHS:
        value = (extra_parameters or {}).get(parameter)
        if isinstance(value, str) and is_path(value) and not Path(value).expanduser().exists():
            raise NotStarted(f"{parameter}={value}: no such file or folder")
    out_dir = reports_dir / name
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / NOT_STARTED).unlink(missing_ok=True)
    executed, html = out_dir / f"{name}.ipynb", out_dir / f"{name}.html"
    partial = out_dir / f".{name}.running.ipynb"
    data_parameter = data if data == "embedded" else str(Path(data).expanduser().resolve())
    parameters = {"profile": profile, "data": data_parameter, "out_dir": os.path.relpath(out_dir, notebooks_dir),
                  **absolute_paths(extra_parameters or {})}
    for stale in (html, out_dir / "metrics.json"):
        stale.unlink(missing_ok=True)
    try:
        papermill.execute_notebook(str(source), str(partial), parameters=parameters, kernel_name=kernel,
                                   cwd=str(notebooks_dir), progress_bar=progress_bar, config=kernel_config())
    except BaseException:
        if partial.exists():
            os.replace(partial, executed)
        html.unlink(missing_ok=True)
        raise
    os.replace(partial, executed)
    return render_html(executed, html)

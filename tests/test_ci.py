""".ci/run: a machine that has apt but could not install Chromium fails CI instead of skipping the browser test.
apt-get, chromium and make are stand-ins on a PATH of their own here."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("dirname") is None, reason="no bash")


def ci_run(tmp_path: Path, *, apt: str | None) -> subprocess.CompletedProcess:
    """.ci/run with only bash, dirname, ``make`` (prints 'make test') and, if given, ``apt-get`` (this script)."""
    path = tmp_path / "bin"
    path.mkdir()
    for tool in ("bash", "dirname"):
        (path / tool).symlink_to(shutil.which(tool))
    tools = {"make": 'echo "make $*"', **({"apt-get": apt} if apt is not None else {})}
    for name, body in tools.items():
        (path / name).write_text(f"#!{shutil.which('bash')}\n{body}\n")
        (path / name).chmod(0o755)
    return subprocess.run([shutil.which("bash"), str(ROOT / ".ci" / "run")], capture_output=True, text=True,
                          env={**os.environ, "PATH": str(path)})


def test_a_failed_chromium_install_fails_ci_where_apt_exists(tmp_path):
    done = ci_run(tmp_path, apt="exit 100")  # e.g. no network, or no such package
    assert done.returncode != 0 and "could not install chromium" in done.stderr
    assert "make test" not in done.stdout  # the tests do not run with the browser test skipped


def test_an_install_that_leaves_no_chromium_fails_too(tmp_path):
    done = ci_run(tmp_path, apt="exit 0")  # apt says yes, but no chromium command appears
    assert done.returncode != 0 and "could not install chromium" in done.stderr


def test_without_apt_the_browser_test_is_skipped_with_a_message(tmp_path):
    done = ci_run(tmp_path, apt=None)
    assert done.returncode == 0 and "make test" in done.stdout and "will be skipped" in done.stderr

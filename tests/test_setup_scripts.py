"""The set-up scripts a new user and CI run: ``install.sh`` (the README's two commands) and
``.ci/run``. Each is run for real on a copy in a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAKE_OLD_PYTHON = """#!/bin/sh
# a Python 3.11 as far as install.sh can tell
case "$2" in *print*) echo 3.11.7 ;; *) exit 1 ;; esac
"""


def copy_scripts(tmp_path: Path) -> Path:
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / "install.sh", tmp_path / "install.sh")
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    return tmp_path


def fake_python(path: Path, text: str = FAKE_OLD_PYTHON) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VIRTUAL_ENV")}
    return subprocess.run(
        args, cwd=cwd, env={**environ, **env}, capture_output=True, text=True, timeout=300
    )


def test_install_refuses_a_python_that_is_too_old_in_one_line(tmp_path):
    repo = copy_scripts(tmp_path)
    old = fake_python(tmp_path / "bin" / "python3.11")
    proc = run(["bash", "install.sh"], repo, PYTHON=str(old))
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"install.sh: PYTHON={old} is Python 3.11.7; negsim needs Python >= 3.12"
    ]
    assert not (repo / ".venv").exists()


def test_install_recreates_a_venv_another_python_made_and_reuses_its_own(tmp_path):
    repo = copy_scripts(tmp_path)
    fake_python(repo / ".venv" / "bin" / "python")  # left over from a first try with 3.11
    version = ".".join(map(str, sys.version_info[:3]))
    plan = run(["bash", "install.sh", "test"], repo, PYTHON=sys.executable,
               NEGSIM_INSTALL_DRY_RUN="1")  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.strip() == (
        f"create .venv with Python {version} ({sys.executable}; it held: 3.11.7); "
        "pip install -e .[test]"
    )
    (repo / ".venv" / "bin" / "python").unlink()
    (repo / ".venv" / "bin" / "python").symlink_to(sys.executable)
    plan = run(["bash", "install.sh"], repo, PYTHON=sys.executable, NEGSIM_INSTALL_DRY_RUN="1")
    assert plan.stdout.strip() == f"reuse .venv (Python {version}); pip install -e ."


def test_ci_fails_when_the_install_fails_and_runs_nothing_after_it(tmp_path):
    """The README's chain `install && pytest` under `set -e`: a failing install must fail
    CI, not skip the tests and let the lint steps exit 0. Here .venv's Python is the right
    version but its pip fails, and a ruff that would pass records that it was called."""
    repo = copy_scripts(tmp_path)
    fake_python(
        repo / ".venv" / "bin" / "python",
        f"""#!/bin/sh
if [ "$1" = "-m" ]; then echo "ERROR: pip failed" >&2; exit 1; fi
exec {sys.executable} "$@"
""",
    )
    fake_python(repo / ".venv" / "bin" / "ruff", f"#!/bin/sh\ntouch {tmp_path}/ruff-ran\n")
    proc = run(["bash", ".ci/run"], repo, PYTHON=sys.executable, CI="true")
    assert proc.returncode != 0
    assert "install.sh: reuse .venv" in proc.stderr and "ERROR: pip failed" in proc.stderr
    assert not (tmp_path / "ruff-ran").exists()  # nothing ran after the failed install


def test_ci_installs_chromium_when_missing_and_fails_if_that_fails(tmp_path):
    """The browser test needs chromium: .ci/run installs it with apt-get when it is not on
    PATH, and an apt-get that fails stops CI before anything else runs."""
    (tmp_path / "repo").mkdir()
    repo = copy_scripts(tmp_path / "repo")
    bin_dir = tmp_path / "bin"  # a PATH with bash and dirname but no chromium
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    fake_python(
        bin_dir / "apt-get", f'#!{shutil.which("bash")}\necho "$*" >> {tmp_path}/apt\nexit 100\n'
    )
    proc = run(["bash", ".ci/run"], repo, PATH=str(bin_dir), CI="true")
    assert proc.returncode == 100
    assert (tmp_path / "apt").read_text() == "update -q\n"
    assert "install.sh" not in proc.stderr  # nothing ran after the failed install

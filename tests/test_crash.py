"""kill -9 at every write of ``negsim run`` and at random moments of a run and of a sweep
(#16): re-running the same command afterwards always succeeds, gives the same files as an
uninterrupted run, and leaves nothing stray (temporary files, lock files).

``tests/test_run_output.py`` kills a run just before each rename; here it dies just after
each temporary file is created (empty) and just after each rename, and at random moments.
The killed process runs the real ``negsim`` command line under a small wrapper that SIGKILLs
itself at the chosen call; nothing in negsim knows about it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from negsim.cli import main
from negsim.output import OUTPUT_FILES
from negsim.sweeps import run_sweep

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "two_region_clustering.toml"
SMALL = ["--set", "population.workers=500", "--set", "run.steps=30", "--quiet"]
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}

KILL_AT = """
import os, signal, sys, tempfile
point, target, where = sys.argv[1], int(sys.argv[2]), os.path.abspath(sys.argv[3])
seen = [0]
def hit(kind, path):
    if kind == point and os.path.abspath(os.path.dirname(path)) == where:
        seen[0] += 1
        if seen[0] == target:  # die like kill -9: nothing is cleaned up
            os.kill(os.getpid(), signal.SIGKILL)
real_mkstemp, real_replace = tempfile.mkstemp, os.replace
def mkstemp(*args, **kwargs):
    fd, name = real_mkstemp(*args, **kwargs)
    hit("created", name)
    return fd, name
def replace(src, dst, **kwargs):
    real_replace(src, dst, **kwargs)
    hit("renamed", dst)
tempfile.mkstemp, os.replace = mkstemp, replace
from negsim.cli import main
sys.exit(main(sys.argv[4:]))
"""


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "out"
    assert main(["run", str(SCENARIO), *SMALL, "--out", str(out)]) == 0
    return out


def assert_same_run(out: Path, reference: Path) -> None:
    assert listing(out) == sorted(OUTPUT_FILES)  # nothing stray
    for name in ("timeseries.csv", "summary.json", "scenario.resolved.toml"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


# just after each rename, and once just after a temporary file is created (killed before a
# rename, at every write, is tests/test_run_output.py's: a temporary file left either way)
KILL_POINTS = [("created", 1)] + [("renamed", n) for n in range(1, len(OUTPUT_FILES) + 1)]


@pytest.mark.parametrize("point,write", KILL_POINTS)
def test_a_run_killed_at_any_write_is_completed_by_the_same_command(
    tmp_path, reference, point, write
):
    out = tmp_path / "out"
    args = ["run", str(SCENARIO), *SMALL, "--out", str(out)]
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT, point, str(write), str(out), *args],
        capture_output=True,
        timeout=120,
        env=ENV,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-500:]
    if point == "created":  # it died holding a temporary file
        assert any(name.endswith(".tmp") for name in listing(out))
    assert main(args) == 0  # the same command, again
    assert_same_run(out, reference)


def test_a_run_killed_at_random_moments_is_completed_by_the_same_command(tmp_path, reference):
    out = tmp_path / "out"
    args = ["run", str(SCENARIO), *SMALL, "--out", str(out)]
    command = [sys.executable, "-c", "import sys; from negsim.cli import main; sys.exit(main())"]
    start = time.monotonic()
    subprocess.run([*command, *args], check=True, capture_output=True, timeout=120, env=ENV)
    duration = time.monotonic() - start
    rng = np.random.default_rng(16)
    for delay in rng.uniform(0.3, 1.0, size=2) * duration:  # a chain of kills
        proc = subprocess.Popen([*command, *args], env=ENV, stdout=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert main(args) == 0
    assert_same_run(out, reference)


SWEEP = f"""
[sweep]
scenario = "{SCENARIO}"
seed = 5

[set]
"population.workers" = 1000
"run.steps" = 80
"run.stop_when_converged" = false

[parameters]
"economy.transport_cost" = {{ min = 1.5, max = 1.85, step = 0.05 }}
"population.initial_shares" = [[0.51, 0.49], [1.0, 0.0]]

[record]
timeseries_every = 20
"""


def _sweep(path: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "negsim.cli", "sweep", str(path), "--out", str(out)]
        + ["--workers", "2", "--flush-seconds", "0.1", "--quiet", *extra],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def comparable(runs: pd.DataFrame) -> pa.Table:
    """Everything but the wall-clock time, in run order, as an Arrow table (exact)."""
    frame = runs.drop(columns="wall_time").sort_values("run_id").reset_index(drop=True)
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_a_sweep_killed_at_random_moments_resumes_to_the_same_rows(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP, encoding="utf-8")
    reference_out, out = tmp_path / "reference", tmp_path / "out"
    start = time.monotonic()
    reference = run_sweep(path, workers=2, out=reference_out).runs  # uninterrupted
    duration = time.monotonic() - start + 1.0  # and about a second to start the command
    assert len(reference) == 16

    rng = np.random.default_rng(16)
    for i, delay in enumerate(rng.uniform(0.1, 0.9, size=3) * duration):
        proc = _sweep(path, out, *(["--resume"] if i else []))
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    resumed = _sweep(path, out, "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read().decode()

    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(runs["run_id"]) == list(range(16))  # none lost, none twice
    assert comparable(runs).equals(comparable(reference))  # the same rows
    series = pd.read_parquet(out / "timeseries.parquet")
    assert not series.duplicated(["run_id", "step", "region"]).any()
    assert len(series) == len(pd.read_parquet(reference_out / "timeseries.parquet"))
    allowed = re.compile(r"sweep\.resolved\.toml|(runs|timeseries)\.parquet(/part-\d{6}\.parquet)?")
    for folder in (out, reference_out):  # nothing stray: no temporary or lock file
        assert [name for name in listing(folder) if not allowed.fullmatch(name)] == []

"""Runs compute with one BLAS thread (``negsim.threads``), so their files do not depend on
the number of cores: without the pin a 200-place grid's wages differ in the last bits
between 1 and 2 OpenBLAS threads (#16)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from threadpoolctl import threadpool_info, threadpool_limits

import negsim
from negsim.model import NEGModel

ROOT = Path(__file__).resolve().parents[1]
GRID = """
name = "grid200"
[economy]
model = "cp"
sigma = 5.0
mu = 0.4
transport_cost = 1.05
[geography]
kind = "grid"
rows = 10
cols = 20
[regions]
count = 200
[population]
workers = 5000
initial_perturbation = 0.2
[run]
steps = 10
seed = 3
"""


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_a_200_place_grid_gives_the_same_bytes_with_1_and_2_blas_threads(tmp_path):
    scenario = tmp_path / "grid200.toml"
    scenario.write_text(GRID, encoding="utf-8")
    outs = []
    for threads in ("1", "2"):
        out = tmp_path / f"threads{threads}"
        subprocess.run(
            [sys.executable, "-c", "import sys; from negsim.cli import main; sys.exit(main())"]
            + ["run", str(scenario), "--out", str(out), "--quiet"],
            check=True,
            capture_output=True,
            timeout=300,
            env={**os.environ, "OPENBLAS_NUM_THREADS": threads, "PYTHONPATH": str(ROOT)},
        )
        outs.append(out)
    for name in ("timeseries.csv", "summary.json"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_a_run_steps_with_one_blas_thread_and_gives_the_threads_back(monkeypatch):
    seen: list[set[int]] = []
    step = NEGModel.step

    def watched(model: NEGModel) -> None:
        seen.append(blas_threads())
        step(model)

    monkeypatch.setattr(NEGModel, "step", watched)
    with threadpool_limits(limits=2, user_api="blas"):  # as on a machine with 2+ cores
        before = blas_threads()
        negsim.run(ROOT / "tests" / "data" / "minimal.toml")
        assert seen and all(threads == {1} for threads in seen)
        assert blas_threads() == before

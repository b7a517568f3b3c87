#!/usr/bin/env python
"""Benchmark: what pinning BLAS to one thread (``negsim.threads``) costs a run — a racetrack
and grids stepped with 1 and with 2 BLAS threads in the same process, best of ``--repeat``
(alternating), with the ratio 1 thread / 2 threads. Before the pin a run used OpenBLAS's
default (one thread per core); now every run uses one, so that its bytes do not depend on
the machine. Needs two idle cores to mean anything: the load average is printed first.

    python benchmarks/bench_blas_threads.py                   # ~1-2 minutes
    python benchmarks/bench_blas_threads.py --steps 20 --repeat 2
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from negsim.model import NEGModel
from negsim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "racetrack_12.toml"


def cases(steps: int) -> list[tuple[str, list[str]]]:
    """(label, --set overrides) of each benchmarked scenario."""
    common = [f"run.steps={steps}", "run.stop_when_converged=false"]
    grid = [*common, "geography.kind='grid'", "economy.transport_cost=1.05"]
    return [
        (
            "racetrack R=100, 100,000 workers",
            [*common, "regions.count=100", "population.workers=100000"]
            + ["economy.transport_cost=1.02"],
        ),
        (
            "grid 10×20 (R=200), 20,000 workers",
            [*grid, "regions.count=200", "geography.rows=10", "geography.cols=20"]
            + ["population.workers=20000"],
        ),
        (
            "grid 20×20 (R=400), 40,000 workers",
            [*grid, "regions.count=400", "geography.rows=20", "geography.cols=20"]
            + ["population.workers=40000"],
        ),
    ]


def seconds_per_step(scenario, threads: int) -> float:
    with threadpool_limits(limits=threads, user_api="blas"):
        model = NEGModel(scenario)
        t0 = time.perf_counter()
        for _ in range(scenario.run.steps):
            model.step()
        return (time.perf_counter() - t0) / scenario.run.steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for label, overrides in cases(args.steps):
        scenario = load_scenario(SCENARIO, overrides)
        best = {1: float("inf"), 2: float("inf")}
        for _ in range(args.repeat):
            for threads in (1, 2):
                best[threads] = min(best[threads], seconds_per_step(scenario, threads))
        print(
            f"{label}: {1e3 * best[1]:.2f} ms/step with 1 BLAS thread, "
            f"{1e3 * best[2]:.2f} ms/step with 2; ratio 1/2 = {best[1] / best[2]:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

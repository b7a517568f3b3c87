"""Ensembles: a 10,000-run two-region grid sweep, to convergence, in one go (issue #15 item 3).

The sweep: two_region_clustering (cp, σ = 5) with 2,000 workers, 200 firms, up to 3,000
steps and stopping once settled, over 50 transport costs T in [1.05, 2.55] × 50
manufacturing shares μ in [0.10, 0.50] × 2 initial shares (0.51/0.49 and 1/0) × 2
replications = 10,000 runs. It runs as ``negsim sweep`` runs it: ensembles on every core
(``negsim.ensemble``; target: under 60 s on this 2-core machine). Then, in this process, a
random sample of the same runs goes through the single-run path (``negsim.runner.run``,
``ensemble=False``), which gives the single path's speed, the ratio, and a check that the
sample's rows are identical to the ensemble's.

    python benchmarks/bench_ensemble.py                # ~1–2 minutes on 2 cores
    python benchmarks/bench_ensemble.py --points 20 --sample 50   # quick: 1,600 runs

Prints the load average next to the figures (other jobs on the machine slow both paths),
and writes benchmarks/results/ensemble.csv.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import time
from pathlib import Path

import numpy as np

from negsim import shipped
from negsim.sweeps import plan_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def sweep_spec(points: int, replications: int, workers: int) -> dict:
    return {
        "sweep": {
            "name": "bench_ensemble",
            "scenario": str(shipped.path("scenarios", "two_region_clustering")),
            "seed": 2026,
            "replications": replications,
        },
        "set": {
            "population.workers": workers,
            "population.firms": workers // 10,
            "run.steps": 3000,
        },
        "parameters": {
            "economy.transport_cost": {"min": 1.05, "max": 2.55, "num": points},
            "economy.mu": {"min": 0.1, "max": 0.5, "num": points},
            "population.initial_shares": [[0.51, 0.49], [1.0, 0.0]],
        },
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=50, help="values of T and of μ (50)")
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--agents", type=int, default=2000, help="workers per run (2000)")
    parser.add_argument("--sample", type=int, default=200, help="runs timed alone (200)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    plan = plan_sweep(sweep_spec(args.points, args.replications, args.agents))
    n = len(plan.runs)
    print(f"{n:,} runs, {args.agents:,} workers each, on {args.processes} process(es)")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"load average before: {load()}")

    start = time.perf_counter()
    together = run_sweep(plan, workers=args.processes, progress=True).runs
    wall = time.perf_counter() - start
    steps = int(together["steps"].sum())
    print(
        f"ensembles: {wall:.1f} s for {n:,} runs ({n / wall:,.0f} runs/s, "
        f"{steps:,} run-steps, {wall / steps * 1e6 * args.processes:.0f} µs CPU a run-step); "
        f"load {load()}"
    )
    print(
        "regimes:",
        together["regime"].value_counts().to_dict(),
        f"settled: {together['converged'].mean():.1%}",
    )

    rng = np.random.default_rng(0)
    picked = sorted(rng.choice(n, size=min(args.sample, n), replace=False).tolist())
    sample = plan_sweep(sweep_spec(args.points, args.replications, args.agents))
    sample.runs = [plan.runs[i] for i in picked]
    start = time.perf_counter()
    alone = run_sweep(sample, workers=1, ensemble=False).runs
    single = (time.perf_counter() - start) / len(picked)
    columns = [c for c in alone.columns if c != "wall_time"]
    mine = together.set_index("run_id").loc[alone["run_id"]].reset_index()[columns]
    identical = mine.astype(str).equals(alone[columns].astype(str))
    print(
        f"single path (1 process, {len(picked)} of the runs): {single * 1e3:.1f} ms a run, "
        f"so {n * single:.0f} s of CPU for the sweep; load {load()}"
    )
    ratio = n * single / (wall * args.processes)
    print(
        f"ensembles vs single runs, per core: {ratio:.1f}× faster; sample rows identical: "
        f"{identical}"
    )
    met = n >= 10_000 and wall < 60
    print(f"target (#15 item 3), 10,000 runs in < 60 s: {'met' if met else 'not met here'}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "ensemble.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "runs",
                "agents",
                "processes",
                "wall_s",
                "runs_per_s",
                "run_steps",
                "single_ms_per_run",
                "ratio_per_core",
                "identical",
                "load_after",
            ]
        )
        out.writerow(
            [
                n,
                args.agents,
                args.processes,
                f"{wall:.2f}",
                f"{n / wall:.1f}",
                steps,
                f"{single * 1e3:.2f}",
                f"{ratio:.2f}",
                identical,
                load(),
            ]
        )


if __name__ == "__main__":
    main()

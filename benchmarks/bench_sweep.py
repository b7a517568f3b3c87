"""Sweep throughput: runs per second on 1 and 2 local processes, and Dask's overhead.

A 200-run sweep of a small two-region CP scenario (two_region_clustering with 2000 workers,
a fixed number of steps so every run costs the same, ≥ 0.1 s) over T × two initial
conditions. Each executor is started and warmed up before the clock starts (pool start-up
is reported separately), then the same sweep runs on

- 1 local process (``ProcessPoolExecutor(1)``),
- 2 local processes (``ProcessPoolExecutor(2)``),
- a Dask ``LocalCluster`` of 2 single-threaded worker processes,

and the results are checked to be identical. Target (issue 5): ≥ 1.8× speed-up from 1 to
2 processes when each run takes ≥ 0.1 s. The speed-up needs two idle cores: the load
average is printed first, and a busy machine (other jobs) will show less.

    python benchmarks/bench_sweep.py                 # ~1 minute on 2 cores
    python benchmarks/bench_sweep.py --runs 100 --steps 200
    python benchmarks/bench_sweep.py --sweep tomahawk --no-dask   # issue #15 item 4
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

import pandas as pd
import pyarrow as pa

from negsim import shipped
from negsim.sweeps import dask_executor, load_sweep, plan_sweep, process_executor, run_sweep

ROOT = Path(__file__).resolve().parents[1]


def sweep_spec(runs: int, steps: int, agents: int) -> dict:
    """``runs`` runs: runs/2 transport costs in [1.4, 2.0] × two initial conditions."""
    return {
        "sweep": {
            "name": "bench_sweep",
            "scenario": str(ROOT / "scenarios" / "two_region_clustering.toml"),
            "seed": 5,
        },
        "set": {
            "population.workers": agents,
            "run.steps": steps,
            "run.stop_when_converged": False,
        },
        "parameters": {
            "economy.transport_cost": {"min": 1.4, "max": 2.0, "num": runs // 2},
            "population.initial_shares": [[0.51, 0.49], [1.0, 0.0]],
        },
    }


def warm_up(executor: Executor, n: int) -> None:
    """Make sure every worker has started and imported negsim before timing."""
    futures = [executor.submit(time.sleep, 0.2) for _ in range(2 * n)]
    for f in futures:
        f.result()


ENSEMBLE = True  # --no-ensemble: every run alone, as before ensembles


def timed(label: str, make: Callable[[], object], plan, n: int) -> tuple[pd.DataFrame, dict]:
    start = time.perf_counter()
    manager = make()
    enter = getattr(manager, "__enter__", None)
    executor = enter() if enter else manager
    try:
        warm_up(executor, n)
        ready = time.perf_counter()
        runs = run_sweep(plan, executor, max_in_flight=4 * n, ensemble=ENSEMBLE).runs
        elapsed = time.perf_counter() - ready
    finally:
        if enter:
            manager.__exit__(None, None, None)
        else:
            executor.shutdown()
    row = {
        "executor": label,
        "start-up s": ready - start,
        "sweep s": elapsed,
        "runs/s": len(runs) / elapsed,
        "mean run s": runs["wall_time"].mean(),
    }
    return runs, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=450)
    parser.add_argument("--agents", type=int, default=2000, help="worker agents per run")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument(
        "--no-ensemble", action="store_true", help="every run alone (negsim sweep --no-ensemble)"
    )
    parser.add_argument(
        "--sweep",
        metavar="NAME",
        help="time a shipped sweep instead (e.g. tomahawk: 62 runs of 2000 workers to rest)",
    )
    args = parser.parse_args()
    global ENSEMBLE
    ENSEMBLE = not args.no_ensemble

    load = os.getloadavg()
    if args.sweep:
        plan = load_sweep(shipped.path("sweeps", args.sweep))
        what = f"the shipped sweep {args.sweep}: {len(plan.runs)} runs"
    else:
        plan = plan_sweep(sweep_spec(args.runs, args.steps, args.agents))
        what = f"{args.runs} runs × {args.steps} steps, {args.agents} worker agents"
    print(f"{what}; {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    args.runs = len(plan.runs)
    results, rows = {}, []
    configs: list[tuple[str, Callable[[], object], int]] = [
        ("1 process", lambda: process_executor(1), 1),
        ("2 processes", lambda: process_executor(2), 2),
    ]
    if not args.no_dask:
        configs.append(("Dask LocalCluster, 2 workers", lambda: dask_executor("local", 2), 2))
    for label, make, n in configs:
        results[label], row = timed(label, make, plan, n)
        rows.append(row)
        print(
            f"  {label:<30} {row['runs/s']:6.2f} runs/s  (sweep {row['sweep s']:.1f} s, "
            f"start-up {row['start-up s']:.1f} s, mean run {row['mean run s']:.3f} s)"
        )
    table = pd.DataFrame(rows).set_index("executor")
    one, two = table.loc["1 process", "sweep s"], table.loc["2 processes", "sweep s"]
    speedup = one / two
    print(f"speed-up 1 → 2 processes: {speedup:.2f}× (target ≥ 1.8× with runs ≥ 0.1 s)")
    print(
        "  CPU time per run with 1 vs 2 processes: "
        f"{table.loc['1 process', 'mean run s']:.3f} s vs "
        f"{table.loc['2 processes', 'mean run s']:.3f} s"
        " (equal on two idle cores; higher with 2 means the cores are shared)"
    )
    if not args.no_dask:
        dask = table.loc["Dask LocalCluster, 2 workers", "sweep s"]
        per_run = (dask - two) / args.runs * 1000
        print(
            f"Dask overhead vs 2 local processes: {100 * (dask / two - 1):+.1f}% "
            f"({per_run:+.1f} ms per run)"
        )
    tables = [pa.Table.from_pandas(r.drop(columns="wall_time")) for r in results.values()]
    same = all(t.equals(tables[0]) for t in tables)
    print(f"identical results on every executor: {same}")


if __name__ == "__main__":
    main()

"""Continuation chains in ensembles: a hysteresis sweep with many replications.

The sweep is the shipped ``sweeps/hysteresis.toml`` (cp, σ = 5, μ = 0.4, 2,000 workers; T
raised from 1.40 to 2.00 in steps of 0.02 and lowered back: a chain of 61 runs, each
starting from the final shares of the one before it) with ``--replications`` chains. It
runs twice on the same number of processes: as ``negsim sweep`` runs it, whole chains
stepped side by side in ensembles (``negsim.sweeps.execute.execute_chains``), and one run
after another on the single-run path (``ensemble=False``, what every continuation sweep did
before). Prints seconds, runs per second and the ratio, and checks that the two give the
same rows (all but the wall time).

    python benchmarks/bench_chains.py                       # ~1–2 minutes on 2 cores
    python benchmarks/bench_chains.py --replications 4 --processes 1

Prints the load average next to the figures (other jobs on the machine slow both paths).
"""

from __future__ import annotations

import argparse
import os
import time
import tomllib
from pathlib import Path

from negsim import shipped
from negsim.sweeps import run_sweep


def spec(replications: int) -> dict:
    path = shipped.path("sweeps", "hysteresis")
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    data["sweep"]["scenario"] = str(shipped.path("scenarios", "two_region_clustering"))
    data["sweep"]["replications"] = replications
    return data


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=10, help="chains (10)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    data = spec(args.replications)
    print(f"load average {load()} at the start; {args.processes} process(es)")
    timed = {}
    for label, together in (("chains in ensembles", True), ("one run after another", False)):
        start = time.perf_counter()
        runs = run_sweep(data, workers=args.processes, ensemble=together).runs
        seconds = time.perf_counter() - start
        timed[label] = (seconds, runs)
        print(
            f"{label:<24} {len(runs):>6} runs {seconds:>8.1f} s {len(runs) / seconds:>8.1f} runs/s"
        )
    (fast, chained), (slow, alone) = timed.values()
    same = chained.drop(columns="wall_time").equals(alone.drop(columns="wall_time"))
    print(f"ratio {slow / fast:.2f}x; rows identical: {same}; load average {load()} at the end")


if __name__ == "__main__":
    main()

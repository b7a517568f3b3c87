"""Re-measure the unit costs behind negsim's resource estimates (``negsim/resources.py``) on
this machine and print them next to the constants: memory and CPU time per agent, memory per
pair of places and seconds per R³ of one cp equilibrium, and the seconds per design point of
a sweep plan. A ratio above 1 means the constant underestimates this machine.

    python benchmarks/bench_resources.py             # ~30 s
    python benchmarks/bench_resources.py --agents 400000 --places 1500
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from negsim import economies, resources  # noqa: E402
from negsim.geography import racetrack  # noqa: E402
from negsim.model import NEGModel  # noqa: E402
from negsim.scenario import load_scenario  # noqa: E402
from negsim.sweeps.spec import plan_sweep  # noqa: E402

BASE = ROOT / "scenarios" / "two_region_clustering.toml"


def per_agent(n: int) -> tuple[float, float]:
    scenario = load_scenario(BASE, [f"population.workers={n}", "population.firms=1000"])
    start = time.process_time()  # timed apart: tracemalloc slows allocation several-fold
    NEGModel(scenario)
    seconds = time.process_time() - start
    tracemalloc.start()
    model = NEGModel(scenario)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del model
    return peak / (n + 1000), seconds / (n + 1000)


def per_place(R: int) -> tuple[float, float]:
    cp = economies.get("cp")
    T = racetrack(R, 1.01)
    shares = np.random.default_rng(0).dirichlet(np.ones(R))
    start = time.process_time()
    cp.equilibrium(shares, np.full(R, 1 / R), T, 5.0, 0.4)
    seconds = time.process_time() - start
    tracemalloc.start()
    cp.equilibrium(shares, np.full(R, 1 / R), T, 5.0, 0.4)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / R**2, seconds / R**3


def per_point(n: int) -> float:
    data = {
        "sweep": {"scenario": str(BASE)},
        "parameters": {"economy.transport_cost": {"min": 1.4, "max": 1.4 + n * 1e-6, "num": n}},
    }
    start = time.process_time()
    plan_sweep(data)
    return (time.process_time() - start) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200_000)
    parser.add_argument("--places", type=int, default=1200)
    parser.add_argument("--points", type=int, default=20_000)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    agent_bytes, agent_seconds = per_agent(args.agents)
    pair_bytes, solve_seconds = per_place(args.places)
    point_seconds = per_point(args.points)
    rows = [
        ("bytes per agent", agent_bytes, resources.BYTES_PER_AGENT),
        ("CPU s per agent", agent_seconds, resources.SECONDS_PER_AGENT),
        ("bytes per pair of places (one cp solve)", pair_bytes, resources.BYTES_PER_PLACE_PAIR),
        ("CPU s per R³ (one cp solve)", solve_seconds, resources.SECONDS_PER_SOLVE_R3),
        ("CPU s per sweep design point", point_seconds, resources.SECONDS_PER_DESIGN_POINT),
    ]
    print(f"{'unit cost':<42}{'measured':>12}{'constant':>12}{'ratio':>8}")
    for name, measured, constant in rows:
        print(f"{name:<42}{measured:>12.3g}{constant:>12.3g}{measured / constant:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

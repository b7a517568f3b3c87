"""The fast route to a rest point against the agents' own approach, in one process.

For the two #16 reproducers (σ = 4, μ = 0.3, start 0.52/0.48): just above the break point
(T = 1.632092095, 10,000 workers, no tastes) and with logit tastes (ν = 0.01, T = 1.5,
100,000 workers), it times ``negsim.run`` (the agents, until they settle or reach the step
limit) and ``negsim.runner.rest_point`` (mean-field dynamics and a direct solve), and
prints both end states, their residuals against the agents' tolerance, and the time ratio.

    python benchmarks/bench_rest_point.py              # ~1 minute
    python benchmarks/bench_rest_point.py --steps 2000
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import negsim
from negsim.runner import rest_point
from negsim.scenario import load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
COMMON = ["economy.sigma=4.0", "economy.mu=0.3", "population.initial_shares=[0.52,0.48]"]
CASES = {
    "near the break point": ["economy.transport_cost=1.632092095"],
    "logit tastes": [
        "economy.transport_cost=1.5",
        "behaviour.noise=0.01",
        "population.workers=100000",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000, help="the agents' step limit")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; seed 1; step limit {args.steps}")
    for label, extra in CASES.items():
        scenario = load_scenario(BASE, [*COMMON, *extra, f"run.steps={args.steps}"], 1)
        start = time.perf_counter()
        summary = negsim.run(scenario).summary
        agents = time.perf_counter() - start
        start = time.perf_counter()
        found = rest_point(scenario)
        fast = time.perf_counter() - start
        settling = summary["settling"]
        print(
            f"{label}: agents {summary['final_shares']['North']:.5f} after "
            f"{summary['steps']} steps ({settling['stopped']}; residual "
            f"{settling['residual']:.2g}, tolerance {settling['tolerance']:.2g}) in {agents:.1f} s"
        )
        print(
            f"  rest point {found['shares']['North']:.6f} (residual {found['residual']:.2g}, "
            f"{'stable' if found['stable'] else 'unstable'}) in {fast:.2f} s: "
            f"{agents / fast:.0f}x faster"
        )


if __name__ == "__main__":
    main()

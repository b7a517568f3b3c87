#!/usr/bin/env python
"""Profile one run (imports done first, so only the run is measured): the top functions by
their own time. The README's performance section shows the top of its output.

    python benchmarks/profile_run.py                       # two_region_clustering, 100,000 workers
    python benchmarks/profile_run.py scenarios/racetrack_12.toml --set run.steps=500 --top 15
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path

import negsim
import negsim.model  # noqa: F401  (imported before profiling: Mesa's import is not the run)
import negsim.runner  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenario", nargs="?", default=ROOT / "scenarios" / "two_region_clustering.toml"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=None,
        help="KEY=VALUE (default: 100,000 workers, 300 steps, no early stop)",
    )
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    overrides = args.overrides or [
        "population.workers=100000",
        "run.steps=300",
        "run.stop_when_converged=false",
    ]
    scenario = negsim.load_scenario(args.scenario, overrides)
    profile = cProfile.Profile()
    profile.runcall(negsim.run, scenario)
    pstats.Stats(profile).strip_dirs().sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()

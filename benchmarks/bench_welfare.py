#!/usr/bin/env python
"""What recording welfare costs a run: CPU time of one model step against one
``NEGModel.group_welfare`` (done once per recorded step, for welfare.csv) and of building
the welfare table at the end, on three shipped scenarios, in this process. Also times
``negsim verify`` (every anchor, both routes). Prints the load average first: on a busy
machine compare the ratios, not the milliseconds.

    python benchmarks/bench_welfare.py            # ~15 s
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from negsim.model import NEGModel
from negsim.scenario import load_scenario
from negsim.verification import verify

ROOT = Path(__file__).resolve().parents[1]
STEPS, CALLS = 200, 2000


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f}")
    for name in ("racetrack_12", "two_region_clustering", "qinba_mountains"):
        scenario = load_scenario(
            ROOT / "scenarios" / f"{name}.toml", ["run.stop_when_converged=false"]
        )
        model = NEGModel(scenario)
        start = time.process_time()
        for _ in range(STEPS):
            model.step()
        step = (time.process_time() - start) / STEPS
        start = time.process_time()
        for _ in range(CALLS):
            model.group_welfare()
        welfare = (time.process_time() - start) / CALLS
        start = time.process_time()
        model.welfare_table()
        table = time.process_time() - start
        print(
            f"{name:24s} step {step * 1e3:6.3f} ms CPU, group_welfare {welfare * 1e6:6.1f} µs "
            f"({100 * welfare / step:.2f} % of a step), table of {STEPS + 1} steps "
            f"{table * 1e3:.1f} ms"
        )
    start, cpu = time.perf_counter(), time.process_time()
    rows = verify()
    print(
        f"negsim verify: {len(rows)} anchors, {sum(r.passed for r in rows)} pass, "
        f"{time.perf_counter() - start:.1f} s wall, {time.process_time() - cpu:.1f} s CPU"
    )


if __name__ == "__main__":
    main()

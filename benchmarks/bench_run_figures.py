"""What the figures of ``negsim run`` cost: the run itself against writing each of its files.

For each scenario (default: racetrack_12, qinba_ring_network, two_region_clustering): the
run's CPU time once, then each file ``write_results`` writes (timeseries.csv, summary.json,
shares.png, regions.png), best of ``--repeat``, all in this process. Prints the share of
regions.png — the map added by #11 item 9 — in the whole command's time.

    python benchmarks/bench_run_figures.py
    python benchmarks/bench_run_figures.py racetrack_12 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from _trees import REPO  # noqa: E402

from negsim.plots import plot_regions, plot_shares, save_figure  # noqa: E402
from negsim.runner import run  # noqa: E402


def best_of(repeat: int, action) -> float:
    """Smallest CPU time (s) of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def file_times(result, out: Path, repeat: int) -> dict[str, float]:
    """CPU time of writing each of the run's files, best of ``repeat``."""
    writers = {
        "csv": lambda: result.timeseries.to_csv(out / "t.csv", index=False),
        "json": lambda: (out / "s.json").write_text(json.dumps(result.summary, indent=2)),
        "shares": lambda: save_figure(plot_shares(result), out / "shares.png"),
        "regions": lambda: save_figure(plot_regions(result), out / "regions.png"),
    }
    return {key: best_of(repeat, write) for key, write in writers.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        default=["racetrack_12", "qinba_ring_network", "two_region_clustering"],
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; CPU seconds, files best of {args.repeat}")
    print(
        f"{'scenario':24} {'run':>7} {'csv':>6} {'json':>6} {'shares':>7} {'regions':>8}  map share"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name in args.scenarios:
            start = time.process_time()
            result = run(REPO / "scenarios" / f"{name}.toml")
            run_time = time.process_time() - start
            times = file_times(result, out, args.repeat)
            total = run_time + sum(times.values())
            print(
                f"{name:24} {run_time:7.2f} {times['csv']:6.3f} {times['json']:6.3f} "
                f"{times['shares']:7.3f} {times['regions']:8.3f}  {times['regions'] / total:6.1%}"
            )


if __name__ == "__main__":
    main()

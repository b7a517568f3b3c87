#!/usr/bin/env python
"""Benchmark: time per step against the number of agents, 10³ … 10⁷ (issue #15, "must show").

Two regions (bench_two_region.py's setting: two_region_clustering at T = 1.58 from
0.5005/0.4995, noise 0, no early stop). At each size, in this process: negsim's creation
time and CPU ms per step, and bench_two_region.py's plain-numpy reference per step, with
the ratio. Writes ``benchmarks/results/agents_scaling.csv`` (the machine in its header)
and ``agents_scaling.png`` (log–log, with the fitted exponents).

    python benchmarks/bench_agents_scaling.py            # ~1 minute on 2 cores
    python benchmarks/bench_agents_scaling.py --sizes 1000 100000 --steps 50
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_agents import run_negsim_cpu, run_numpy_cpu  # noqa: E402
from bench_many_places import machine  # noqa: E402
from bench_two_region import load_negsim_scenario, params_of  # noqa: E402

RESULTS = HERE / "results"


def measure(workers: int, steps: int) -> dict:
    """negsim and the numpy reference at ``workers`` agents: creation and ms per step
    (bench_agents.py's ``run_negsim_cpu`` and ``run_numpy_cpu``, CPU seconds)."""
    scenario = load_negsim_scenario(workers, steps)
    negsim_run = run_negsim_cpu(scenario, steps)
    reference = run_numpy_cpu(params_of(scenario), steps)
    return {
        "agents": workers,
        "steps": steps,
        "create_s": negsim_run["create"],
        "ms_per_step": 1000 * negsim_run["step"] / steps,
        "numpy_ms_per_step": 1000 * reference["step"] / steps,
        "ratio": negsim_run["step"] / reference["step"],
        "largest_share": negsim_run["share"],
    }


def exponent(rows: list[dict], key: str) -> float:
    """Slope of log(key) on log(agents) over the sizes ≥ 10⁵ (where per-agent work dominates)."""
    big = [r for r in rows if r["agents"] >= 100_000]
    x = np.log([r["agents"] for r in big])
    y = np.log([r[key] for r in big])
    return float(np.polyfit(x, y, 1)[0]) if len(big) >= 2 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    )
    parser.add_argument("--steps", type=int, default=100, help="steps timed (a tenth at 10⁷)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    print(machine())
    rows = []
    for n in args.sizes:
        steps = max(10, args.steps // 10) if n >= 10_000_000 else args.steps
        row = measure(n, steps)
        rows.append(row)
        print(
            f"{n:>12,} agents: create {row['create_s']:.3f} s, {row['ms_per_step']:9.3f} ms/step "
            f"(numpy {row['numpy_ms_per_step']:9.3f}, ratio {row['ratio']:.2f})"
        )
    fits = {k: exponent(rows, k) for k in ("ms_per_step", "numpy_ms_per_step")}
    about = machine()
    print(
        f"fitted exponents (agents ≥ 10⁵): negsim ∝ N^{fits['ms_per_step']:.2f}, "
        f"numpy ∝ N^{fits['numpy_ms_per_step']:.2f}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "agents_scaling.csv"
    with table.open("w", newline="") as f:
        f.write(f"# bench_agents_scaling.py: {about}\n")
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    agents = [r["agents"] for r in rows]
    ax.loglog(
        agents,
        [r["ms_per_step"] for r in rows],
        "o-",
        label=f"negsim (two regions): ∝ N^{fits['ms_per_step']:.2f}",
    )
    ax.loglog(
        agents,
        [r["numpy_ms_per_step"] for r in rows],
        "s--",
        label=f"plain numpy reference: ∝ N^{fits['numpy_ms_per_step']:.2f}",
    )
    ax.set_xlabel("number of agents N")
    ax.set_ylabel("CPU time per step (ms)")
    ax.set_title("negsim: time per step against the number of agents")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.text(0.01, 0.005, about, fontsize=6, wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(args.out / "agents_scaling.png", dpi=120)
    print(f"wrote {table} and {args.out / 'agents_scaling.png'}")


if __name__ == "__main__":
    main()

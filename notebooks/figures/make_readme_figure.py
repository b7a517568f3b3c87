"""Regenerate the README figure: ``python notebooks/figures/make_readme_figure.py``.

Left: the analytic tomahawk of the two-region core–periphery model (σ = 5, μ = 0.4, FKV 1999
ch. 5) with the agent model's rest points on top. Right: the hysteresis loop the agents trace
when the transport cost falls from 2 to 1.4 and rises back. Writes
``notebooks/figures/tomahawk_hysteresis.png`` (or the path given as the only argument).

The agents are those of ``scenarios/two_region_clustering.toml``, 4,000 of them, but
quicker: a fifth reconsider each step (α = 0.2) with a response κ = 20, where the scenario
has 0.1 and 10. Where they come to rest depends on neither, only how many steps it takes to
get there: the rest points are the model's stable equilibria (FKV ch. 5), the same for any
α and κ. The 47 runs then take about 3,200 steps in all instead of 5,800. The figure is
built without pyplot, which a script that only writes a file has no use for.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

import negsim
from negsim.experiments import hysteresis_loop, rest_points
from negsim.plots import plot_hysteresis, plot_tomahawk, save_figure

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parents[1] / "scenarios" / "two_region_clustering.toml"
OUT = HERE / "tomahawk_hysteresis.png"


def tables(workers: int = 4000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The agents' rest points and their hysteresis loop, from fresh runs (fixed seeds: the
    same tables every time)."""
    scenario = negsim.load_scenario(
        SCENARIO,
        [
            f"population.workers={workers}",
            "population.initial_shares=[0.5, 0.5]",
            "behaviour.adjustment_speed=0.2",
            "behaviour.response=20",
            "run.steps=4000",
        ],
    )
    costs = [1.3, 1.4, 1.5, 1.6, 1.66, 1.72, 1.76, 1.9, 2.0, 2.1, 2.2]
    points = rest_points(scenario, costs, starts=[0.55, 0.97], seed=2)
    loop = hysteresis_loop(scenario, [round(2.0 - 0.05 * i, 2) for i in range(13)], seed=3)
    return points, loop


def draw(points: pd.DataFrame, loop: pd.DataFrame) -> Figure:
    """The two panels from ``tables()`` (σ and μ from the loop's table)."""
    fig = Figure(figsize=(13, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    sigma, mu = float(loop["sigma"].iloc[0]), float(loop["mu"].iloc[0])
    plot_tomahawk(sigma, mu, ax=left, simulated=points)
    left.set_title("Tomahawk: theory and the agents' rest points")
    plot_hysteresis(loop, ax=right)
    return fig


def make_figure(workers: int = 4000) -> Figure:
    """The two panels, from fresh agent runs."""
    return draw(*tables(workers))


def main(argv: list[str] | None = None) -> Figure:
    """Draw the figure and write it to the path in ``argv`` (default ``OUT``)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else OUT
    fig = make_figure()
    save_figure(fig, out)
    print(f"wrote {out}")
    return fig


if __name__ == "__main__":
    main()

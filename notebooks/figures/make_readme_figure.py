"""Regenerate the README figure: ``python notebooks/figures/make_readme_figure.py``.

Left: the analytic tomahawk of the two-region core–periphery model (σ = 5, μ = 0.4, FKV 1999
ch. 5) with the agent model's rest points on top. Right: the hysteresis loop the agents trace
when the transport cost falls from 2 to 1.4 and rises back. Writes
``notebooks/figures/tomahawk_hysteresis.png`` (or the path given as the only argument).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import negsim  # noqa: E402
from negsim.experiments import hysteresis_loop, rest_points  # noqa: E402
from negsim.plots import plot_hysteresis, plot_tomahawk, save_figure  # noqa: E402

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parents[1] / "scenarios" / "two_region_clustering.toml"
OUT = HERE / "tomahawk_hysteresis.png"


def make_figure(workers: int = 4000) -> Figure:
    """The two panels, from fresh agent runs (fixed seeds: the same figure every time)."""
    scenario = negsim.load_scenario(
        SCENARIO,
        [
            f"population.workers={workers}",
            "population.initial_shares=[0.5, 0.5]",
            "run.steps=4000",
        ],
    )
    econ = scenario.economy
    costs = [1.3, 1.4, 1.5, 1.6, 1.66, 1.72, 1.76, 1.9, 2.0, 2.1, 2.2]
    points = rest_points(scenario, costs, starts=[0.55, 0.97], seed=2)
    loop = hysteresis_loop(scenario, [round(2.0 - 0.05 * i, 2) for i in range(13)], seed=3)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
    plot_tomahawk(econ.sigma, econ.mu, ax=left, simulated=points)
    left.set_title("Tomahawk: theory and the agents' rest points")
    plot_hysteresis(loop, ax=right)
    return fig


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

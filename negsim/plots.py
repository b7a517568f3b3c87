"""Matplotlib figures. Each function returns the Figure and accepts an Axes to draw into."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from negsim.economies import cp

if TYPE_CHECKING:
    from negsim.results import Result


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    return fig, ax


def save_figure(fig: Figure, path: str | Path) -> None:
    """Save as PNG and release the figure's memory."""
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)


def plot_shares(result: Result, ax: Axes | None = None) -> Figure:
    """Each region's share of mobile workers over time."""
    fig, ax = _axes(ax)
    ts = result.timeseries
    for name, group in ts.groupby("region", sort=False):
        ax.plot(group["step"], group["share"], label=str(name), lw=1.8)
    ax.set_xlabel("step (periods)")
    ax.set_ylabel("share of mobile workers λ")
    ax.set_ylim(-0.02, 1.02)
    summary = result.summary
    econ = result.scenario.economy
    ax.set_title(
        f"{result.scenario.name}: {summary['regime']}  "
        f"(σ={econ.sigma:g}, μ={econ.mu:g}, T={econ.transport_cost:g})"
    )
    ax.grid(alpha=0.3)
    ax.legend(title="region", loc="best")
    return fig


def plot_tomahawk(
    sigma: float,
    mu: float,
    transport_costs: np.ndarray | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The tomahawk bifurcation diagram of the two-region CP model: long-run equilibria λ
    against transport cost T, stable solid, unstable dashed, break/sustain points marked."""
    t_b, t_s = cp.break_point(sigma, mu).T, cp.sustain_point(sigma, mu).T
    if transport_costs is None:
        transport_costs = np.linspace(1.0 + 1e-3, 1.0 + 2.0 * (t_s - 1.0), 161)
    points = np.array(cp.tomahawk(sigma, mu, transport_costs), dtype=float)
    fig, ax = _axes(ax)
    for stable, style in (
        (1.0, dict(s=9, c="tab:blue")),
        (0.0, dict(s=5, c="tab:red", marker="x")),
    ):
        sel = points[:, 2] == stable
        ax.scatter(
            points[sel, 0], points[sel, 1], label="stable" if stable else "unstable", **style
        )
    ax.axvline(t_b, color="0.3", ls="--", lw=1, label=f"break point $T_B$ = {t_b:.3f}")
    ax.axvline(t_s, color="0.3", ls=":", lw=1, label=f"sustain point $T_S$ = {t_s:.3f}")
    ax.set_xlabel("transport cost T (iceberg factor, ≥ 1)")
    ax.set_ylabel("share of mobile workers in region 1, λ")
    ax.set_title(f"Core–periphery tomahawk (σ={sigma:g}, μ={mu:g})")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(loc="center right", fontsize=8)
    return fig

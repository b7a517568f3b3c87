"""Figures of the two-region theory: the tomahawk (or home-market curve) with its break and
sustain points, and the agents' hysteresis loop drawn over them. The thresholds and the
equilibria come from ``negsim.theory`` and the economy registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from negsim import economies, theory
from negsim.plots.common import figure_axes

if TYPE_CHECKING:
    import pandas as pd


def plot_tomahawk(
    sigma: float,
    mu: float,
    transport_costs: np.ndarray | None = None,
    ax: Axes | None = None,
    *,
    simulated: pd.DataFrame | None = None,
    model: str | economies.Economy = "cp",
    housing_share: float = 0.0,
    expenditure_share: float = 0.6,
) -> Figure:
    """The bifurcation ("tomahawk") diagram of two symmetric regions: long-run equilibria λ
    against transport cost T, stable and unstable, break/sustain points marked.

    ``model`` picks the economy (cp, fe, fc, cpvl, fcvl, ql, linear; or an ``Economy`` with
    its own parameters bound, e.g. an input share); ``housing_share`` adds cp's congestion force
    (the bell-shaped diagram). For fc, whose symmetric regions never break apart, the
    diagram is the home-market curve: region 1's equilibrium share of firms when it holds a
    share ``expenditure_share`` of spending. ``simulated`` (columns ``transport_cost`` and
    ``share``, e.g. from ``negsim.experiments.rest_points``) adds the agent model's rest
    points on top: in the noise-free limit they sit on the stable branches."""
    economy = economies.get(model)
    breaks, sustains = theory.thresholds(model, sigma, mu, housing_share)
    fig, ax = figure_axes(ax)
    if transport_costs is None:
        edge = max([t.T for t in breaks + sustains], default=1.5)
        transport_costs = np.linspace(1.0 + 1e-3, 1.0 + 2.0 * (edge - 1.0), 161)
    transport_costs = np.asarray(transport_costs, dtype=float)
    if economy.home_market:
        shares = [economy.home_market_share(expenditure_share, T, sigma) for T in transport_costs]
        ax.plot(transport_costs, shares, color="tab:blue", label="stable (home-market effect)")
        ax.axhline(
            expenditure_share, color="0.5", lw=1, label=f"expenditure share {expenditure_share:g}"
        )
    else:
        points = np.array(
            theory.tomahawk(model, sigma, mu, transport_costs, housing_share), dtype=float
        )
        for stable, style in (
            (1.0, dict(s=9, c="tab:blue")),
            (0.0, dict(s=5, c="tab:red", marker="x")),
        ):
            sel = points[:, 2] == stable
            ax.scatter(
                points[sel, 0], points[sel, 1], label="stable" if stable else "unstable", **style
            )
    if simulated is not None:
        ax.scatter(
            simulated["transport_cost"],
            simulated["share"],
            s=60,
            facecolors="none",
            edgecolors="black",
            linewidths=1.2,
            zorder=3,
            label="agent model rest points",
        )
    for t in breaks:
        ax.axvline(t.T, color="0.3", ls="--", lw=1, label=f"break point $T_B$ = {t.T:.3f}")
    for t in sustains:
        ax.axvline(t.T, color="0.3", ls=":", lw=1, label=f"sustain point $T_S$ = {t.T:.3f}")
    ax.set_xlabel(economy.cost_label)
    ax.set_ylabel(f"share of {economy.mobile.label} in region 1, λ")
    title = economy.title + (": home-market effect" if economy.home_market else " tomahawk")
    extra = f", η={housing_share:g}" if housing_share else ""
    extra += "".join(
        f", {economy.symbols.get(key, key)}={value:g}"
        for key, value in economy.parameters(mu).items()
    )
    ax.set_title(f"{title} (σ={sigma:g}, μ={mu:g}{extra})")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_hysteresis(loop: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Hysteresis loop: the agent model's rest point as T falls and then rises again.

    ``loop`` is ``negsim.experiments.hysteresis_loop``'s table (columns ``leg``,
    ``transport_cost``, ``share``, ``region``, ``economy``, ``sigma``, ``mu``,
    ``housing_share``). Between the break point T_B and the sustain point T_S both the even
    spread and the core are stable, so the economy stays dispersed while T falls until
    T < T_B, and a core formed there survives while T rises until T > T_S: where it ends up
    depends on the road it took. The thresholds are drawn for the economies that have one
    of each (cp without housing, fe).
    """
    from negsim.record import mobile_label

    first = loop.iloc[0]
    economy = str(first.get("economy", "cp"))
    sigma, mu = float(first["sigma"]), float(first["mu"])
    fig, ax = figure_axes(ax)
    pair = theory.break_and_sustain(economy, sigma, mu, float(first.get("housing_share", 0.0)))
    if pair is not None:
        t_b, t_s = pair
        if t_b < t_s:  # ql's pitchfork has neither stable between T_S and T_B
            ax.axvspan(t_b, t_s, color="0.92", zorder=0, label="both stable ($T_B$ < T < $T_S$)")
        ax.axvline(t_b, color="0.3", ls="--", lw=1, label=f"break point $T_B$ = {t_b:.3f}")
        ax.axvline(t_s, color="0.3", ls=":", lw=1, label=f"sustain point $T_S$ = {t_s:.3f}")
        lo, hi = float(loop["transport_cost"].min()), float(loop["transport_cost"].max())
        band = dict(color="0.55", lw=5, alpha=0.35, solid_capstyle="butt", zorder=1)
        ax.plot([max(lo, t_b), hi], [0.5, 0.5], label="stable equilibria (theory)", **band)
        ax.plot([lo, min(hi, t_s)], [1.0, 1.0], **band)
    styles = {  # the markers point the way T moves
        "falling T": dict(color="tab:blue", marker="<", ms=8, lw=2.5, label="T falling ←"),
        "rising T": dict(color="tab:orange", marker=">", ms=5, lw=1.2, label="T rising →"),
    }
    for leg, group in loop.groupby("leg", sort=False):
        style = styles.get(str(leg), dict(marker="o", label=str(leg)))
        xs, ys = group["transport_cost"].to_numpy(), group["share"].to_numpy()
        ax.plot(xs, ys, alpha=0.9, **style)
        for i in np.flatnonzero(np.abs(np.diff(ys)) > 0.1):  # arrows on the jumps
            ax.annotate(
                "",
                xy=(xs[i + 1], ys[i + 1]),
                xytext=(xs[i], ys[i]),
                arrowprops=dict(arrowstyle="-|>", color=style.get("color", "0.3"), lw=1.5),
            )
    mobile = mobile_label(economy)
    ax.set_xlabel(economies.get(economy).cost_label)
    ax.set_ylabel(f"rest-point share of {mobile} in {first['region']}, λ")
    ax.set_ylim(-0.03, 1.08)
    ax.set_title(f"Hysteresis: agglomeration persists as T rises (σ={sigma:g}, μ={mu:g})")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", fontsize=8)
    return fig


def plot_welfare(
    sigma: float,
    mu: float,
    ax: Axes | None = None,
    *,
    model: str = "cp",
    housing_share: float = 0.0,
    n: int = 200,
) -> Figure:
    """Utilitarian welfare of full agglomeration and of the even spread of two symmetric
    regions against trade freeness φ (``theory.welfare_of_patterns``; Charlot, Gaigné,
    Robert-Nicoud & Thisse 2006), with the φ where the ranking changes sign and, where the
    economy has them, the break and sustain points (as φ)."""
    economy = economies.get(model)
    economy.check(sigma, mu, housing_share)
    phi = np.linspace(0.005, 1.0, n)
    agg, disp = theory.welfare_of_patterns(model, sigma, mu, phi, housing_share)
    fig, ax = figure_axes(ax)
    ax.plot(phi, agg, color="tab:red", label="agglomeration λ = (1, 0)")
    ax.plot(phi, disp, color="tab:blue", label="dispersion λ = (½, ½)")
    for t in theory.welfare_crossings(model, sigma, mu, housing_share):
        ax.axvline(t.phi, color="black", lw=1.2, label=f"ranking changes: $φ_W$ = {t.phi:.4f}")
    breaks, sustains = theory.thresholds(model, sigma, mu, housing_share)
    for t in breaks:
        ax.axvline(t.phi, color="0.3", ls="--", lw=1, label=f"break point $φ_B$ = {t.phi:.4f}")
    for t in sustains:
        ax.axvline(t.phi, color="0.3", ls=":", lw=1, label=f"sustain point $φ_S$ = {t.phi:.4f}")
    ax.set_xlabel(economy.freeness_label)
    ax.set_ylabel("welfare W = Σ residents' indirect utility (model units)")
    extra = f", η={housing_share:g}" if housing_share else ""
    ax.set_title(f"{economy.title}: utilitarian welfare (σ={sigma:g}, μ={mu:g}{extra})")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig

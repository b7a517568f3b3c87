"""Matplotlib figures. Each function returns the Figure and accepts an Axes to draw into."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from negsim.economies import cp

if TYPE_CHECKING:
    from negsim.model import NEGModel
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


def plot_shares(result: Result, ax: Axes | None = None, max_legend: int = 10) -> Figure:
    """Each region's share of the mobile factor over time (legend: the ``max_legend``
    regions with the largest final shares)."""
    fig, ax = _axes(ax)
    ts = result.timeseries
    final = ts[ts["step"] == ts["step"].max()].set_index("region")["share"]
    named = set(final.sort_values(ascending=False).index[:max_legend])
    for name, group in ts.groupby("region", sort=False):
        label = str(name) if name in named else None
        ax.plot(group["step"], group["share"], label=label, lw=1.8 if label else 0.8)
    ax.set_xlabel("step (periods)")
    ax.set_ylabel(f"share of mobile {result.summary.get('mobile_factor', 'workers')} λ")
    ax.set_ylim(-0.02, 1.02)
    econ = result.scenario.economy
    cost = f", T={econ.transport_cost:g}" if econ.transport_cost is not None else ""
    ax.set_title(
        f"{result.scenario.name}: {result.summary['regime']}  "
        f"({econ.model}, σ={econ.sigma:g}, μ={econ.mu:g}{cost})"
    )
    shade_policies(ax, result.scenario.policies, int(ts["step"].max()))
    ax.grid(alpha=0.3)
    ax.legend(title="region", loc="best", fontsize=8)
    return fig


def shade_policies(ax: Axes, policies, last_step: int) -> None:
    """Shade each policy's window (a line for one-off events) and label it."""
    for i, policy in enumerate(policies):
        colour = f"C{(i + 3) % 10}"
        if policy.end is not None and policy.end > policy.start:
            ax.axvspan(policy.start, min(policy.end, last_step), color=colour, alpha=0.12)
        else:
            ax.axvline(policy.start, color=colour, ls="-.", lw=1)
        ax.annotate(
            policy.label,
            (policy.start, 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            color=colour,
        )


def plot_tomahawk(
    sigma: float,
    mu: float,
    transport_costs: np.ndarray | None = None,
    ax: Axes | None = None,
    *,
    simulated: pd.DataFrame | None = None,
    model: str = "cp",
    housing_share: float = 0.0,
    expenditure_share: float = 0.6,
) -> Figure:
    """The bifurcation ("tomahawk") diagram of two symmetric regions: long-run equilibria λ
    against transport cost T, stable and unstable, break/sustain points marked.

    ``model`` picks the economy (cp, fe, fc); ``housing_share`` adds cp's congestion force
    (the bell-shaped diagram). For fc, whose symmetric regions never break apart, the
    diagram is the home-market curve: region 1's equilibrium share of firms when it holds a
    share ``expenditure_share`` of spending. ``simulated`` (columns ``transport_cost`` and
    ``share``, e.g. from ``negsim.experiments.rest_points``) adds the agent model's rest
    points on top: in the noise-free limit they sit on the stable branches."""
    from negsim import theory
    from negsim.economies import fc

    breaks, sustains = theory.thresholds(model, sigma, mu, housing_share)
    fig, ax = _axes(ax)
    if transport_costs is None:
        edge = max([t.T for t in breaks + sustains], default=1.5)
        transport_costs = np.linspace(1.0 + 1e-3, 1.0 + 2.0 * (edge - 1.0), 161)
    transport_costs = np.asarray(transport_costs, dtype=float)
    if model == "fc":
        shares = [
            fc.equilibrium_share(expenditure_share, T ** (1 - sigma)) for T in transport_costs
        ]
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
    factor = {"cp": "mobile workers", "fe": "entrepreneurs", "fc": "firms (capital)"}[model]
    ax.set_xlabel("transport cost T (iceberg factor, ≥ 1)")
    ax.set_ylabel(f"share of {factor} in region 1, λ")
    title = {
        "cp": "Core–periphery tomahawk",
        "fe": "Footloose-entrepreneur tomahawk",
        "fc": "Footloose capital: home-market effect",
    }[model]
    extra = f", η={housing_share:g}" if housing_share else ""
    ax.set_title(f"{title} (σ={sigma:g}, μ={mu:g}{extra})")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_wages(
    result: Result, ax: Axes | None = None, which: str = "both", max_legend: int = 10
) -> Figure:
    """Each region's real wage ω = w G^(-μ) (solid) and nominal wage w (dashed) over time.

    Migrants compare real wages: a region's nominal wage is what its firms can pay, and its
    lower price index G (more local varieties, no transport cost on them) adds to what that
    wage buys. Both are in units of the farm wage (the numéraire, = 1). ``which`` is
    "both", "real" or "nominal"; the legend names the first ``max_legend`` regions.
    """
    columns = {"both": ("real_wage", "wage"), "real": ("real_wage",), "nominal": ("wage",)}
    if which not in columns:
        raise ValueError(f"which must be one of {sorted(columns)} (got {which!r})")
    fig, ax = _axes(ax)
    labels = {"real_wage": "real wage ω", "wage": "nominal wage w"}
    ts = result.timeseries
    for i, (name, group) in enumerate(ts.groupby("region", sort=False)):
        for column in columns[which]:
            ax.plot(
                group["step"],
                group[column],
                color=f"C{i % 10}",
                ls="-" if column == "real_wage" else "--",
                lw=1.8 if column == "real_wage" else 1.2,
                label=f"{name}: {labels[column]}" if i < max_legend else None,
            )
    ax.set_xlabel("step (periods)")
    ax.set_ylabel(
        {"both": "wage", "real": "real wage ω = w·G^(−μ)", "nominal": "nominal wage w"}[which]
        + " (farm wage = 1)"
    )
    econ = result.scenario.economy
    what = {"both": "wages", "real": "real wages", "nominal": "nominal wages"}[which]
    cost = f", T={econ.transport_cost:g}" if econ.transport_cost is not None else ""
    ax.set_title(
        f"{result.scenario.name}: {what} ({econ.model}, σ={econ.sigma:g}, μ={econ.mu:g}{cost})"
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


#: What the mobile agents are called on the axes, by economy (see ``negsim.economies``).
MOBILE_LABELS = {"cp": "mobile workers", "fe": "entrepreneurs", "fc": "capital (firms)"}
_MOBILE_UNITS = {"cp": "workers", "fe": "entrepreneurs", "fc": "firms"}


@dataclass(frozen=True)
class RegionState:
    """Where the mobile agents are at one step: what a regions map draws.

    ``counts`` are the mobile agents per region (workers in cp, entrepreneurs in fe, firms in
    fc) and ``shares`` their shares λ. ``geography`` is the scenario's geography table (its
    ``kind`` picks the drawing); ``transport_costs`` is the R×R iceberg matrix, for maps that
    draw links.
    """

    kind: str
    economy: str
    names: list[str]
    counts: np.ndarray
    shares: np.ndarray
    real_wage: np.ndarray
    transport_costs: np.ndarray
    step: int
    geography: Any = None

    @property
    def mobile(self) -> str:
        """Axis name of the mobile factor, e.g. "mobile workers"."""
        return MOBILE_LABELS.get(self.economy, "mobile factor")

    @property
    def unit(self) -> str:
        """What one counted agent is, e.g. "workers"."""
        return _MOBILE_UNITS.get(self.economy, "agents")

    @classmethod
    def of(cls, source: RegionState | Result | NEGModel, step: int | None = None) -> RegionState:
        """The state of a live model now, or of a finished run at ``step`` (default: last)."""
        from negsim.model import NEGModel
        from negsim.results import Result

        if isinstance(source, RegionState):
            return source
        if isinstance(source, NEGModel):
            if step is not None and step != source.steps:
                raise ValueError("a live model only has its current step; pass a Result")
            economy = source.spec.economy.model
            counts = source.firm_counts if economy == "fc" else source.worker_counts
            return cls(
                kind=source.spec.geography.kind,
                economy=economy,
                names=list(source.region_names),
                counts=np.asarray(counts, dtype=float),
                shares=np.asarray(source.shares, dtype=float),
                real_wage=np.asarray(source.equilibrium.real_wage, dtype=float),
                transport_costs=np.asarray(source.transport_costs, dtype=float),
                step=int(source.steps),
                geography=source.spec.geography,
            )
        if isinstance(source, Result):
            from negsim.geography import transport_costs

            ts = source.timeseries
            at = int(ts["step"].max()) if step is None else int(step)
            rows = ts[ts["step"] == at]
            if rows.empty:
                raise ValueError(f"no step {at} in this run (steps 0–{int(ts['step'].max())})")
            economy = source.scenario.economy.model
            return cls(
                kind=source.scenario.geography.kind,
                economy=economy,
                names=[str(n) for n in rows["region"]],
                counts=rows["firms" if economy == "fc" else "workers"].to_numpy(dtype=float),
                shares=rows["share"].to_numpy(dtype=float),
                real_wage=rows["real_wage"].to_numpy(dtype=float),
                transport_costs=np.asarray(transport_costs(source.scenario), dtype=float),
                step=at,
                geography=source.scenario.geography,
            )
        raise TypeError(f"expected a NEGModel, Result or RegionState, got {type(source).__name__}")


def _draw_region_bars(state: RegionState, ax: Axes) -> None:
    """Any geography: one bar per region, height = its share λ, the even share 1/R dotted."""
    n = len(state.names)
    x = np.arange(n)
    ax.bar(x, state.shares, width=0.7, color=[f"C{i % 10}" for i in range(n)], edgecolor="0.2")
    ax.axhline(1.0 / n, color="0.4", ls=":", lw=1, label=f"even spread λ = 1/{n}")
    ax.set_xticks(x, state.names, rotation=0 if n <= 8 else 90)
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel(f"region ({state.kind.replace('_', ' ')})")
    ax.set_ylabel(f"share of {state.mobile} λ")
    ax.legend(loc="upper right", fontsize=8)


def _draw_two_region_map(state: RegionState, ax: Axes) -> None:
    """Two places side by side: bar height = share of the mobile factor, link labelled T."""
    x = np.arange(2)
    bars = ax.bar(x, state.shares, width=0.55, color=["C0", "C1"], edgecolor="0.2")
    for bar, count, omega in zip(bars, state.counts, state.real_wage, strict=True):
        potential = " (if one moved)" if count == 0 and state.economy == "cp" else ""
        ax.annotate(
            f"{int(count):,} {state.unit}\nω = {omega:.4f}{potential}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ax.axhline(0.5, color="0.4", ls=":", lw=1, label="even spread λ = 1/2")
    t = state.transport_costs[0, 1]
    ax.annotate(
        "",
        xy=(0.72, 1.2),
        xytext=(0.28, 1.2),
        arrowprops=dict(arrowstyle="<->", color="0.3"),
    )
    ax.text(0.5, 1.23, f"transport cost T = {t:.3g}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, state.names)
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylim(0.0, 1.35)
    ax.set_xlabel("region")
    ax.set_ylabel(f"share of {state.mobile} λ")
    ax.legend(loc="upper right", fontsize=8)


RegionMapDrawer = Callable[[RegionState, Axes], None]
#: One drawing per geography kind; a geography without one gets plain bars per region.
#: A new map (racetrack circle, network) registers itself here.
REGION_MAPS: dict[str, RegionMapDrawer] = {"two_region": _draw_two_region_map}


def plot_regions(
    source: RegionState | Result | NEGModel, step: int | None = None, ax: Axes | None = None
) -> Figure:
    """A map of the regions sized by their mobile population, drawn by geography kind.

    Shows where the mobile agents live at one step (default: the last, or a live model's
    current step). Agglomeration is one region holding (nearly) all of them; dispersion is
    the even spread 1/R. Two regions are drawn as two bars joined by their transport cost;
    a geography with a drawing in ``REGION_MAPS`` gets it, any other one bar per region.
    """
    state = RegionState.of(source, step)
    drawer = REGION_MAPS.get(state.kind, _draw_region_bars)
    fig, ax = _axes(ax, size=(6.0, 4.0))
    drawer(state, ax)
    ax.set_title(f"{state.mobile.capitalize()} by region, step {state.step}")
    return fig


def _thresholds(economy: str, sigma: float, mu: float, housing: float) -> tuple[float, float]:
    """(T_B, T_S) of the symmetric two-region economy, where theory has one of each."""
    from negsim.economies import fe

    if economy == "cp" and housing == 0:
        return cp.break_point(sigma, mu).T, cp.sustain_point(sigma, mu).T
    if economy == "fe":
        return fe.break_point(sigma, mu).T, fe.sustain_point(sigma, mu).T
    raise ValueError(f"no single break/sustain point pair for economy {economy!r}")


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
    first = loop.iloc[0]
    economy = str(first.get("economy", "cp"))
    sigma, mu = float(first["sigma"]), float(first["mu"])
    fig, ax = _axes(ax)
    try:
        t_b, t_s = _thresholds(economy, sigma, mu, float(first.get("housing_share", 0.0)))
    except ValueError:
        t_b = t_s = None
    if t_b is not None and t_s is not None:
        ax.axvspan(t_b, t_s, color="0.92", zorder=0, label="both stable ($T_B$ < T < $T_S$)")
        ax.axvline(t_b, color="0.3", ls="--", lw=1, label=f"break point $T_B$ = {t_b:.3f}")
        ax.axvline(t_s, color="0.3", ls=":", lw=1, label=f"sustain point $T_S$ = {t_s:.3f}")
        lo, hi = float(loop["transport_cost"].min()), float(loop["transport_cost"].max())
        theory = dict(color="0.55", lw=5, alpha=0.35, solid_capstyle="butt", zorder=1)
        ax.plot([max(lo, t_b), hi], [0.5, 0.5], label="stable equilibria (theory)", **theory)
        ax.plot([lo, min(hi, t_s)], [1.0, 1.0], **theory)
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
    mobile = MOBILE_LABELS.get(economy, "mobile factor")
    ax.set_xlabel("transport cost T (iceberg factor, ≥ 1)")
    ax.set_ylabel(f"rest-point share of {mobile} in {first['region']}, λ")
    ax.set_ylim(-0.03, 1.08)
    ax.set_title(f"Hysteresis: agglomeration persists as T rises (σ={sigma:g}, μ={mu:g})")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", fontsize=8)
    return fig

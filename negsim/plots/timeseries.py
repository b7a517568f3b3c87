"""Time series of one run: shares of the mobile factor and wages per region, policy windows."""

from __future__ import annotations

from collections.abc import Iterable

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from negsim.plots.common import figure_axes
from negsim.record import Result, mobile_label
from negsim.scenario import Policy


def plot_shares(result: Result, ax: Axes | None = None, max_legend: int = 10) -> Figure:
    """Each region's share of the mobile factor over time (legend: the ``max_legend``
    regions with the largest final shares)."""
    fig, ax = figure_axes(ax)
    ts = result.timeseries
    final = ts[ts["step"] == ts["step"].max()].set_index("region")["share"]
    named = set(final.sort_values(ascending=False).index[:max_legend])
    firm_lag = "firm_profit" in ts  # cp firms at their own speed: draw their shares too
    firm_share = ts["firms"] / ts.groupby("step")["firms"].transform("sum") if firm_lag else None
    for i, (name, group) in enumerate(ts.groupby("region", sort=False)):
        label = str(name) if name in named else None
        colour = f"C{i % 10}"
        ax.plot(group["step"], group["share"], label=label, lw=1.8 if label else 0.8, c=colour)
        if firm_lag:
            ax.plot(
                group["step"], firm_share[group.index], ls="--", lw=1.0 if label else 0.6, c=colour
            )
    if firm_lag:
        ax.plot([], [], "k--", lw=1.0, label="firms' share (dashed)")
    ax.set_xlabel("step (periods)")
    mobile = f"share of {mobile_label(result.scenario.economy.model)} λ"
    ax.set_ylabel(mobile + (" (solid) and of firms (dashed)" if firm_lag else ""))
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


def shade_policies(ax: Axes, policies: Iterable[Policy], last_step: int) -> None:
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
    fig, ax = figure_axes(ax)
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

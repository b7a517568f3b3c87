"""Time series of one run: shares of the mobile factor and wages per region, policy windows.

Up to ``MAX_LINES`` regions a series is one line per region; more regions make the shares a
region × step heat map. Policies are shaded in grey, their labels stacked side by side.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from negsim.plots.common import MAX_LINES, figure_axes, region_colours
from negsim.record import Result, mobile_label
from negsim.scenario import Policy

#: Colour of policy windows, lines and labels: neutral, never a region's colour.
POLICY_COLOUR = "0.25"


def plot_shares(result: Result, ax: Axes | None = None, max_legend: int = 10) -> Figure:
    """Each region's share of the mobile factor over time.

    Up to ``MAX_LINES`` regions: one line per region in distinct colours, the legend naming
    the ``max_legend`` regions with the largest final shares (all of them by default). More
    regions: a region × step heat map coloured by share, one row per region."""
    fig, ax = figure_axes(ax)
    ts = result.timeseries
    mobile = f"share of {mobile_label(result.scenario.economy.model)}"
    last = int(ts["step"].max())
    n = ts["region"].nunique()
    if n > MAX_LINES:
        _shares_heat_map(ts, ax, mobile)
    else:
        _shares_lines(ts, ax, mobile, max_legend)
    econ = result.scenario.economy
    cost = f", T={econ.transport_cost:g}" if econ.transport_cost is not None else ""
    ax.set_title(
        f"{result.scenario.name}: {result.summary['regime']}  "
        f"({econ.model}, σ={econ.sigma:g}, μ={econ.mu:g}{cost})"
    )
    shade_policies(ax, result.scenario.policies, last, filled=n <= MAX_LINES)
    return fig


def _shares_lines(ts, ax: Axes, mobile: str, max_legend: int) -> None:
    final = ts[ts["step"] == ts["step"].max()].set_index("region")["share"]
    named = set(final.sort_values(ascending=False).index[:max_legend])
    firm_lag = "firm_profit" in ts  # cp firms at their own speed: draw their shares too
    firm_share = ts["firms"] / ts.groupby("step")["firms"].transform("sum") if firm_lag else None
    groups = list(ts.groupby("region", sort=False))
    colours = region_colours(len(groups))
    for (name, group), colour in zip(groups, colours, strict=True):
        label = str(name) if name in named else None
        ax.plot(group["step"], group["share"], label=label, lw=1.8 if label else 0.8, c=colour)
        if firm_lag:
            ax.plot(
                group["step"], firm_share[group.index], ls="--", lw=1.0 if label else 0.6, c=colour
            )
    if firm_lag:
        ax.plot([], [], "k--", lw=1.0, label="firms' share (dashed)")
    ax.set_xlabel("step (periods)")
    ax.set_ylabel(f"{mobile} λ" + (" (solid) and of firms (dashed)" if firm_lag else ""))
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(title="region", loc="best", fontsize=8)


def _shares_heat_map(ts, ax: Axes, mobile: str) -> None:
    """One row per region (region order, top to bottom), one column per recorded step."""
    table = ts.pivot(index="region", columns="step", values="share")
    names = list(dict.fromkeys(ts["region"]))
    table = table.loc[names]
    steps = table.columns.to_numpy(dtype=float)
    edges = np.append(steps - 0.5, steps[-1] + 0.5)
    rows = np.arange(len(names) + 1) - 0.5
    mesh = ax.pcolormesh(edges, rows, table.to_numpy(dtype=float), cmap="viridis", vmin=0.0)
    ax.set_yticks(np.arange(len(names)), names, fontsize=7 if len(names) > 16 else 8)
    ax.set_ylim(len(names) - 0.5, -0.5)  # the first region on top
    ax.set_xlabel("step (periods)")
    ax.set_ylabel("region")
    ax.figure.colorbar(mesh, ax=ax, label=f"{mobile} λ")


def shade_policies(
    ax: Axes, policies: Iterable[Policy], last_step: int, filled: bool = True
) -> None:
    """Mark each policy's window in neutral greys: shaded when ``filled``, else (over a heat
    map) its start and end drawn as light lines; a one-off event is a dash-dotted line.
    Each policy is labelled at the top.
    Labels of policies that start at the same or nearby steps stand side by side."""
    texts, starts = [], []
    for policy in policies:
        window = policy.end is not None and policy.end > policy.start
        if window and filled:
            ax.axvspan(policy.start, min(policy.end, last_step), color=POLICY_COLOUR, alpha=0.1)
        else:  # over a heat map: light lines
            line = POLICY_COLOUR if filled else "0.9"
            ax.axvline(policy.start, color=line, ls="-.", lw=1)
            if window:
                ax.axvline(min(policy.end, last_step), color=line, ls=":", lw=1.2)
        texts.append(
            ax.annotate(
                policy.label,
                (policy.start, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0.0, -2.0),
                textcoords="offset points",
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color="black" if filled else "white",
                bbox=None if filled else dict(boxstyle="square,pad=0.1", fc="0.2", ec="none"),
            )
        )
        starts.append(float(policy.start))
    if texts:
        _stack_labels(ax, texts, starts)


def _stack_labels(ax: Axes, texts: list, starts: list[float]) -> None:
    """Shift policy labels left (in points) so that no two overlap: the rightmost stays at
    its line, each other one ends where the next one to its right begins. Measured on the
    laid-out figure."""
    root = ax.figure.figure
    engine = root.get_layout_engine()
    if engine is not None:
        engine.execute(root)
    renderer = root._get_renderer()
    to_points = 72.0 / root.dpi
    x = ax.transData.transform(np.column_stack([starts, np.zeros(len(starts))]))[:, 0]
    widths = [t.get_window_extent(renderer).width for t in texts]
    gap = 2.0 / to_points
    left_edge = np.inf
    for k in sorted(range(len(texts)), key=lambda k: (-x[k], k)):
        right = min(x[k], left_edge - gap)
        texts[k].xyann = ((right - x[k]) * to_points, texts[k].xyann[1])
        left_edge = right - widths[k]


def plot_wages(
    result: Result, ax: Axes | None = None, which: str = "both", max_legend: int | None = None
) -> Figure:
    """Each region's real wage ω = w G^(-μ) (solid) and nominal wage w (dashed) over time.

    Migrants compare real wages: a region's nominal wage is what its firms can pay, and its
    lower price index G (more local varieties, no transport cost on them) adds to what that
    wage buys. Both are in units of the farm wage (the numéraire, = 1). ``which`` is
    "both", "real" or "nominal". Up to ``MAX_LINES`` regions the legend names each line
    (the first ``max_legend`` regions, default all); more regions get one legend entry per
    region colour and a key of line styles, beside the axes.

    While a region holds none of the mobile factor nobody earns its wage: the model records
    the *potential* wage there, what a first mover would earn (``Equilibrium.potential_wage``
    in cp; the would-be reward in fe and fc). Those stretches are drawn faded and dotted.
    """
    columns = {"both": ("real_wage", "wage"), "real": ("real_wage",), "nominal": ("wage",)}
    if which not in columns:
        raise ValueError(f"which must be one of {sorted(columns)} (got {which!r})")
    fig, ax = figure_axes(ax)
    labels = {"real_wage": "real wage ω", "wage": "nominal wage w"}
    styles = {"real_wage": dict(ls="-", lw=1.8), "wage": dict(ls="--", lw=1.2)}
    ts = result.timeseries
    groups = list(ts.groupby("region", sort=False))
    many = len(groups) > MAX_LINES
    named = len(groups) if max_legend is None else max_legend
    colours = region_colours(len(groups))
    any_empty = False
    for i, ((name, group), colour) in enumerate(zip(groups, colours, strict=True)):
        empty = group["share"].to_numpy() == 0
        # a potential stretch joins the observed line at both of its ends
        near_empty = empty | np.append(empty[1:], False) | np.append(False, empty[:-1])
        any_empty |= bool(empty.any())
        for column in columns[which]:
            values = group[column].to_numpy(dtype=float)
            label = f"{name}: {labels[column]}" if i < named and not many else None
            ax.plot(
                group["step"],
                np.where(empty, np.nan, values),
                color=colour,
                label=label,
                **styles[column],
            )
            if empty.any():
                ax.plot(
                    group["step"],
                    np.where(near_empty, values, np.nan),
                    color=colour,
                    ls=":",
                    lw=styles[column]["lw"] * 0.8,
                    alpha=0.4,
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
    handles, names = ax.get_legend_handles_labels()
    if many:
        handles = [Line2D([], [], color=c, lw=4) for c in colours[:named]]
        names = [str(name) for name, _ in groups[:named]]
        handles += [Line2D([], [], color="0.3", **styles[c]) for c in columns[which]]
        names += [labels[c] for c in columns[which]]
    if any_empty:
        handles.append(Line2D([], [], color="0.3", ls=":", lw=1.4, alpha=0.4))
        names.append("potential (empty region:\nwhat a first mover would earn)")
    if many:
        ax.legend(
            handles,
            names,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=7,
            ncols=1 + len(names) // 16,
            title="region",
            title_fontsize=7,
        )
    else:
        ax.legend(handles, names, loc="best", fontsize=8)
    return fig

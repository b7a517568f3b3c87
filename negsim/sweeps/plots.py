"""Figures of a sweep directory: simulated tomahawk, hysteresis loop, regime map, Sobol' bars.

``plot_sweep(DIR)`` picks the figure from what the sweep varied:

- a continuation over T → the hysteresis loop over the analytic tomahawk;
- T and μ → the regime map over (T, μ) with the analytic break and sustain curves;
- T (and initial conditions) → the simulated tomahawk over the analytic one;
- design ``sobol`` → first-order and total Sobol' indices;
- any other two numbers on a grid → the mean largest final share over them (a heat map,
  with the analytic break and sustain points where one of them is T);
- anything else → the largest share against each varied parameter.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from negsim import economies
from negsim.plots.common import figure_axes
from negsim.plots.theory import plot_tomahawk
from negsim.sweeps.analysis import (
    MU_KEY,
    OUTCOMES,
    START_KEY,
    T_KEY,
    fixed_scenario,
    has_analytic_tomahawk,
    load_results,
    regime_map,
    sensitivity,
    start_label,
    two_region_thresholds,
)
from negsim.sweeps.spec import SweepPlan, key_description
from negsim.sweeps.store import SENSITIVITY

OUTCOME_COLOURS = {
    "agglomeration": "#c0392b",
    "history decides": "#f5b041",
    "dispersion": "#5dade2",
    "partial": "#a6acaf",
}
KINDS = ("hysteresis", "regime map", "tomahawk", "sensitivity", "heat map", "scatter")


def sweep_kind(plan: SweepPlan) -> str:
    """Which figure suits the sweep (one of ``KINDS``)."""
    keys = set(plan.keys)
    tomahawk_ok = has_analytic_tomahawk(fixed_scenario(plan))
    if plan.design == "sobol":
        return "sensitivity"
    if plan.design == "continuation" and keys == {T_KEY}:
        return "hysteresis"
    if {T_KEY, MU_KEY} <= keys and keys <= {T_KEY, MU_KEY, START_KEY}:
        return "regime map"
    if T_KEY in keys and keys <= {T_KEY, START_KEY} and tomahawk_ok:
        return "tomahawk"
    numeric = [p for p in plan.parameters if all(_is_number(v) for v in p.values or [])]
    if plan.design == "grid" and len(plan.parameters) == 2 and len(numeric) == 2:
        return "heat map"
    return "scatter"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def plot_sweep(out: str | Path) -> tuple[Figure, str]:
    """The figure of the sweep in directory ``out`` and which kind it is."""
    plan, runs, _ = load_results(out)
    kind = sweep_kind(plan)
    if kind == "sensitivity":
        csv = Path(out) / SENSITIVITY
        indices = pd.read_csv(csv) if csv.exists() else sensitivity(plan, runs)
        return plot_sensitivity(indices, plan.name), kind
    if kind == "hysteresis":
        return plot_hysteresis(plan, runs), kind
    if kind == "regime map":
        return plot_regime_map(plan, runs), kind
    if kind == "tomahawk":
        return plot_simulated_tomahawk(plan, runs), kind
    if kind == "heat map":
        return plot_heat_map(plan, runs), kind
    return plot_scatter(plan, runs), kind


def _analytic_tomahawk(plan: SweepPlan, t_values: np.ndarray, ax: Axes) -> None:
    scenario = fixed_scenario(plan)
    lo, hi = max(1.0005, float(np.min(t_values))), float(np.max(t_values))
    econ = scenario.economy
    plot_tomahawk(econ.sigma, econ.mu, np.linspace(lo, hi, 241), ax=ax, model=economies.of(econ))


def plot_simulated_tomahawk(plan: SweepPlan, runs: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Final share of region 1 against T, one marker per initial condition, over the
    analytic tomahawk (stable and unstable equilibria, break and sustain points)."""
    fig, ax = figure_axes(ax, (8, 4.8))
    ok = runs[runs["error"].isna()]
    _analytic_tomahawk(plan, ok[T_KEY].to_numpy(), ax)
    share1 = ok["final_shares"].map(lambda s: float(s[0]))
    starts = ok[START_KEY].map(tuple) if START_KEY in ok else pd.Series("", index=ok.index)
    markers = iter(["o", "s", "^", "D", "v", "P"] * 4)
    colours = iter(["tab:green", "black", "tab:purple", "tab:orange", "tab:brown"] * 5)
    sizes = iter([80, 30, 14, 8, 5, 3] * 4)  # nested, so coinciding markers stay visible
    for start, index in starts.groupby(starts, sort=False).groups.items():
        label = start_label(start) if START_KEY in ok else "simulated"
        ax.scatter(
            ok.loc[index, T_KEY],
            share1.loc[index],
            s=next(sizes),
            marker=next(markers),
            facecolors="none",
            edgecolors=next(colours),
            linewidths=1.2,
            label=f"agents, {label}",
            zorder=5,
        )
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    ax.set_title(f"{plan.name}: simulated tomahawk ({len(ok)} runs) over the analytic one")
    return fig


def plot_hysteresis(plan: SweepPlan, runs: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The continuation path: final share of region 1 as T is raised, then lowered."""
    fig, ax = figure_axes(ax, (8, 4.8))
    ok = runs[runs["error"].isna()]
    _analytic_tomahawk(plan, ok[T_KEY].to_numpy(), ax)
    for (rep, leg), sub in ok.groupby(["replication", "leg"], sort=True):
        sub = sub.sort_values("path_index")
        share1 = sub["final_shares"].map(lambda s: float(s[0])).to_numpy()
        t = sub[T_KEY].to_numpy()
        colour = "tab:purple" if leg == 0 else "tab:orange"
        label = ("T raised" if leg == 0 else "T lowered") if rep == 0 else None
        offset = 0.004 if leg else -0.004  # keep the two legs apart where they coincide
        ax.plot(t, share1 + offset, "-", color=colour, lw=1.4, alpha=0.8, label=label, zorder=6)
        if len(t) > 1:
            ax.quiver(
                t[:-1],
                share1[:-1] + offset,
                np.diff(t),
                np.diff(share1),
                angles="xy",
                scale_units="xy",
                scale=1,
                color=colour,
                width=0.003,
                zorder=6,
            )
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    ax.set_title(f"{plan.name}: hysteresis loop over the analytic tomahawk")
    return fig


def plot_regime_map(plan: SweepPlan, runs: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Outcome over (T, μ): agglomeration, history decides, dispersion, partial; with the
    analytic break and sustain points T_B(μ), T_S(μ) where the tomahawk applies."""
    fig, ax = figure_axes(ax, (8, 5))
    table = regime_map(runs)
    ts, mus = np.unique(table[T_KEY]), np.unique(table[MU_KEY])
    grid = np.full((mus.size, ts.size), np.nan)
    codes = {name: i for i, name in enumerate(OUTCOMES)}
    for t_value, mu_value, outcome in zip(
        table[T_KEY], table[MU_KEY], table["outcome"], strict=True
    ):
        grid[np.searchsorted(mus, mu_value), np.searchsorted(ts, t_value)] = codes[outcome]
    cmap = ListedColormap([OUTCOME_COLOURS[o] for o in OUTCOMES])
    ax.pcolormesh(_edges(ts), _edges(mus), grid, cmap=cmap, vmin=-0.5, vmax=len(OUTCOMES) - 0.5)
    handles = [Patch(color=OUTCOME_COLOURS[o], label=o) for o in OUTCOMES]
    scenario = fixed_scenario(plan)
    if has_analytic_tomahawk(scenario):
        curve = [
            (m, pair)
            for m in np.linspace(mus.min(), mus.max(), 200)
            if (pair := two_region_thresholds(scenario, mu=float(m))) is not None
        ]
        fine = [m for m, _ in curve]
        (b,) = ax.plot([p[0] for _, p in curve], fine, "k--", lw=1.5, label="break point $T_B(μ)$")
        (s,) = ax.plot([p[1] for _, p in curve], fine, "k:", lw=1.8, label="sustain point $T_S(μ)$")
        handles += [b, s]
        ax.set_xlim(_edges(ts)[0], _edges(ts)[-1])
    ax.set_xlabel("transport cost T (iceberg factor, ≥ 1)")
    ax.set_ylabel("manufacturing share μ")
    ax.set_title(f"{plan.name}: regime map over (T, μ), σ = {scenario.economy.sigma:g}")
    ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
    return fig


def plot_sensitivity(indices: pd.DataFrame, name: str = "sweep", ax: Axes | None = None) -> Figure:
    """First-order (S1) and total (ST) Sobol' indices with 95% intervals."""
    fig, ax = figure_axes(ax, (8, 4.2))
    x = np.arange(len(indices))
    ax.bar(
        x - 0.2, indices["S1"], 0.4, yerr=indices["S1_conf"], capsize=4, label="first order $S_1$"
    )
    ax.bar(x + 0.2, indices["ST"], 0.4, yerr=indices["ST_conf"], capsize=4, label="total $S_T$")
    ax.set_xticks(x, [p.split(".")[-1] for p in indices["parameter"]])
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_ylabel("Sobol' index (share of output variance)")
    output = indices["output"].iloc[0] if "output" in indices else "output"
    ax.set_title(f"{name}: sensitivity of the final {output.replace('_', ' ')}")
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    return fig


def plot_heat_map(plan: SweepPlan, runs: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Mean largest final share (over replications) on a two-parameter grid; T on the x axis
    when it is one of them, with the analytic break and sustain points of the symmetric
    two-region CP model (FKV 1999, ch. 5) as vertical lines."""
    fig, ax = figure_axes(ax, (8, 5))
    keys = plan.keys if plan.keys[1] != T_KEY else plan.keys[::-1]
    ok = runs[runs["error"].isna()]
    mean = ok.groupby(keys)["largest_share"].mean()
    xs, ys = np.unique(ok[keys[0]]), np.unique(ok[keys[1]])
    grid = np.full((ys.size, xs.size), np.nan)
    for (x, y), value in mean.items():
        grid[np.searchsorted(ys, y), np.searchsorted(xs, x)] = value
    n_regions = len(ok["final_shares"].iloc[0]) if len(ok) else 2
    mesh = ax.pcolormesh(
        _edges(xs), _edges(ys), grid, cmap="viridis", vmin=1.0 / n_regions, vmax=1.0
    )
    fig.colorbar(mesh, ax=ax, label="largest final share (mean over replications)")
    scenario = fixed_scenario(plan)
    pair = two_region_thresholds(scenario)
    if keys[0] == T_KEY and pair is not None:
        for threshold, style, name in (
            (pair[0], "--", "break point $T_B$"),
            (pair[1], ":", "sustain point $T_S$"),
        ):
            ax.axvline(threshold, color="white", ls=style, lw=1.8, label=name)
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    ax.set_xlabel(_axis_label(keys[0]))
    ax.set_ylabel(_axis_label(keys[1]))
    ax.set_title(f"{plan.name}: {len(ok)} runs")
    return fig


def _axis_label(key: str) -> str:
    """A varied key as an axis label: its description in the scenario schema, and the key."""
    if key == T_KEY:
        return "transport cost T (iceberg factor, ≥ 1)"
    described = key_description(key)
    return f"{described} ({key})" if described else key


def plot_scatter(plan: SweepPlan, runs: pd.DataFrame) -> Figure:
    """Largest final share against each varied numeric parameter."""
    numeric = [k for k in plan.keys if pd.api.types.is_numeric_dtype(runs[k])]
    if not numeric:
        raise ValueError(f"{plan.name}: no numeric parameter to plot against")
    fig, axes = plt.subplots(
        1, len(numeric), figsize=(3.6 * len(numeric), 3.6), layout="constrained", squeeze=False
    )
    for ax, key in zip(axes[0], numeric, strict=True):
        ax.scatter(runs[key], runs["largest_share"], s=12, alpha=0.7)
        ax.set_xlabel(key)
        ax.set_ylabel("largest final share")
        ax.grid(alpha=0.3)
    fig.suptitle(f"{plan.name}: {len(runs)} runs")
    return fig


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted centres (half-way between neighbours)."""
    if centres.size == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate(([2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]))

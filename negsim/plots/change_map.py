"""The change map of a policy run against its baseline: the percentage change of each
place's share of the mobile factor, in diverging colours centred at 0 (red loses, blue
gains) with a labelled colour bar. Places with coordinates (a places table, or
``[geography.coordinates]``) are drawn at longitude and latitude; other geographies get one
bar per region. Reads the ``effects`` table of a ``Result`` (``negsim.effects``).
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from negsim.effects import EFFECT_COLUMNS
from negsim.plots.common import figure_axes
from negsim.plots.maps import MAP_MARKER_AREA, _geographic_positions
from negsim.record import Result

_PERCENT = EFFECT_COLUMNS[4]
_CMAP = "RdBu"  # diverging: red = loss, white = no change, blue = gain


def plot_effects(result: Result, ax: Axes | None = None) -> Figure:
    """Percentage change per place of the policy run against its baseline (``result`` from
    ``negsim.runner.run_with_baseline``). Marker area ∝ the policy run's final share; a
    place empty in the baseline (no percentage) is drawn as a grey ring."""
    if result.effects is None:
        raise ValueError("no effects: run the scenario with its baseline (run_with_baseline)")
    table = result.effects
    names = [str(n) for n in table["region"]]
    change = np.array([np.nan if v is None else v for v in table[_PERCENT]], dtype=float)
    finite = change[np.isfinite(change)]
    bound = max(float(np.abs(finite).max()) if finite.size else 0.0, 1e-9)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)
    cmap = matplotlib.colormaps[_CMAP]
    state = result.region_state()
    pos = _geographic_positions(state)
    fig, ax = figure_axes(ax, size=(7.5, 5.0))
    colours = [cmap(norm(v)) if np.isfinite(v) else "none" for v in change]
    if pos is not None:
        shares = table[EFFECT_COLUMNS[2]].to_numpy(dtype=float)
        sizes = np.maximum(MAP_MARKER_AREA * shares, 30.0)
        ax.scatter(pos[:, 0], pos[:, 1], s=sizes, c=colours, edgecolors="0.3", zorder=2)
        for (x, y), name, v in zip(pos, names, change, strict=True):
            text = f"{name}\n{v:+.1f}%" if np.isfinite(v) else f"{name}\n(empty before)"
            ax.annotate(text, (x, y), xytext=(6, 6), textcoords="offset points", fontsize=8)
        ax.set_aspect(1.0 / np.cos(np.radians(float(pos[:, 1].mean()))), adjustable="datalim")
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")
        ax.margins(0.15)
    else:
        y = np.arange(len(names))
        ax.barh(y, np.nan_to_num(change), color=colours, edgecolor="0.3")
        ax.axvline(0.0, color="0.3", lw=0.8)
        pp = table[EFFECT_COLUMNS[3]].to_numpy(dtype=float)
        for k, (v, p) in enumerate(zip(change, pp, strict=True)):
            text = f" {v:+.1f}%" if np.isfinite(v) else f" empty before: {p:+.1f} pp"
            ax.annotate(text, (0.0 if not np.isfinite(v) else v, k), va="center", fontsize=8)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlabel("change in share against the baseline (%)")
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=ax, shrink=0.8)
    bar.set_label(f"change in share of {state.mobile} against the baseline (%)")
    ax.set_title(f"{result.scenario.name}: policy against its baseline, step {state.step}")
    return fig

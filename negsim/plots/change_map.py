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
from negsim.plots.labels import aim_label, label_directions, untangle_labels
from negsim.plots.maps import MAP_MARKER_AREA, MAX_NAMED_PLACES, _geographic_positions
from negsim.record import Result

_PERCENT = EFFECT_COLUMNS[4]
_CMAP = "RdBu"  # diverging: red = loss, white = no change, blue = gain


def plot_effects(result: Result, ax: Axes | None = None) -> Figure:
    """Percentage change per place of the policy run against its baseline (``result`` from
    ``negsim.runner.run_with_baseline``). Marker area ∝ the larger of the two final shares
    (a place the policy empties stays visible); a place empty in the baseline (no
    percentage) is drawn as a ring, labelled with its change in percentage points."""
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
    pp = table[EFFECT_COLUMNS[3]].to_numpy(dtype=float)
    if pos is not None:
        larger = np.maximum(table[EFFECT_COLUMNS[1]], table[EFFECT_COLUMNS[2]]).to_numpy(float)
        sizes = np.maximum(MAP_MARKER_AREA * larger, 30.0)
        ax.scatter(pos[:, 0], pos[:, 1], s=sizes, c=colours, edgecolors="0.3", zorder=2)
        ax.set_aspect(1.0 / np.cos(np.radians(float(pos[:, 1].mean()))), adjustable="datalim")
        ax.margins(0.15)
        texts = [n + _change_text(v, p) for n, v, p in zip(names, change, pp, strict=True)]
        named = _most_changed(change, pp)
        _label_places(ax, pos, texts, sizes, named)
        caption = "marker area ∝ the larger of the two shares; ring: empty in the baseline"
        if named.size < len(names):
            caption += f"\nnamed: the {named.size} places whose share changed most (in %)"
        ax.set_xlabel(f"longitude (°E)\n{caption}", fontsize=9)
        ax.set_ylabel("latitude (°N)")
    else:
        y = np.arange(len(names))
        ax.barh(y, np.nan_to_num(change), color=colours, edgecolor="0.3")
        ax.axvline(0.0, color="0.3", lw=0.8)
        for k, (v, p) in enumerate(zip(change, pp, strict=True)):
            text = _change_text(v, p).strip() or "empty in both runs"
            at = v if np.isfinite(v) else 0.0
            ax.annotate(
                text,
                (at, k),
                xytext=(-3 if at < 0 else 3, 0),
                textcoords="offset points",
                ha="right" if at < 0 else "left",
                va="center",
                fontsize=8,
            )
        ax.margins(x=0.2)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlabel("change in share against the baseline (%)")
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=ax, shrink=0.8)
    bar.set_label(f"change in share of {state.mobile} against the baseline (%)")
    ax.set_title(f"{result.scenario.name}: policy against its baseline, step {state.step}")
    return fig


def _most_changed(change: np.ndarray, pp: np.ndarray) -> np.ndarray:
    """The places to name, in map order: all of them up to ``MAX_NAMED_PLACES``, else those
    with the largest |change in %| (a place new to the policy run counts as the largest)."""
    if change.size <= MAX_NAMED_PLACES:
        return np.arange(change.size)
    size = np.where(np.isfinite(change), np.abs(change), np.where(pp != 0, np.inf, 0.0))
    return np.sort(np.argsort(-size, kind="stable")[:MAX_NAMED_PLACES])


def _label_places(
    ax: Axes, pos: np.ndarray, texts: list[str], sizes: np.ndarray, named: np.ndarray
) -> None:
    """Labels of the places ``named`` beside their markers, moved apart where they would
    overlap (as the maps do)."""
    radii = np.sqrt(sizes) / 2 + 3  # points
    box = ax.get_window_extent()
    x_range, y_range = np.ptp(pos[:, 0]) or 1.0, np.ptp(pos[:, 1]) or 1.0
    points_per_unit = min(box.width / x_range, box.height / y_range) * 72.0 / ax.figure.dpi
    directions = label_directions(pos, [], None, radii / points_per_unit)[named]
    labels = []
    for k, direction in zip(named, directions, strict=True):
        text = ax.annotate(
            texts[k],
            pos[k],
            xytext=(0, 0),
            textcoords="offset points",
            fontsize=7 if len(texts) > 8 else 8,
            zorder=6,
        )
        aim_label(text, direction, radii[k])
        labels.append(text)
    untangle_labels(ax, labels, [], pos[named], radii[named], directions, (1.0, 1.8, 2.8), True)


def _change_text(percent: float, pp: float) -> str:
    """A place's label below its name: the percentage change, or for a place empty in the
    baseline its change in percentage points (nothing when it stays empty)."""
    if np.isfinite(percent):
        return f"\n{percent:+.1f}%"
    return f"\nnew: {pp:+.1f} pp" if pp != 0 else ""

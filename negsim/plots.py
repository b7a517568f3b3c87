"""Matplotlib figures. Each function returns the Figure and accepts an Axes to draw into."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from negsim import economies, theory
from negsim.record import HasRegionState, RegionState, Result, mobile_label


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
    economy = economies.get(model)
    breaks, sustains = theory.thresholds(model, sigma, mu, housing_share)
    fig, ax = _axes(ax)
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
    ax.set_xlabel("transport cost T (iceberg factor, ≥ 1)")
    ax.set_ylabel(f"share of {economy.mobile.label} in region 1, λ")
    title = economy.title + (": home-market effect" if economy.home_market else " tomahawk")
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
        potential = " (if one moved)" if count == 0 and state.potential_when_empty else ""
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
    source: RegionState | HasRegionState, step: int | None = None, ax: Axes | None = None
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


# --- maps of many places: racetrack circle, networks (and line, grid, matrix) ---------------

#: Marker area (points²) of a place holding all of the mobile factor (λ = 1); a place's
#: marker area is ``MAP_MARKER_AREA · λ``, so areas compare like populations.
MAP_MARKER_AREA = 1500.0


_IMPROVED = "tab:red"  # colour of improved links (link overrides)


@dataclass(frozen=True)
class _Edge:
    """A link drawn on a map: between places ``i`` and ``j``, line ``width`` (points),
    an optional text at its middle and a dashed style for improved links."""

    i: int
    j: int
    width: float
    label: str | None = None
    dashed: bool = False


def _label_directions(
    pos: np.ndarray, edges: list[_Edge], centre: np.ndarray | None, radii: np.ndarray
) -> np.ndarray:
    """Unit vectors along which to put each place's label: outwards from ``centre`` if
    given; otherwise into the widest free angle around the place, where its links, the
    markers of nearby places (``radii``, in data units) and the labels already placed block
    the directions they cover."""
    n = pos.shape[0]
    if centre is not None or n < 2:
        out = pos - (np.zeros(2) if centre is None else centre)
        norm = np.hypot(out[:, 0], out[:, 1])[:, None]
        return np.where(norm > 1e-9, out / np.maximum(norm, 1e-12), [0.0, 1.0])
    diff = pos[None, :, :] - pos[:, None, :]  # diff[k, j] points from k to j
    dist = np.hypot(diff[..., 0], diff[..., 1])
    np.fill_diagonal(dist, np.inf)
    reach = 4.0 * np.median(radii)  # how far a label extends, roughly
    link_width = np.radians(12.0)
    directions = np.zeros((n, 2))
    placed: list[np.ndarray] = []  # centres of the labels placed so far
    for k in range(n):
        blocked = []  # (angle, half-width) of what surrounds place k
        for centre_j in placed:
            away = centre_j - pos[k]
            gap = float(np.hypot(*away))
            if gap < radii[k] + 2.0 * reach:
                half = np.arcsin(min(1.0, 0.6 * reach / max(gap, 1e-12)))
                blocked.append((float(np.arctan2(away[1], away[0])), float(half)))
        linked = {e.j for e in edges if e.i == k} | {e.i for e in edges if e.j == k}
        for j in range(n):
            if j == k:
                continue
            angle = float(np.arctan2(diff[k, j, 1], diff[k, j, 0]))
            if j in linked:
                blocked.append((angle, link_width))
            if dist[k, j] - radii[j] < radii[k] + reach:
                ratio = min(1.0, (radii[j] + 0.5 * reach) / dist[k, j])
                blocked.append((angle, max(float(np.arcsin(ratio)), link_width)))
        directions[k] = _widest_free_angle(blocked)
        placed.append(pos[k] + directions[k] * (radii[k] + 0.5 * reach))
    return directions


def _widest_free_angle(blocked: list[tuple[float, float]]) -> np.ndarray:
    """The unit vector in the middle of the widest angle not covered by the intervals
    (centre, half-width); if they cover the circle, the middle of the widest gap between
    their centres."""
    if not blocked:
        return np.array([0.0, 1.0])
    grid = np.linspace(-np.pi, np.pi, 360, endpoint=False)
    free = np.ones(grid.size, dtype=bool)
    for angle, half in blocked:
        free &= np.abs(np.angle(np.exp(1j * (grid - angle)))) > half
    if free.any():
        first = int(np.argmin(free))  # a blocked direction (or 0): runs do not wrap after it
        rolled = np.concatenate([[0], np.roll(free, -first).astype(int), [0]])
        starts, ends = np.flatnonzero(np.diff(rolled) == 1), np.flatnonzero(np.diff(rolled) == -1)
        longest = int(np.argmax(ends - starts))
        middle = grid[(first + (starts[longest] + ends[longest]) // 2) % grid.size]
    else:
        angles = np.sort([a for a, _ in blocked])
        gaps = np.diff(np.append(angles, angles[0] + 2 * np.pi))
        widest = int(np.argmax(gaps))
        middle = angles[widest] + gaps[widest] / 2
    return np.array([np.cos(middle), np.sin(middle)])


def _aim_label(text: Any, direction: np.ndarray, radius: float) -> None:
    """Put an annotation ``radius`` points from its place along ``direction``, aligned so
    that it extends away from the place."""
    text.xyann = (float(direction[0] * radius), float(direction[1] * radius))
    text.set_horizontalalignment(
        "left" if direction[0] > 0.35 else "right" if direction[0] < -0.35 else "center"
    )
    text.set_verticalalignment(
        "bottom" if direction[1] > 0.35 else "top" if direction[1] < -0.35 else "center"
    )


def _untangle_labels(
    ax: Axes,
    labels: list[Any],
    obstacles: list[Any],
    pos: np.ndarray,
    radii: np.ndarray,
    preferred: np.ndarray,
) -> None:
    """Move place labels that overlap other labels, markers or link labels to the free
    direction (of 16) that overlaps least, preferring the direction first chosen. Measured
    on the figure as it is laid out now (close to, not exactly, the final layout)."""
    if not labels or len(labels) > 40:
        return
    root = ax.figure.figure  # the top-level Figure, also for axes in a SubFigure
    engine = root.get_layout_engine()
    if engine is not None:  # lay the figure out as it will be drawn (constrained layout)
        title = ax.get_title()
        ax.set_title(title or "a title, as plot_regions will set")  # it takes room
        engine.execute(root)
        ax.set_title(title)
    renderer = root._get_renderer()  # any canvas, also a bare Figure's
    ax.apply_aspect()
    to_px = root.dpi / 72.0
    centres = ax.transData.transform(pos)
    half = 0.8 * radii * to_px  # marker "boxes" a little inside the circles
    markers = np.column_stack([centres - half[:, None], centres + half[:, None]])
    frame = ax.get_window_extent(renderer)
    fixed = np.array([list(t.get_window_extent(renderer).extents) for t in obstacles])
    fixed = fixed.reshape(-1, 4)
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    candidates = np.column_stack([np.cos(angles), np.sin(angles)])

    def overlap(box: np.ndarray, others: np.ndarray) -> float:
        if others.size == 0:
            return 0.0
        w = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
        h = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
        return float(np.sum(np.clip(w, 0, None) * np.clip(h, 0, None)))

    boxes = np.array([list(t.get_window_extent(renderer).extents) for t in labels])
    for _ in range(2):
        for k, text in enumerate(labels):
            others = np.vstack([np.delete(boxes, k, axis=0), np.delete(markers, k, axis=0), fixed])
            best, best_score = None, np.inf
            for direction in np.vstack([preferred[k], candidates]):
                _aim_label(text, direction, radii[k])
                box = np.array(text.get_window_extent(renderer).extents)
                outside = (box[2] - box[0]) * (box[3] - box[1]) - overlap(
                    box, np.array([frame.extents])
                )
                turn = 1.0 - float(direction @ preferred[k])
                score = overlap(box, others) + 20.0 * outside + 40.0 * turn
                if score < best_score - 1e-9:
                    best, best_score = (direction, box), score
            assert best is not None
            _aim_label(text, best[0], radii[k])
            boxes[k] = best[1]


def _draw_places(
    state: RegionState,
    ax: Axes,
    pos: np.ndarray,
    edges: list[_Edge],
    edge_handle: tuple[Line2D, str] | None,
    caption: str,
    centre: np.ndarray | None = None,
) -> None:
    """Draw places at ``pos`` (R×2) sized by their share, their links and their names.

    Each place gets a dashed ring of the area the even spread 1/R would give it and a filled
    marker of area ``MAP_MARKER_AREA · λ`` (coloured like its line in ``plot_shares``),
    labelled with its name and share. The right part of the axes holds the legend: the
    links (``edge_handle``), the even ring and a key of marker areas.
    """
    n = len(state.names)
    shares = np.asarray(state.shares, dtype=float)
    if edges:
        ax.add_collection(
            LineCollection(
                [[pos[e.i], pos[e.j]] for e in edges],
                linewidths=[e.width for e in edges],
                linestyles=["--" if e.dashed else "-" for e in edges],
                colors=[_IMPROVED if e.dashed else "0.6" for e in edges],
                zorder=1,
                label="links",
            )
        )
    edge_texts = []
    for edge in edges:
        if edge.label:
            mid = (pos[edge.i] + pos[edge.j]) / 2
            edge_texts.append(
                ax.text(
                    *mid,
                    edge.label,
                    fontsize=7,
                    color=_IMPROVED if edge.dashed else "0.25",
                    ha="center",
                    va="center",
                    zorder=5,
                    bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.75),
                )
            )
    even_area = MAP_MARKER_AREA / n
    ring = ax.scatter(
        pos[:, 0],
        pos[:, 1],
        s=np.full(n, even_area),
        facecolors="none",
        edgecolors="0.4",
        linestyles="--",
        linewidths=0.9,
        zorder=3,
        label="even spread",
    )
    ax.scatter(
        pos[:, 0],
        pos[:, 1],
        s=MAP_MARKER_AREA * shares,
        c=[f"C{i % 10}" for i in range(n)],
        edgecolors="0.15",
        linewidths=0.8,
        alpha=0.85,
        zorder=4,
        label="shares",
    )
    span = float(np.ptp(pos, axis=0).max()) if n > 1 else 1.0
    lo, hi = pos.min(axis=0) - 0.32 * span, pos.max(axis=0) + 0.32 * span
    ax.set_xlim(lo[0], hi[0] + 0.95 * span)  # room on the right for the legend
    ax.set_ylim(min(lo[1], -0.45 * span), max(hi[1], 0.45 * span))
    radii = np.sqrt(np.maximum(MAP_MARKER_AREA * shares, even_area)) / 2 + 3  # points
    box = ax.get_window_extent()  # the scale is approximate until the figure is drawn
    x_range, y_range = np.diff(ax.get_xlim())[0], np.diff(ax.get_ylim())[0]
    points_per_unit = min(box.width / x_range, box.height / y_range) * 72.0 / ax.figure.dpi
    directions = _label_directions(pos, edges, centre, radii / points_per_unit)
    ax.set_aspect("equal", adjustable="box")
    name_texts = []
    for k, direction in enumerate(directions):
        text = ax.annotate(
            f"{state.names[k]}\nλ = {shares[k]:.2f}",
            pos[k],
            xytext=(0.0, 0.0),
            textcoords="offset points",
            fontsize=7 if n > 8 else 8,
            zorder=6,
            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.6),
        )
        _aim_label(text, direction, radii[k])
        name_texts.append(text)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(caption, fontsize=8)
    handles = [] if edge_handle is None else [edge_handle[0]]
    labels = [] if edge_handle is None else [edge_handle[1]]
    if any(e.dashed for e in edges):
        handles.append(Line2D([], [], color=_IMPROVED, lw=2.0, ls="--"))
        labels.append("improved link:\nlabel = its T")
    handles.append(ring)
    labels.append(f"even spread 1/{n}")
    for v in (0.1, 0.5):
        handles.append(
            Line2D(
                [], [], ls="", marker="o", ms=np.sqrt(MAP_MARKER_AREA * v), mfc="0.75", mec="0.15"
            )
        )
        labels.append(f"λ = {v:g}")
    ax.legend(
        handles,
        labels,
        loc="center right",
        fontsize=7,
        labelspacing=1.3,
        borderpad=0.9,
        handlelength=3.2,
        handletextpad=1.0,
        title=f"marker area ∝\nshare of {state.mobile} λ",
        title_fontsize=7,
    )
    if centre is None:  # radial labels (a circle) need no untangling
        _untangle_labels(ax, name_texts, edge_texts, pos, radii, directions)


def _link_widths(lengths: np.ndarray) -> np.ndarray:
    """Line widths (points) inversely proportional to length: the shortest link 4 pt."""
    lengths = np.asarray(lengths, dtype=float)
    if lengths.size == 0:
        return lengths
    return np.maximum(4.0 * lengths.min() / lengths, 0.6)


def _draw_racetrack_map(state: RegionState, ax: Axes) -> None:
    """R places equally spaced on a circle (clockwise from the top, in region order),
    marker area ∝ share of the mobile factor; the track joins neighbours a cost T apart."""
    n = len(state.names)
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    pos = np.column_stack([np.cos(angle), np.sin(angle)])
    ax.add_patch(Circle((0.0, 0.0), 1.0, fill=False, color="0.6", lw=2.0, zorder=1))
    t = float(state.transport_costs[0, 1 % n]) if n > 1 else 1.0
    _draw_places(
        state,
        ax,
        pos,
        [],
        (Line2D([], [], color="0.6", lw=2.0), f"track: neighbours\nT = {t:.3g} apart"),
        f"{n} places on a circle; k links apart: T^k = {t:.3g}^k (iceberg factor)",
        centre=np.zeros(2),
    )


def _graph_layout(n: int, lengths: dict[tuple[int, int], float]) -> np.ndarray:
    """Deterministic positions whose distances follow the route lengths between places
    (Kamada–Kawai layout over the links, started from a circle: no randomness). Cached,
    so a live map redrawn every step keeps its places and costs no layout time."""
    return np.array(_layout(n, tuple(sorted(lengths.items()))), dtype=float)


@functools.lru_cache(maxsize=64)
def _layout(
    n: int, lengths: tuple[tuple[tuple[int, int], float], ...]
) -> tuple[tuple[float, float], ...]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(((i, j, d) for (i, j), d in lengths), weight="length")
    if n < 3 or graph.number_of_edges() == 0:
        layout = nx.circular_layout(graph)
    else:
        layout = nx.kamada_kawai_layout(graph, weight="length")
    return tuple((float(layout[k][0]), float(layout[k][1])) for k in range(n))


def _direct_links(costs: np.ndarray) -> list[tuple[int, int]]:
    """Pairs whose direct cost is the cheapest route (no chain through a third place is
    cheaper): the links of a cost matrix."""
    n = costs.shape[0]
    log_t = np.log(np.maximum(costs, 1.0))
    pairs = []
    for i in range(n):
        for j in range(i + 1, n):
            via = log_t[i, :] + log_t[:, j]
            via[[i, j]] = np.inf
            if log_t[i, j] <= via.min() + 1e-12:
                pairs.append((i, j))
    return pairs


def _draw_network_map(state: RegionState, ax: Axes) -> None:
    """A network of places (``geography.links``): positions from a deterministic layout in
    which map distance follows route distance, link width ∝ 1/distance and labelled with
    it, improved links (``link_overrides``) dashed in red and labelled with their T (an
    upgrade of an existing link replaces it); marker area ∝ share of the mobile factor."""
    names = list(state.names)
    index = {name: i for i, name in enumerate(names)}
    geo = state.geography
    links = list(getattr(geo, "links", None) or [])
    if not links:  # a bare RegionState: take the links from the cost matrix
        _draw_matrix_map(state, ax)
        return
    lengths = {(index[lk.between[0]], index[lk.between[1]]): float(lk.distance) for lk in links}
    widths = _link_widths(np.array(list(lengths.values())))
    edges = [
        _Edge(i, j, float(w), f"{d:g}")
        for ((i, j), d), w in zip(lengths.items(), widths, strict=True)
    ]
    for override in getattr(geo, "link_overrides", None) or []:
        i, j = index[override.between[0]], index[override.between[1]]
        improved = _Edge(i, j, 2.5, f"T = {override.transport_cost:g}", dashed=True)
        same = [k for k, e in enumerate(edges) if {e.i, e.j} == {i, j}]
        if same:  # an improved road replaces the link it upgrades
            edges[same[0]] = improved
        else:
            edges.append(improved)
    tau, cost = getattr(geo, "cost_per_distance", None), getattr(geo, "cost", "exponential")
    formula = "exp(τ·d)" if cost == "exponential" else "1 + τ·d"
    caption = f"network: T = {formula}, d = shortest-route distance"
    caption += f", τ = {tau:g} per unit of d" if tau is not None else ""
    _draw_places(
        state,
        ax,
        _graph_layout(len(names), lengths),
        edges,
        (Line2D([], [], color="0.6", lw=2.0), "link: label = distance d,\nwidth ∝ 1/d"),
        caption,
    )


def _draw_matrix_map(state: RegionState, ax: Axes) -> None:
    """Places of an explicit cost matrix: the cheapest-route links, laid out so that map
    distance follows ln T, labelled with T when there are few places (≤ 8)."""
    costs = np.asarray(state.transport_costs, dtype=float)
    n = costs.shape[0]
    pairs = _direct_links(costs)
    log_t = np.array([np.log(costs[i, j]) for i, j in pairs])
    lengths = {p: max(float(v), 1e-9) for p, v in zip(pairs, log_t, strict=True)}
    widths = _link_widths(np.array(list(lengths.values())))
    edges = [
        _Edge(i, j, float(w), f"T = {costs[i, j]:.3g}" if n <= 8 else None)
        for (i, j), w in zip(pairs, widths, strict=True)
    ]
    _draw_places(
        state,
        ax,
        _graph_layout(n, lengths),
        edges,
        (Line2D([], [], color="0.6", lw=2.0), "cheapest-route link,\nwidth ∝ 1/ln T"),
        "cost matrix: map distance follows ln T (T = iceberg factor ≥ 1)",
    )


def _draw_lattice_map(state: RegionState, ax: Axes) -> None:
    """Places on a line or a rows × cols grid, neighbours joined, marker area ∝ share."""
    n = len(state.names)
    geo = state.geography
    cols = int(getattr(geo, "cols", None) or n) if state.kind == "grid" else n
    row, col = np.divmod(np.arange(n), cols)
    pos = np.column_stack([col, -row]).astype(float)
    edges = [
        _Edge(a, b, 2.0)
        for a in range(n)
        for b in range(a + 1, n)
        if abs(row[a] - row[b]) + abs(col[a] - col[b]) == 1
    ]
    t = float(state.transport_costs[edges[0].i, edges[0].j]) if edges else 1.0
    shape = f"{n // cols} × {cols} grid" if state.kind == "grid" else f"line of {n}"
    _draw_places(
        state,
        ax,
        pos,
        edges,
        (Line2D([], [], color="0.6", lw=2.0), f"link: neighbours\nT = {t:.3g} apart"),
        f"{shape} places; k steps apart: T^k = {t:.3g}^k (iceberg factor)",
    )


REGION_MAPS.update(
    racetrack=_draw_racetrack_map,
    network=_draw_network_map,
    matrix=_draw_matrix_map,
    line=_draw_lattice_map,
    grid=_draw_lattice_map,
)


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
    pair = theory.break_and_sustain(economy, sigma, mu, float(first.get("housing_share", 0.0)))
    if pair is not None:
        t_b, t_s = pair
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
    ax.set_xlabel("transport cost T (iceberg factor, ≥ 1)")
    ax.set_ylabel(f"rest-point share of {mobile} in {first['region']}, λ")
    ax.set_ylim(-0.03, 1.08)
    ax.set_title(f"Hysteresis: agglomeration persists as T rises (σ={sigma:g}, μ={mu:g})")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", fontsize=8)
    return fig

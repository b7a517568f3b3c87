"""Maps of the regions at one step, drawn by geography kind (``REGION_MAPS``): two regions
as bars joined by their transport cost, a racetrack circle, networks and cost matrices laid
out by route length, lines and grids; any other kind gets one bar per region. Marker area is
``MAP_MARKER_AREA · λ``. Maps read a ``RegionState`` (``negsim.record``), never the model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from negsim.geography import place_links
from negsim.plots.common import figure_axes, region_colours
from negsim.plots.labels import aim_label, label_directions, untangle_labels
from negsim.record import HasRegionState, RegionState, Result

#: Marker area (points²) of a place holding all of the mobile factor (λ = 1); a place's
#: marker area is ``MAP_MARKER_AREA · λ``, so areas compare like populations.
MAP_MARKER_AREA = 1500.0
#: Beyond this many places a map names only those with the largest shares (the label
#: untangling gives up at 40, and dense clusters leave room for few).
MAX_NAMED_PLACES = 16


_IMPROVED = "tab:red"  # colour of improved links (link overrides)
_SCHEMATIC = "\nschematic layout (no geography.coordinates): north is not up"


def _draw_region_bars(state: RegionState, ax: Axes) -> None:
    """Any geography: one bar per region, height = its share λ, the even share 1/R dotted."""
    n = len(state.names)
    x = np.arange(n)
    ax.bar(x, state.shares, width=0.7, color=region_colours(n), edgecolor="0.2")
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


# --- maps of many places: racetrack circle, networks (and line, grid, matrix) ---------------


@dataclass(frozen=True)
class _Edge:
    """A link drawn on a map: between places ``i`` and ``j``, line ``width`` (points),
    an optional text at its middle and a dashed style for improved links."""

    i: int
    j: int
    width: float
    label: str | None = None
    dashed: bool = False


def _draw_places(
    state: RegionState,
    ax: Axes,
    pos: np.ndarray,
    edges: list[_Edge],
    edge_handle: tuple[Line2D, str] | None,
    caption: str,
    centre: np.ndarray | None = None,
    geographic: bool = False,
    legend: bool = True,
    crowded: bool = False,
) -> Callable[[], None]:
    """Draw places at ``pos`` (R×2) sized by their share, their links and their names.

    ``geographic``: ``pos`` are (longitude, latitude) in degrees, drawn on labelled degree
    axes with the aspect 1/cos(mean latitude) (an equirectangular map, true to scale near
    its middle); otherwise ``pos`` is a schematic layout drawn without axes.

    Each place gets a dashed ring of the area the even spread 1/R would give it and a filled
    marker of area ``MAP_MARKER_AREA · λ`` (coloured like its line in ``plot_shares``),
    labelled with its name and share. The right part of the axes holds the legend: the
    links (``edge_handle``), the even ring and a key of marker areas (``legend``). On a
    ``crowded`` map a label may move out to 2.8 times its first distance from its place, and
    labels overlap only where no free spot is left.
    Returns the untangling of the labels, to repeat once a figure of several maps is laid out.
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
        c=region_colours(n),
        edgecolors="0.15",
        linewidths=0.8,
        alpha=0.85,
        zorder=4,
        label="shares",
    )
    span = float(np.ptp(pos, axis=0).max()) if n > 1 else 1.0
    if geographic:
        lo, hi = pos.min(axis=0) - 0.15 * span, pos.max(axis=0) + 0.15 * span
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        aspect = 1.0 / np.cos(np.radians(float(np.mean(pos[:, 1]))))
    else:
        lo, hi = pos.min(axis=0) - 0.32 * span, pos.max(axis=0) + 0.32 * span
        ax.set_xlim(lo[0], hi[0] + 0.95 * span)  # room on the right for the legend
        ax.set_ylim(min(lo[1], -0.45 * span), max(hi[1], 0.45 * span))
        aspect = 1.0
    radii = np.sqrt(np.maximum(MAP_MARKER_AREA * shares, even_area)) / 2 + 3  # points
    box = ax.get_window_extent()  # the scale is approximate until the figure is drawn
    x_range, y_range = np.diff(ax.get_xlim())[0], np.diff(ax.get_ylim())[0]
    points_per_unit = min(box.width / x_range, box.height / y_range) * 72.0 / ax.figure.dpi
    directions = label_directions(pos, [(e.i, e.j) for e in edges], centre, radii / points_per_unit)
    ax.set_aspect(aspect, adjustable="box")
    labelled = np.sort(np.argsort(-shares, kind="stable")[:MAX_NAMED_PLACES])
    if n > MAX_NAMED_PLACES:
        caption += f"\nnamed: the {MAX_NAMED_PLACES} places with the largest shares"
    name_texts = []
    for k in labelled:
        direction = directions[k]
        text = ax.annotate(
            f"{state.names[k]}\nλ = {shares[k]:.{2 if n <= 50 else 3}f}",
            pos[k],
            xytext=(0.0, 0.0),
            textcoords="offset points",
            fontsize=7 if n > 8 else 8,
            zorder=6,
            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.6),
        )
        aim_label(text, direction, radii[k])
        name_texts.append(text)
    if geographic:
        ax.set_xlabel(f"longitude (°E)\n{caption}", fontsize=8)
        ax.set_ylabel("latitude (°N)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25, lw=0.5)
    else:
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
    if not geographic:  # the legend sits in the room left on the right
        placement: dict = dict(loc="center right")
    else:  # beside the map: degrees are not to be stretched for it
        placement = dict(loc="center left", bbox_to_anchor=(1.02, 0.5))
    if legend:
        ax.legend(
            handles,
            labels,
            **placement,
            fontsize=7,
            labelspacing=1.3,
            borderpad=0.9,
            handlelength=3.2,
            handletextpad=1.0,
            title=f"marker area ∝\nshare of {state.mobile} λ",
            title_fontsize=7,
        )

    def untangle() -> None:
        if centre is None:  # radial labels (a circle) need no untangling
            reaches = (1.0, 1.8, 2.8) if crowded else (1.0,)
            untangle_labels(
                ax,
                name_texts,
                edge_texts,
                pos[labelled],
                radii[labelled],
                directions[labelled],
                reaches,
                crowded,
            )

    untangle()
    return untangle  # again once the whole figure is laid out, for figures of several maps


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


def _geographic_positions(state: RegionState) -> np.ndarray | None:
    """(longitude, latitude) of each place in degrees when the geography gives
    ``coordinates``, else None."""
    coordinates = getattr(state.geography, "coordinates", None)
    if not coordinates or any(name not in coordinates for name in state.names):
        return None
    return np.array([[coordinates[n].lon, coordinates[n].lat] for n in state.names], dtype=float)


def _draw_network_map(state: RegionState, ax: Axes) -> None:
    """A network of places (``geography.links``): positions by longitude and latitude when
    the geography gives ``coordinates``, otherwise from a deterministic layout in
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
    where = _geographic_positions(state)
    if where is None:
        caption += _SCHEMATIC
    _draw_places(
        state,
        ax,
        _graph_layout(len(names), lengths) if where is None else where,
        edges,
        (Line2D([], [], color="0.6", lw=2.0), "link: label = distance d,\nwidth ∝ 1/d"),
        caption,
        geographic=where is not None,
    )


def _draw_matrix_map(state: RegionState, ax: Axes) -> None:
    """Places of an explicit cost matrix: the cheapest-route links, labelled with T when
    there are few places (≤ 8); placed by longitude and latitude when the geography gives
    ``coordinates``, otherwise laid out so that map distance follows ln T."""
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
    where = _geographic_positions(state)
    _draw_places(
        state,
        ax,
        _graph_layout(n, lengths) if where is None else where,
        edges,
        (Line2D([], [], color="0.6", lw=2.0), "cheapest-route link,\nwidth ∝ 1/ln T"),
        "cost matrix: "
        + ("map distance follows ln T" if where is None else "places at their coordinates")
        + " (T = iceberg factor ≥ 1)"
        + (_SCHEMATIC if where is None else ""),
        geographic=where is not None,
    )


def _draw_places_map(
    state: RegionState, ax: Axes, legend: bool = True
) -> Callable[[], None] | None:
    """Real places (``geography.kind = "places"``) at their longitude and latitude, marker
    area ∝ share of the mobile factor; the Delaunay roads drawn (width ∝ 1/length) when
    ``routes = "delaunay"``, none when every pair is linked directly (the crow's line);
    ``link_overrides`` dashed in red with their T. Labels move further out where crowded."""
    geo = state.geography
    pos = _geographic_positions(state)
    if pos is None or getattr(geo, "routes", None) is None:  # a bare RegionState
        _draw_matrix_map(state, ax)
        return None
    names = list(state.names)
    index = {name: i for i, name in enumerate(names)}
    edges: list[_Edge] = []
    if geo.routes == "delaunay":
        links = place_links(names, pos[:, 1], pos[:, 0], geo.circuity, "delaunay")
        widths = _link_widths(np.array([d for _, _, d in links]))
        edges = [
            _Edge(index[a], index[b], float(min(w, 2.5)))
            for (a, b, _), w in zip(links, widths, strict=True)
        ]
    for override in getattr(geo, "link_overrides", None) or []:
        i, j = index[override.between[0]], index[override.between[1]]
        improved = _Edge(i, j, 2.5, f"T = {override.transport_cost:g}", dashed=True)
        edges = [e for e in edges if {e.i, e.j} != {i, j}] + [improved]
    formula = "exp(τ·d)" if geo.cost == "exponential" else "1 + τ·d"
    route = (
        "Delaunay roads, costs compound along the shortest route"
        if geo.routes == "delaunay"
        else "every pair linked directly"
    )
    return _draw_places(
        state,
        ax,
        pos,
        edges,
        (Line2D([], [], color="0.6", lw=2.0), "road: width ∝ 1/length")
        if geo.routes == "delaunay"
        else None,
        f"{route};\nT = {formula}, d = {geo.circuity:g} × great-circle km, "
        f"τ = {geo.cost_per_distance:g}/km",
        geographic=True,
        legend=legend,
        crowded=True,
    )


def plot_places_start_end(result: Result, axes: tuple[Axes, Axes] | None = None) -> Figure:
    """A places run as a pair of maps: the first recorded step (start) and the last (end),
    at real longitude and latitude, marker area ∝ share of the mobile factor."""
    first = int(result.timeseries["step"].min())
    if axes is None:
        fig, (start, end) = plt.subplots(1, 2, figsize=(11.0, 4.8), layout="constrained")
    else:
        (start, end), fig = axes, axes[0].figure
    untangles = []
    for ax, state, when, legend in (
        (start, result.region_state(first), "start", False),
        (end, result.region_state(), "end", True),
    ):
        untangles.append(_draw_places_map(state, ax, legend=legend))
        ax.set_title(f"{when}: {state.mobile} by place, step {state.step}", fontsize=10)
    for untangle in untangles:  # now that both maps and the legend take their room
        if untangle is not None:
            untangle()
    return fig


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


RegionMapDrawer = Callable[[RegionState, Axes], None]
#: One drawing per geography kind; a geography without one gets plain bars per region.
#: A new map registers itself here.
REGION_MAPS: dict[str, RegionMapDrawer] = {
    "two_region": _draw_two_region_map,
    "racetrack": _draw_racetrack_map,
    "network": _draw_network_map,
    "matrix": _draw_matrix_map,
    "places": _draw_places_map,
    "line": _draw_lattice_map,
    "grid": _draw_lattice_map,
}


def plot_regions(
    source: RegionState | HasRegionState, step: int | None = None, ax: Axes | None = None
) -> Figure:
    """A map of the regions sized by their mobile population, drawn by geography kind.

    Shows where the mobile agents live at one step (default: the last, or a live model's
    current step). Agglomeration is one region holding (nearly) all of them; dispersion is
    the even spread 1/R. Two regions are drawn as two bars joined by their transport cost;
    a geography with a drawing in ``REGION_MAPS`` gets it, any other one bar per region.
    A finished places run (a ``Result``, no ``step``, no ``ax``) gets the start/end pair of
    maps (``plot_places_start_end``).
    """
    if isinstance(source, Result) and step is None and ax is None:
        if source.scenario.geography.kind == "places":
            return plot_places_start_end(source)
    state = RegionState.of(source, step)
    drawer = REGION_MAPS.get(state.kind, _draw_region_bars)
    fig, ax = figure_axes(ax, size=(6.0, 4.0))
    drawer(state, ax)
    ax.set_title(f"{state.mobile.capitalize()} by region, step {state.step}")
    return fig

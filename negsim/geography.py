"""Transport-cost matrices: the iceberg factor T_rs ≥ 1 (T_rr = 1) between every pair of places.

Every geography is a graph of links between neighbouring places; the cost of shipping
between two places is the cheapest chain of links. Iceberg costs compound along a chain
(a good that arrives with share 1/T_1 after one leg and 1/T_2 after the next arrives with
1/(T_1 T_2)), so T_rs = exp(shortest path of ln T_link) — which for equal links of cost T
is T^(number of steps), the racetrack convention of Krugman (1993) and FKV (1999, ch. 6).

- ``two_region``: two places a link ``transport_cost`` apart.
- ``racetrack``: R places on a circle, neighbours one link apart (FKV ch. 6; Akamatsu,
  Takayama & Ikeda 2012).
- ``line``: R places on a segment.
- ``grid``: ``rows × cols`` places, links to the four neighbours (Manhattan steps).
- ``network``: named links with distances d; the shortest-path distance d_rs gives
  T_rs = exp(τ d_rs) (``cost = "exponential"``, compounding, the default) or
  T_rs = 1 + τ d_rs (``cost = "linear"``, a per-distance freight rate), τ =
  ``cost_per_distance``.
- ``matrix``: an explicit T matrix.
- ``places``: a table of real places (name, latitude, longitude); link lengths are
  great-circle distances times a ``circuity`` factor, links join every pair (``routes =
  "direct"``) or the edges of the Delaunay triangulation (``routes = "delaunay"``), and
  costs follow from distances as in ``network``.

``link_overrides`` then set the cost of a direct link between two named places (a new
road, an improved one) and the matrix is closed again under chaining, so a cheaper link
also cheapens every route through it.
"""

from __future__ import annotations

import heapq
import math
from typing import Any, Protocol

import numpy as np


class Described(Protocol):
    """What geography reads of a scenario (``negsim.scenario.Scenario``): its
    ``[geography]`` table, region names and count, and ``economy.transport_cost``."""

    @property
    def geography(self) -> Any: ...

    @property
    def economy(self) -> Any: ...

    @property
    def region_names(self) -> list[str]: ...

    @property
    def n_regions(self) -> int: ...


def two_region(T: float) -> np.ndarray:
    """Two places a transport cost T apart: [[1, T], [T, 1]]."""
    return np.array([[1.0, T], [T, 1.0]])


def ring_steps(n: int) -> np.ndarray:
    """Number of links between places r and s on a circle of n places: min(|r-s|, n-|r-s|)."""
    d = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    return np.minimum(d, n - d)


def chained(T: float, steps: np.ndarray) -> np.ndarray:
    """T^steps: the iceberg cost over ``steps`` links of cost T each. A cost beyond the
    floating-point range (T = 100 over 160 links) is infinite: no trade, φ = T^(1-σ) = 0."""
    with np.errstate(over="ignore"):
        return float(T) ** steps


def racetrack(n: int, T: float) -> np.ndarray:
    """n equidistant places on a circle, neighbours T apart: T_rs = T^(ring steps)."""
    return chained(T, ring_steps(n))


def line(n: int, T: float) -> np.ndarray:
    """n places on a line, neighbours T apart: T_rs = T^|r-s|."""
    return chained(T, np.abs(np.subtract.outer(np.arange(n), np.arange(n))))


def grid(rows: int, cols: int, T: float) -> np.ndarray:
    """rows × cols places (row-major), neighbours T apart: T_rs = T^(Manhattan steps)."""
    r, c = np.divmod(np.arange(rows * cols), cols)
    steps = np.abs(np.subtract.outer(r, r)) + np.abs(np.subtract.outer(c, c))
    return chained(T, steps)


def network_distances(names: list[str], links: list[tuple[str, str, float]]) -> np.ndarray:
    """Shortest-path distances over undirected links (name, name, distance); inf if cut off."""
    index = {name: i for i, name in enumerate(names)}
    dist = np.full((len(names), len(names)), np.inf)
    np.fill_diagonal(dist, 0.0)
    for a, b, d in links:
        i, j = index[a], index[b]
        dist[i, j] = dist[j, i] = min(dist[i, j], d)
    return _shortest_paths(dist)


def _shortest_paths(weights: np.ndarray) -> np.ndarray:
    """All-pairs shortest paths; inf marks a missing link, zero-cost links count."""
    from scipy.sparse.csgraph import csgraph_from_dense, shortest_path  # ~0.5 s to import

    graph = csgraph_from_dense(weights, null_value=np.inf)
    return shortest_path(graph, method="FW", directed=False)


def network(
    names: list[str], links: list[tuple[str, str, float]], tau: float, cost: str = "exponential"
) -> np.ndarray:
    """Iceberg costs from shortest-path distances: exp(τ d) or 1 + τ d (infinite where
    exp(τ d) leaves the floating-point range: no trade)."""
    d = network_distances(names, links)
    with np.errstate(over="ignore"):
        return np.exp(tau * d) if cost == "exponential" else 1.0 + tau * d


EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius R₁ = (2a + b)/3 of the WGS84/GRS80 ellipsoid in km (IUGG; Moritz 2000,
"Geodetic Reference System 1980", J. Geodesy 74: 128–133)."""


def great_circle_km(
    lat: np.ndarray, lon: np.ndarray, radius: float = EARTH_RADIUS_KM
) -> np.ndarray:
    """R×R great-circle distances in km between places at latitudes/longitudes in degrees,
    on a sphere of the mean Earth radius: the haversine formula (Sinnott 1984, "Virtues of
    the haversine", Sky & Telescope 68: 159), d = 2 r asin √(sin²(Δφ/2) + cos φ₁ cos φ₂
    sin²(Δλ/2)); within 0.5 % of the ellipsoidal distance."""
    phi, lam = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    dphi = np.subtract.outer(phi, phi)
    dlam = np.subtract.outer(lam, lam)
    h = np.sin(dphi / 2) ** 2 + np.outer(np.cos(phi), np.cos(phi)) * np.sin(dlam / 2) ** 2
    return 2.0 * radius * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def delaunay_pairs(lat: np.ndarray, lon: np.ndarray) -> list[tuple[int, int]]:
    """Index pairs (i < j) of the edges of the Delaunay triangulation of places projected
    equirectangularly around their mean latitude (x = lon·cos φ̄, y = lat), a planar
    road-like network (at most 3R − 6 edges). Two places, or places on one line, are
    joined in order along that line."""
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    xy = np.column_stack([lon * math.cos(math.radians(float(lat.mean()))), lat])
    n = len(lat)
    centred = xy - xy.mean(axis=0)
    if n < 3 or np.linalg.matrix_rank(centred, tol=1e-9 * max(1.0, np.abs(centred).max())) < 2:
        order = np.argsort(centred @ np.linalg.svd(centred)[2][0], kind="stable")
        return sorted(
            (int(min(a, b)), int(max(a, b))) for a, b in zip(order[:-1], order[1:], strict=True)
        )
    from scipy.spatial import Delaunay  # imported on use, like scipy's graph routines

    pairs: set[tuple[int, int]] = set()
    for a, b, c in Delaunay(xy).simplices:
        for i, j in ((a, b), (b, c), (a, c)):
            pairs.add((int(min(i, j)), int(max(i, j))))
    return sorted(pairs)


def place_links(
    names: list[str], lat: np.ndarray, lon: np.ndarray, circuity: float, routes: str
) -> list[tuple[str, str, float]]:
    """Links (name, name, road distance in km) between places: great-circle distance
    times ``circuity``, every pair for ``routes = "direct"``, the Delaunay edges for
    ``"delaunay"``."""
    d = circuity * great_circle_km(lat, lon)
    n = len(names)
    if routes == "direct":
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    else:
        pairs = delaunay_pairs(lat, lon)
    return [(names[i], names[j], float(d[i, j])) for i, j in pairs]


def places(
    names: list[str],
    lat: np.ndarray,
    lon: np.ndarray,
    circuity: float,
    routes: str,
    tau: float,
    cost: str = "exponential",
) -> np.ndarray:
    """Iceberg costs between real places: ``network`` over ``place_links``. With direct
    routes the great-circle distances already obey the triangle inequality, so the
    shortest route between two places is their direct link."""
    return network(names, place_links(names, lat, lon, circuity, routes), tau, cost)


def close_under_chaining(T: np.ndarray) -> np.ndarray:
    """Cheapest chained cost between every pair: exp(shortest path of ln T) (infinite
    beyond the floating-point range: no trade)."""
    log_t = np.log(T)
    np.fill_diagonal(log_t, 0.0)
    with np.errstate(over="ignore"):
        return np.exp(_shortest_paths(log_t))


def apply_link_overrides(
    T: np.ndarray, names: list[str], overrides: list[tuple[str, str, float]]
) -> np.ndarray:
    """Set direct links (name, name, T) and re-close the matrix under chaining."""
    if not overrides:
        return T
    index = {name: i for i, name in enumerate(names)}
    T = T.copy()
    for a, b, cost in overrides:
        i, j = index[a], index[b]
        T[i, j] = T[j, i] = cost
    return close_under_chaining(T)


def neighbours(scenario: Described) -> list[list[int]]:
    """Adjacent places of each place (used to find clusters as local peaks)."""
    geo = scenario.geography
    n = scenario.n_regions
    if geo.kind == "racetrack":
        return [sorted({(r - 1) % n, (r + 1) % n} - {r}) for r in range(n)]
    if geo.kind == "line":
        return [[s for s in (r - 1, r + 1) if 0 <= s < n] for r in range(n)]
    if geo.kind == "grid":
        out = []
        for r in range(n):
            i, j = divmod(r, geo.cols)
            cand = [(i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)]
            out.append(
                [a * geo.cols + b for a, b in cand if 0 <= a < geo.rows and 0 <= b < geo.cols]
            )
        return out
    if geo.kind == "places" and geo.routes == "direct":
        return [[s for s in range(n) if s != r] for r in range(n)]
    if geo.kind in ("network", "places"):
        index = {name: i for i, name in enumerate(scenario.region_names)}
        adj: list[set[int]] = [set() for _ in range(n)]
        for a, b, _ in _links(geo, scenario.region_names):
            i, j = index[a], index[b]
            adj[i].add(j)
            adj[j].add(i)
        return [sorted(a) for a in adj]
    return [[s for s in range(n) if s != r] for r in range(n)]  # two_region, matrix


def transport_costs(scenario: Described) -> np.ndarray:
    """The R×R iceberg matrix a scenario describes, link overrides applied."""
    geo = scenario.geography
    overrides = [(o.between[0], o.between[1], o.transport_cost) for o in geo.link_overrides]
    return costs(geo, scenario.region_names, scenario.economy.transport_cost, overrides)


def costs(
    geo: Any, names: list[str], T: float | None, overrides: list[tuple[str, str, float]]
) -> np.ndarray:
    """The iceberg matrix of a ``[geography]`` table ``geo`` over the places ``names``, with
    the cost ``T`` between neighbours (two_region, racetrack, line, grid) and the direct
    links ``overrides`` (name, name, T) set and re-chained."""
    n = len(names)
    if geo.kind == "two_region":
        base = two_region(T)
    elif geo.kind == "racetrack":
        base = racetrack(n, T)
    elif geo.kind == "line":
        base = line(n, T)
    elif geo.kind == "grid":
        base = grid(geo.rows, geo.cols, T)
    elif geo.kind == "network":
        links = [(lk.between[0], lk.between[1], lk.distance) for lk in geo.links]
        base = network(names, links, geo.cost_per_distance, geo.cost)
    elif geo.kind == "places":
        base = network(names, _links(geo, names), geo.cost_per_distance, geo.cost)
    elif geo.kind == "matrix":
        base = np.asarray(geo.matrix, dtype=float)
    else:  # pragma: no cover - the scenario schema admits no other kind
        raise ValueError(f"unknown geography.kind {geo.kind!r}")
    return apply_link_overrides(base, names, overrides)


def log10_max_cost(geo: Any, names: list[str], T: float | None) -> float:
    """log10 of the largest iceberg cost between two places of the ``[geography]`` table
    ``geo`` (cost ``T`` between neighbours), link overrides aside, computed without building
    the R×R matrix: T^(ring steps ⌊R/2⌋) on a racetrack, T^(R-1) on a line, T^(rows-1 +
    cols-1) on a grid, the matrix's largest entry, and exp(τ d) or 1 + τ d at a network's
    diameter d (at most twice the farthest distance from the first place when R > 300)."""
    n = len(names)
    if geo.kind in ("two_region", "racetrack", "line", "grid"):
        steps = {
            "two_region": 1,
            "racetrack": n // 2,
            "line": n - 1,
            "grid": (geo.rows or 1) - 1 + (geo.cols or 1) - 1,
        }[geo.kind]
        return steps * math.log10(T) if T is not None else 0.0
    if geo.kind == "matrix":
        return math.log10(max((max(row) for row in geo.matrix or [[1.0]]), default=1.0))
    if geo.kind == "places" and geo.routes == "direct":
        lat = np.array([p.lat for p in geo.table], dtype=float)
        lon = np.array([p.lon for p in geo.table], dtype=float)
        d = float(geo.circuity * great_circle_km(lat, lon).max())
    else:
        d = network_diameter(names, _links(geo, names))
    tau = geo.cost_per_distance or 0.0
    if geo.cost == "exponential":
        return tau * d / math.log(10)
    return math.log10(1.0 + tau * d)


def _links(geo: Any, names: list[str]) -> list[tuple[str, str, float]]:
    """The links (name, name, distance) of a network or places ``[geography]`` table."""
    if geo.kind == "places":
        lat = np.array([p.lat for p in geo.table], dtype=float)
        lon = np.array([p.lon for p in geo.table], dtype=float)
        return place_links(names, lat, lon, geo.circuity, geo.routes)
    return [(lk.between[0], lk.between[1], lk.distance) for lk in geo.links]


def network_diameter(names: list[str], links: list[tuple[str, str, float]]) -> float:
    """The longest shortest-path distance over undirected links (Dijkstra from every place;
    for more than 300 places twice the farthest distance from the first place, an upper
    bound by the triangle inequality). inf where a place is cut off."""
    index = {name: i for i, name in enumerate(names)}
    adjacency: list[list[tuple[int, float]]] = [[] for _ in names]
    for a, b, dist in links:
        if a in index and b in index:
            adjacency[index[a]].append((index[b], dist))
            adjacency[index[b]].append((index[a], dist))

    def farthest(source: int) -> float:
        best = [math.inf] * len(names)
        best[source] = 0.0
        todo = [(0.0, source)]
        while todo:
            d, node = heapq.heappop(todo)
            if d > best[node]:
                continue
            for nxt, w in adjacency[node]:
                if d + w < best[nxt]:
                    best[nxt] = d + w
                    heapq.heappush(todo, (d + w, nxt))
        return max(best, default=0.0)

    if len(names) > 300:
        return 2.0 * farthest(0)
    return max((farthest(i) for i in range(len(names))), default=0.0)

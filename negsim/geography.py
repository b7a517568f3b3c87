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

``link_overrides`` then set the cost of a direct link between two named places (a new
road, an improved one) and the matrix is closed again under chaining, so a cheaper link
also cheapens every route through it.
"""

from __future__ import annotations

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
    if geo.kind == "network":
        index = {name: i for i, name in enumerate(scenario.region_names)}
        adj: list[set[int]] = [set() for _ in range(n)]
        for link in geo.links:
            i, j = index[link.between[0]], index[link.between[1]]
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
    elif geo.kind == "matrix":
        base = np.asarray(geo.matrix, dtype=float)
    else:  # pragma: no cover - the scenario schema admits no other kind
        raise ValueError(f"unknown geography.kind {geo.kind!r}")
    return apply_link_overrides(base, names, overrides)
